#include <stdio.h> 
#include <stdlib.h>
#include <string.h> 
#include <sys/socket.h> 
#include <udsock.h>
/* Write TEXT to the socket given by file descriptor SOCKET_FD: the
   number of bytes in the string, including NUL-termination, then the
   string, in one call.  */
void write_text (int socket_fd, const char* text) 
{
   if (uds_send_frame (socket_fd, text, strlen (text) + 1) < 0) {
     fprintf (stderr, "socket-client: %s\n", uds_last_error ());
     exit (1);
   }
}
int main (int argc, char* const argv[]) 
{
   int socket_fd; 
   if (argc < 3) {
     fprintf (stderr, "usage: %s SOCKET-PATH MESSAGE\n", argv[0]);
     return 1;
   }
   const char* const socket_name = argv[1]; 
   const char* const message = argv[2]; 
   /* Create the socket and connect it to the server's name.   */
   socket_fd = uds_dial (socket_name, SOCK_STREAM);
   if (socket_fd < 0) {
     fprintf (stderr, "socket-client: %s\n", uds_last_error ());
     return 1;
   }
   /* Write the text on the command line to the socket.   */ 
   write_text (socket_fd, message); 
   uds_close (socket_fd);
   return 0; 
}
