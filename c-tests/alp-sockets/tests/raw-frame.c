/*
 * raw-frame.c - send one hand-made length-prefixed message.
 *
 * Not part of the book. socket-client always sends a well-formed message;
 * this sends whatever 4-byte length a test asks for (for example 2 GiB,
 * which the printed server trusts), then TEXT as given (no NUL is added),
 * then closes. Plain sockets, so it does not depend on the library under
 * test.
 *
 *   raw-frame PATH LENGTH [TEXT]
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

int main(int argc, char *argv[])
{
    struct sockaddr_un addr;
    const char *text = argc > 3 ? argv[3] : "";
    uint32_t length;
    int fd;

    if (argc < 3 || strlen(argv[1]) >= sizeof(addr.sun_path)) {
        fprintf(stderr, "usage: raw-frame PATH LENGTH [TEXT]\n");
        return 2;
    }
    length = (uint32_t)strtoul(argv[2], NULL, 0);
    memset(&addr, 0, sizeof(addr));
    addr.sun_family = AF_UNIX;
    strcpy(addr.sun_path, argv[1]);
    fd = socket(AF_UNIX, SOCK_STREAM, 0);
    if (fd == -1 || connect(fd, (struct sockaddr *)&addr, sizeof(addr)) == -1) {
        perror("raw-frame: connect");
        return 1;
    }
    if (write(fd, &length, sizeof(length)) != (ssize_t)sizeof(length)
        || write(fd, text, strlen(text)) != (ssize_t)strlen(text)) {
        perror("raw-frame: write");
        return 1;
    }
    close(fd);
    return 0;
}
