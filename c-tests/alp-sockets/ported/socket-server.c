#include <stdio.h> 
#include <stdlib.h> 
#include <string.h> 
#include <sys/socket.h> 
#include <udsock.h>
/* The longest text accepted, NUL included. A longer message is reported
   and dropped, never allocated.  */
#define MAX_TEXT 4096
/* Read text from the socket and print it out. Continue until the 
   socket closes. Return nonzero if the client sent a "quit" 
   message, zero otherwise.  */ 
int server (int client_socket) 
{
   while (1) {
     size_t length;
     char text[MAX_TEXT + 1];
     /* Read one message: its length (which counts the NUL), then the
        text. Zero means the client closed the connection between
        messages; an error (a message too long, a connection cut in the
        middle of one) is reported and ends this client.  */
     int got = uds_recv_frame (client_socket, text, MAX_TEXT, &length);
     if (got == 0)
       return 0; 
     if (got < 0) {
       fprintf (stderr, "socket-server: %s\n", uds_last_error ());
       return 0; 
     }
     /* Print it, terminated even if the client left out the NUL.  */
     text[length] = '\0';
     printf ("%s\n", text); 
     /* If the client sent the message "quit," we're all done.  */ 
     if (!strcmp (text, "quit")) 
       return 1; 
   }
}
int main (int argc, char* const argv[]) 
{
    int socket_fd; 
    int client_sent_quit_message; 
    if (argc < 2) {
      fprintf (stderr, "usage: %s SOCKET-PATH\n", argv[0]);
      return 1;
    }
    const char* const socket_name = argv[1];
    /* Create the socket, bind it to its name and listen for
       connections.   */
    socket_fd = uds_listener (socket_name, SOCK_STREAM, 5, -1, 0);
    if (socket_fd < 0) {
      fprintf (stderr, "socket-server: %s\n", uds_last_error ());
      return 1;
    }
    /* Repeatedly accept connections, spinning off one server() to deal 
       with  each  client.  Continue  until  a  client  sends  a  "quit"  message.   */ 
    do {
      int client_socket_fd; 
      /* Accept a connection.   */ 
      client_socket_fd = uds_accept (socket_fd, 0);
      if (client_socket_fd < 0) {
        fprintf (stderr, "socket-server: %s\n", uds_last_error ());
        break;
      }
      /* Handle the connection.   */ 
      client_sent_quit_message = server (client_socket_fd); 
      /* Close our end of the connection.   */ 
      uds_close (client_socket_fd);
    }
    while (!client_sent_quit_message); 
    /* Close the socket and remove the socket file.   */
    uds_close (socket_fd);
    return 0; 
}
