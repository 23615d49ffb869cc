/*
 * File server.c (ported to libudsock)
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <udsock.h>
#include "connection.h"

int
main(void)
{
    int down_flag = 0;
    ssize_t ret;
    int connection_socket;
    int data_socket;
    int result;
    char buffer[BUFFER_SIZE];

    /*
     * Create local socket, bind it to the socket name and prepare for
     * accepting connections. The backlog size is set to 20. So while
     * one request is being processed other requests can be waiting.
     */

    connection_socket = uds_listener(SOCKET_NAME, SOCK_SEQPACKET, 20, -1, 0);
    if (connection_socket == -1) {
        fprintf(stderr, "%s\n", uds_last_error());
        exit(EXIT_FAILURE);
    }

    /* This is the main loop for handling connections. */

    for (;;) {

        /* Wait for incoming connection. */

        data_socket = uds_accept(connection_socket, 0);
        if (data_socket == -1) {
            fprintf(stderr, "%s\n", uds_last_error());
            exit(EXIT_FAILURE);
        }

        result = 0;
        for (;;) {

            /* Wait for next data packet. */

            ret = uds_recv(data_socket, buffer, sizeof(buffer), 0);
            if (ret == -1) {
                fprintf(stderr, "%s\n", uds_last_error());
                break;
            }
            if (ret == 0) {
                fprintf(stderr, "server: the client left without END\n");
                break;
            }

            /* Ensure buffer is 0-terminated. */

            buffer[sizeof(buffer) - 1] = 0;

            /* Handle commands. */

            if (!strncmp(buffer, "DOWN", sizeof(buffer))) {
                down_flag = 1;
                continue;
            }

            if (!strncmp(buffer, "END", sizeof(buffer))) {
                break;
            }

            /* Add received summand. */

            result += atoi(buffer);
        }

        /* Send result, if it was asked for. A client that has gone
           gives an error here, not a SIGPIPE, and the server goes on. */

        if (ret > 0) {
            sprintf(buffer, "%d", result);
            if (uds_send(data_socket, buffer, sizeof(buffer), 0) == -1)
                fprintf(stderr, "%s\n", uds_last_error());
        }

        /* Close socket. */

        uds_close(data_socket);

        /* Quit on DOWN command. */

        if (down_flag) {
            break;
        }
    }

    /* Close the socket and unlink the socket file it created. */

    uds_close(connection_socket);

    exit(EXIT_SUCCESS);
}
