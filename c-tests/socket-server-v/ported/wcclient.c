/*
 * wcclient.c - "How to write a socket server V": the client, connecting to
 * the Unix domain socket whose file name is the only argument (ported to
 * libudsock).
 *
 * The path-length check is gone: the library connects to paths of any
 * length (up to PATH_MAX).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <udsock.h>

/* the error() of the internet socket example, with the library's message */
void error(const char *msg)
{
    fprintf(stderr, "%s: %s\n", msg, uds_last_error());
    exit(1);
}

int main(int argc, char *argv[])
{
    char buffer[256];
    ssize_t n;

    if (argc < 2) {
        fprintf(stderr, "usage: %s filename\n", argv[0]);
        exit(1);
    }
    const char *serverFileName = argv[1];

    /* socket and connect in one call */
    const int transferSocketFile = uds_dial(serverFileName, SOCK_STREAM);
    if (transferSocketFile < 0)
        error("ERROR connecting");

    /* send one line from standard input, print the reply */
    printf("Please enter the message: ");
    memset(buffer, 0, 256);
    if (fgets(buffer, 255, stdin) == NULL)
        buffer[0] = '\0';
    if (uds_send_all(transferSocketFile, buffer, strlen(buffer)) < 0)
        error("ERROR writing to socket");
    memset(buffer, 0, 256);
    n = uds_recv(transferSocketFile, buffer, 255, 0);
    if (n < 0)
        error("ERROR reading from socket");
    printf("%s\n", buffer);
    uds_close(transferSocketFile);
    return 0;
}
