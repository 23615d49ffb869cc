/*
 * wcserver.c - "How to write a socket server V": the server, on a Unix
 * domain socket whose file name is the only argument (ported to libudsock).
 *
 * The path-length check is gone: the library binds paths of any length
 * (up to PATH_MAX) and reports a clean error for what it cannot bind.
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
    const char *listenFileName = argv[1];

    /* socket, bind and listen in one call */
    const int listenSocketFile = uds_listener(listenFileName, SOCK_STREAM, 5, -1, 0);
    if (listenSocketFile < 0)
        error("ERROR opening server socket");

    const int transferSocketFile = uds_accept(listenSocketFile, 0);
    if (transferSocketFile < 0)
        error("ERROR on accept");

    /* read the request, print it, reply */
    memset(buffer, 0, 256);
    n = uds_recv(transferSocketFile, buffer, 255, 0);
    if (n < 0)
        error("ERROR reading from socket");
    printf("Here is the message: %s\n", buffer);
    if (uds_send_all(transferSocketFile, "I got your message", 18) < 0)
        error("ERROR writing to socket");

    uds_close(transferSocketFile);
    uds_close(listenSocketFile);  /* also unlinks listenFileName */
    return 0;
}
