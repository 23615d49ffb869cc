/*
 * listener.c - the "Unix Domain Sockets" demo listener (ported to libudsock).
 *
 *   ./listener <socket path>
 * serves one client at a time, logs each message, answers
 * "Got your message", and on Ctrl-C or SIGTERM exits gracefully, closing
 * the socket and unlinking its path.
 *
 * The signal handler does only what is safe in a handler: it sets a flag and
 * shuts the listening socket down. A blocking uds_accept returns EINTR (the
 * handler is installed without SA_RESTART) and, because of the shutdown,
 * so does not block again even if the signal came just before the call.
 * The main loop then logs and cleans up, outside the handler.
 */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <udsock.h>

#define LOG_TAG "[LISTENER] "
#include "log.h"

#define MAX_CLIENTS 5
#define MAX_BUFFER_LEN 256
#define TERMINATION_COMMAND "terminate"

static volatile sig_atomic_t terminating = 0;
static int sock = -1;

/* Ctrl-C or SIGTERM: ask the main loop to exit gracefully. */
static void terminate(int signo)
{
    (void)signo;
    terminating = 1;
    shutdown(sock, SHUT_RDWR);  /* every accept on it now fails at once */
}

/* Returns a positive value if the client sent the termination command. */
static int handle_client(int sock)
{
    char buff[MAX_BUFFER_LEN];
    const char *out_buff = "Got your message";
    size_t outbuff_len = strlen(out_buff) + 1;
    ssize_t len;
    int ret = 0;

    LOGI("* Starting communication with a client *");
    while (!terminating) {
        len = uds_recv(sock, buff, MAX_BUFFER_LEN-1, 0);
        if (len < 0) {
            if (errno != EINTR)
                LOGE("%s", uds_last_error());
            break;
        }
        if (len == 0) {
            LOGI("Client socket was closed by peer");
            break;
        }
        buff[len] = '\0';
        LOGI("Incoming message: %s", buff);
        if (strcmp(buff, TERMINATION_COMMAND) == 0) {
            ret = 1;
            break;
        }
        if (uds_send_all(sock, out_buff, outbuff_len) < 0) {
            LOGE("%s", uds_last_error());
            break;
        }
    }
    uds_close(sock);
    return ret;
}

int main(int argc, char *argv[])
{
    struct sigaction sa;
    int quit = 0;

    if (argc < 2) {
        LOGE("Usage: %s <socket path>", argv[0]);
        return 1;
    }
    LOGI("Starting \"Unix Domain Sockets\" demo listener");
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = terminate;      /* no SA_RESTART: accept returns EINTR */
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);

    /* Step 1: create a socket, bind it to an address (replacing a stale
       socket file, never a live one), listen */
    sock = uds_listener(argv[1], SOCK_STREAM, MAX_CLIENTS, -1, UDS_REPLACE_STALE);
    if (sock < 0) {
        LOGE("%s", uds_last_error());
        return 1;
    }

    /* Step 2: in a loop, wait for clients */
    while (!quit && !terminating) {
        int client_socket = uds_accept(sock, 0);
        if (client_socket < 0) {
            if (terminating)
                break;
            if (errno == EINTR)
                continue;
            LOGE("%s", uds_last_error());
            break;
        }
        quit = handle_client(client_socket) > 0 ? 1 : 0;
        if (quit)
            LOGI("Got termination command, exiting");
    }
    if (terminating)
        LOGI("Terminating service");

    /* Close the socket and unlink its path (if it is still ours) */
    uds_close(sock);
    return 0;
}
