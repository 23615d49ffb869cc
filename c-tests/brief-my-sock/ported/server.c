#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <udsock.h>

static void displayError(const char *);

/* Test hook: SOCKET_PATH may be given with -D so that a test can run the
   program in a private directory; the default is the document's. */
#ifndef SOCKET_PATH
#define SOCKET_PATH "/tmp/my_sock"
#endif
const char socketPath[]  = SOCKET_PATH;  /* Socket With Absolute Pathname */

int main(void) {
    int sockfd;                 /* Socket File Descriptor */
    int connfd;                 /* Connection Fide Descriptor On Whch We Communicate */

    /* Create a AF_UNIX (aka AF_LOCAL) socket, bound to socketPath and
       listening. A socket file left from a prior run is replaced; a live
       server's socket, or a file that is not a socket, is not. */
    if ( (sockfd = uds_listener(socketPath, SOCK_STREAM, 10, -1, UDS_REPLACE_STALE)) < 0 )
        displayError("Could not listen");

    if( ( connfd = uds_accept( sockfd, 0) ) < 0 )
        displayError("Could not accept");

    if ( uds_send_all(connfd, "Server Message\n", strlen("Server Message\n")) < 0 )
        displayError("Could not write");

    /* Close & unlink our socket path (only if it is still our socket) */
    uds_close(connfd);
    uds_close(sockfd) ;

    return 0;
}

/* This function reports the error and exits back to the shell: */
static void displayError(const char *on_what) {
    fprintf(stderr, "%s: %s\n", on_what, uds_last_error());
    exit(1);
}
