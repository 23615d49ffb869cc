/*
 * serve-forever.c - a Brief-style server that outlives its clients.
 *
 * Not part of the document. The document's server serves one client and
 * removes its socket before that client finishes, so the client's own
 * unlink(socketPath) never shows. Against a server that keeps serving, it
 * does: the first client deletes the live server's socket file and every
 * later client fails to connect. Plain sockets, so it does not depend on
 * the library under test. Runs until it is killed.
 *
 *   serve-forever PATH
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

int main(int argc, char *argv[])
{
    struct sockaddr_un addr;
    int sockfd;

    if (argc != 2 || strlen(argv[1]) >= sizeof(addr.sun_path)) {
        fprintf(stderr, "usage: serve-forever PATH (shorter than %zu bytes)\n",
                sizeof(addr.sun_path));
        return 2;
    }
    signal(SIGPIPE, SIG_IGN);
    sockfd = socket(AF_UNIX, SOCK_STREAM, 0);
    memset(&addr, 0, sizeof(addr));
    addr.sun_family = AF_UNIX;
    strcpy(addr.sun_path, argv[1]);
    if (sockfd == -1 || bind(sockfd, (struct sockaddr *)&addr, sizeof(addr)) == -1
        || listen(sockfd, 10) == -1) {
        perror("serve-forever");
        return 1;
    }
    for (;;) {
        int connfd = accept(sockfd, NULL, NULL);
        if (connfd == -1) {
            perror("serve-forever: accept");
            return 1;
        }
        if (write(connfd, "Server Message\n", 15) != 15)
            perror("serve-forever: write");
        close(connfd);
    }
}
