/*
 * File client.c (ported to libudsock)
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <udsock.h>
#include "connection.h"

int
main(int argc, char *argv[])
{
    ssize_t ret;
    int data_socket;
    char buffer[BUFFER_SIZE];

    /* Create local socket and connect it to the socket address. */

    data_socket = uds_dial(SOCKET_NAME, SOCK_SEQPACKET);
    if (data_socket == -1) {
        fprintf(stderr, "The server is down.\n");
        exit(EXIT_FAILURE);
    }

    /* Send arguments. */

    for (int i = 1; i < argc; ++i) {
        ret = uds_send(data_socket, argv[i], strlen(argv[i]) + 1, 0);
        if (ret == -1) {
            fprintf(stderr, "%s\n", uds_last_error());
            break;
        }
    }

    /* Request result. */

    strcpy(buffer, "END");
    ret = uds_send(data_socket, buffer, strlen(buffer) + 1, 0);
    if (ret == -1) {
        fprintf(stderr, "%s\n", uds_last_error());
        exit(EXIT_FAILURE);
    }

    /* Receive result. */

    ret = uds_recv(data_socket, buffer, sizeof(buffer), 0);
    if (ret == -1) {
        fprintf(stderr, "%s\n", uds_last_error());
        exit(EXIT_FAILURE);
    }
    if (ret == 0) {
        fprintf(stderr, "client: the server hung up without a result\n");
        exit(EXIT_FAILURE);
    }

    /* Ensure buffer is 0-terminated. */

    buffer[sizeof(buffer) - 1] = 0;

    printf("Result = %s\n", buffer);

    /* Close socket. */

    uds_close(data_socket);

    exit(EXIT_SUCCESS);
}
