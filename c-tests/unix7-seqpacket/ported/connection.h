/*
 * File connection.h
 */

/* Test hook: SOCKET_NAME may be given with -D so that a test can run the
   programs in a private directory; the default is the man page's. */
#ifndef SOCKET_NAME
#define SOCKET_NAME "/tmp/9Lq7BNBnBycd6nxy.socket"
#endif
#define BUFFER_SIZE 12
