/*
 * test_client.c - the "Unix Domain Sockets" demo client.
 *
 * The post quotes the connect fragment (marked "document"); the rest is
 * reconstructed from the post's description and execution example:
 *   ./test_client <socket path> <message>
 * sends the message, prints the listener's answer.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "log.h"

#define MAX_BUFFER_LEN 256
#define SOCKET_NAME_MAX_LEN 107 /* sizeof(sun_path) - 1 on Linux */

int main(int argc, char *argv[])
{
    const char *socket_name;
    const char *message;
    char buff[MAX_BUFFER_LEN];
    ssize_t len;
    int sock;
    int res;

    if (argc < 3) {
        LOGE("Usage: %s <socket path> <message>", argv[0]);
        return 1;
    }
    socket_name = argv[1];
    message = argv[2];
    LOGI("Starting \"Unix Domain Sockets\" demo client");

    /* Step 1: create a socket and connect to the server */
    sock = socket(AF_UNIX, SOCK_STREAM, 0);
    if (sock < 0) {
        LOGE("Failed creating socket (%d: %s)", errno, strerror(errno));
        return 1;
    }
    struct sockaddr_un address;                                 /* document */
    memset(&address, 0x00, sizeof(address));                    /* document */
    address.sun_family = AF_UNIX;                               /* document */
    strncpy(address.sun_path, socket_name, SOCKET_NAME_MAX_LEN); /* document */
    res = connect(sock, (struct sockaddr *)&address, sizeof(address)); /* document */
    if (res < 0) {
        LOGE("Failed connecting to %s (%d: %s)", socket_name, errno, strerror(errno));
        return 1;
    }

    /* Step 2: write the message, read the answer */
    if (write(sock, message, strlen(message) + 1) < 0) {
        LOGE("Failed writing (%d: %s)", errno, strerror(errno));
        return 1;
    }
    len = read(sock, buff, MAX_BUFFER_LEN - 1);
    if (len <= 0) {
        LOGE("Failed reading (%d: %s)", errno, len < 0 ? strerror(errno) : "end of file");
        return 1;
    }
    buff[len] = '\0';
    LOGI("Got back: %s", buff);

    /* Step 3: disconnect */
    close(sock);
    return 0;
}
