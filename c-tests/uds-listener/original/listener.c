/*
 * listener.c - the "Unix Domain Sockets" demo listener.
 *
 * The post quotes fragments of this program (marked "document") and links
 * the full source, which is not part of the document; everything else is
 * reconstructed from the post's description and its execution example:
 *   ./listener <socket path>
 * serves one client at a time, logs each message, answers
 * "Got your message", and on Ctrl-C or SIGTERM exits gracefully, closing
 * the socket and unlinking its path.
 */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#define LOG_TAG "[LISTENER] "
#include "log.h"

#define MAX_CLIENTS 5
#define MAX_BUFFER_LEN 256
#define SOCKET_NAME_MAX_LEN 107 /* sizeof(sun_path) - 1 on Linux */
#define TERMINATION_COMMAND "terminate"

static int sock = -1;
static const char *path;

/* Ctrl-C or SIGTERM: exit gracefully, closing the socket and unlinking the
   address. */
static void terminate(int signo)
{
    (void)signo;
    LOGI("Terminating service");
    close(sock);
    unlink(path);
    exit(0);
}

static int bind_address(int sock, const char *path)
{
    struct sockaddr_un address;

    /* The filename mustn't exist. */
    unlink(path);
    memset(&address, 0x00, sizeof(address));
    address.sun_family = AF_UNIX;
    strncpy(address.sun_path, path, SOCKET_NAME_MAX_LEN);
    return bind(sock, (struct sockaddr *)&address, sizeof(address));
}

/* Returns a positive value if the client sent the termination command. */
static int handle_client(int sock)
{
    char buff[MAX_BUFFER_LEN];
    const char *out_buff = "Got your message";
    size_t outbuff_len = strlen(out_buff) + 1;
    ssize_t len;
    ssize_t res;
    int ret = 0;

    LOGI("* Starting communication with a client *");
    for (;;) {
        len = read(sock, buff, MAX_BUFFER_LEN-1);    /* document */
        if (len < 0) {
            LOGE("Failed reading from client (%d: %s)", errno, strerror(errno));
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
        res = write(sock, out_buff, outbuff_len);    /* document */
        if (res < 0) {
            LOGE("Failed writing to client (%d: %s)", errno, strerror(errno));
            break;
        }
    }
    close(sock);
    return ret;
}

int main(int argc, char *argv[])
{
    int res;
    int quit = 0;

    if (argc < 2) {
        LOGE("Usage: %s <socket path>", argv[0]);
        return 1;
    }
    path = argv[1];
    LOGI("Starting \"Unix Domain Sockets\" demo listener");
    signal(SIGINT, terminate);
    signal(SIGTERM, terminate);

    /* Step 1: create a socket, bind it to an address, listen */
    sock = socket(AF_UNIX, SOCK_STREAM, 0);          /* document */
    if (sock < 0) {
        LOGE("Failed creating socket (%d: %s)", errno, strerror(errno));
        return 1;
    }
    res = bind_address(sock, path);                  /* document */
    if (res < 0) {
        LOGE("Failed binding to %s (%d: %s)", path, errno, strerror(errno));
        return 1;
    }
    res = listen(sock, MAX_CLIENTS);                 /* document */
    if (res < 0) {
        LOGE("Failed listening (%d: %s)", errno, strerror(errno));
        return 1;
    }

    /* Step 2: in a loop, wait for clients (document, with its lost line
       breaks and braces restored) */
    while (!quit) {
        int client_socket = accept(sock, NULL, NULL);
        if (client_socket < 0) {
            if (errno != EINTR)
                continue;
            LOGE("Failed accepting client (%d: %s)", errno, strerror(errno));
            break;
        }
        quit = handle_client(client_socket) > 0 ? 1 : 0;
        if (quit)
            LOGI("Got termination command, exiting");
    }   /* repair: closing brace lost */

    close(sock);
    unlink(path);
    return 0;
}
