#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <udsock.h>

static void displayError(const char *on_what);

/* Test hook: SOCKET_PATH may be given with -D so that a test can run the
   program in a private directory; the default is the document's. */
#ifndef SOCKET_PATH
#define SOCKET_PATH "/tmp/my_sock"
#endif
const char socketPath[]  = SOCKET_PATH;  

int main(void) {
    ssize_t n = 0;
    char recvBuff[1024];
    int sockfd;                 

    /* Create a AF_UNIX (aka AF_LOCAL) socket and connect it: */
    if ( (sockfd = uds_dial(socketPath, SOCK_STREAM)) < 0 )
        displayError("Connect Failed");

    while ( (n = uds_recv(sockfd, recvBuff, sizeof(recvBuff)-1, 0)) > 0)
    {
        recvBuff[n] = 0;
        if(fputs(recvBuff, stdout) == EOF) {
            perror("fputs error");
            exit(1);
        }
    }

    if(n < 0)
        displayError("Read error");

    /* Close our socket. The socket path is the server's: not ours to unlink. */
    uds_close(sockfd) ;

    return 0;
 }


/* This function reports the error and exits back to the shell: */
static void displayError(const char *on_what) {
    fprintf(stderr, "%s: %s\n", on_what, uds_last_error());
    exit(1);
}
