/*
 * wcserver.c - "How to write a socket server V": the server, on a Unix
 * domain socket whose file name is the only argument.
 *
 * Reconstruction: the post shows only fragments (marked "document" below);
 * the rest follows the post's description ("pretty similar to the internet
 * socket example": error(), bzero, one request and one reply) and is
 * marked "reconstructed". Cut-off lines are completed and marked.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>
#include <sys/types.h>
#include <sys/socket.h>
#include <sys/un.h>

/* reconstructed: the error() of the internet socket example */
void error(const char *msg)
{
    perror(msg);
    exit(1);
}

int main(int argc, char *argv[])
{
    char buffer[256];
    int n;

    /* reconstructed: the file name is the only argument */
    if (argc < 2) {
        fprintf(stderr, "usage: %s filename\n", argv[0]);
        exit(1);
    }
    const char *listenFileName = argv[1];
    const size_t listenFileNameLength = strlen(listenFileName);

    /* document: from here to "end of the document's server fragment" */
    struct sockaddr_un listenAddress;
    if (listenFileNameLength>=sizeof(listenAddress.sun_path))
        error("ERROR, the filename must be shorter "  /* repair: string broken across lines */
              "than the maximum path length (normally around a hundred chararacters)\n");

    const int listenSocketFile = socket(AF_UNIX,
                                        SOCK_STREAM, 0);  /* repair: line cut off */
    if (listenSocketFile < 0)
        error("ERROR opening server socket");

    bzero((char *) &listenAddress, sizeof(listenAddress));
    listenAddress.sun_family = AF_UNIX;
    strncpy(listenAddress.sun_path, listenFileName,
            sizeof(listenAddress.sun_path));  /* repair: line cut off */
    /* end of the document's server fragment */

    /* reconstructed: bind, listen, accept one client */
    if (bind(listenSocketFile, (struct sockaddr *) &listenAddress,
             sizeof(listenAddress)) < 0)
        error("ERROR on binding");
    listen(listenSocketFile, 5);
    const int transferSocketFile = accept(listenSocketFile, NULL, NULL);
    if (transferSocketFile < 0)
        error("ERROR on accept");

    /* reconstructed: read the request, print it, reply */
    bzero(buffer, 256);
    n = read(transferSocketFile, buffer, 255);
    if (n < 0)
        error("ERROR reading from socket");
    printf("Here is the message: %s\n", buffer);
    n = write(transferSocketFile, "I got your message", 18);
    if (n < 0)
        error("ERROR writing to socket");

    close(transferSocketFile);
    close(listenSocketFile);
    unlink(listenFileName);
    return 0;
}
