/*
 * test_client.c - the "Unix Domain Sockets" demo client (ported to libudsock).
 *
 *   ./test_client <socket path> <message>
 * sends the message, prints the listener's answer.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <udsock.h>

#include "log.h"

#define MAX_BUFFER_LEN 256

int main(int argc, char *argv[])
{
    const char *socket_name;
    const char *message;
    char buff[MAX_BUFFER_LEN];
    ssize_t len;
    int sock;

    if (argc < 3) {
        LOGE("Usage: %s <socket path> <message>", argv[0]);
        return 1;
    }
    socket_name = argv[1];
    message = argv[2];
    LOGI("Starting \"Unix Domain Sockets\" demo client");

    /* Step 1: create a socket and connect to the server */
    sock = uds_dial(socket_name, SOCK_STREAM);
    if (sock < 0) {
        LOGE("%s", uds_last_error());
        return 1;
    }

    /* Step 2: write the message, read the answer */
    if (uds_send_all(sock, message, strlen(message) + 1) < 0) {
        LOGE("%s", uds_last_error());
        return 1;
    }
    len = uds_recv(sock, buff, MAX_BUFFER_LEN - 1, 0);
    if (len <= 0) {
        LOGE("%s", len < 0 ? uds_last_error() : "the listener hung up without an answer");
        return 1;
    }
    buff[len] = '\0';
    LOGI("Got back: %s", buff);

    /* Step 3: disconnect */
    uds_close(sock);
    return 0;
}
