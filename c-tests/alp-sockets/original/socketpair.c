/* socketpair.c - two-way communication between related processes.

   Section 5.5.7 (Socket Pairs) describes socketpair but prints no
   listing; this program is ours, written in the style of the chapter's
   listings. The parent sends a message to its child through one socket
   of the pair, the child answers through the other: unlike a pipe, each
   socket can be both written and read.  */
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

/* Read one message from SOCKET_FD into BUFFER (of SIZE bytes) and
   terminate it. Return its length, or -1 on an error or end of file.  */
ssize_t read_text (int socket_fd, char* buffer, size_t size)
{
  ssize_t length = read (socket_fd, buffer, size - 1);
  if (length <= 0)
    return -1;
  buffer[length] = '\0';
  return length;
}

int main ()
{
  int fds[2];
  pid_t pid;
  char buffer[64];

  /* Create two connected sockets. The namespace must be PF_LOCAL.  */
  if (socketpair (PF_LOCAL, SOCK_STREAM, 0, fds) == -1) {
    perror ("socketpair");
    return 1;
  }
  pid = fork ();
  if (pid == -1) {
    perror ("fork");
    return 1;
  }
  if (pid == 0) {
    /* This is the child process. It keeps fds[1].  */
    close (fds[0]);
    if (read_text (fds[1], buffer, sizeof (buffer)) < 0)
      return 1;
    printf ("child: the parent says \"%s\"\n", buffer);
    fflush (stdout);
    /* Answer through the same socket.  */
    write (fds[1], "pong", strlen ("pong"));
    close (fds[1]);
    return 0;
  }
  /* This is the parent process. It keeps fds[0].  */
  close (fds[1]);
  write (fds[0], "ping", strlen ("ping"));
  if (read_text (fds[0], buffer, sizeof (buffer)) < 0)
    return 1;
  printf ("parent: the child says \"%s\"\n", buffer);
  close (fds[0]);
  waitpid (pid, NULL, 0);
  return 0;
}
