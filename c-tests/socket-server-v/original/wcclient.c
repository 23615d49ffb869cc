/*
 * wcclient.c - "How to write a socket server V": the client, connecting to
 * the Unix domain socket whose file name is the only argument.
 *
 * Reconstruction: the post shows only the connect() fragment (marked
 * "document"); the rest mirrors the server and the internet socket example
 * and is marked "reconstructed".
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

    /* reconstructed: the file name is the only argument, checked as the
       server checks it */
    if (argc < 2) {
        fprintf(stderr, "usage: %s filename\n", argv[0]);
        exit(1);
    }
    const char *serverFileName = argv[1];
    struct sockaddr_un serverAddress;
    if (strlen(serverFileName) >= sizeof(serverAddress.sun_path))
        error("ERROR, the filename must be shorter "
              "than the maximum path length (normally around a hundred chararacters)\n");

    const int transferSocketFile = socket(AF_UNIX, SOCK_STREAM, 0);
    if (transferSocketFile < 0)
        error("ERROR opening client socket");

    bzero((char *) &serverAddress, sizeof(serverAddress));
    serverAddress.sun_family = AF_UNIX;
    strncpy(serverAddress.sun_path, serverFileName,
            sizeof(serverAddress.sun_path));

    /* document: the connect() fragment */
    const int connectResult = connect(transferSocketFile,
                                      (struct sockaddr*)&serverAddress,
                                      sizeof(serverAddress));  /* repair: line cut off */
    /* end of the document's client fragment */
    if (connectResult < 0)
        error("ERROR connecting");

    /* reconstructed: send one line from standard input, print the reply */
    printf("Please enter the message: ");
    bzero(buffer, 256);
    if (fgets(buffer, 255, stdin) == NULL)
        buffer[0] = '\0';
    n = write(transferSocketFile, buffer, strlen(buffer));
    if (n < 0)
        error("ERROR writing to socket");
    bzero(buffer, 256);
    n = read(transferSocketFile, buffer, 255);
    if (n < 0)
        error("ERROR reading from socket");
    printf("%s\n", buffer);
    close(transferSocketFile);
    return 0;
}
