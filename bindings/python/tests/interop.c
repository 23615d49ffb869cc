/* A C peer for the Python binding's interop tests, built against the
 * installed libudsock with the flags pkg-config gives for udsock.
 *
 *   interop recv-fd PATH  dial PATH, receive one fd (uds_recv_fds) and write
 *                         a greeting that quotes the message into it
 *   interop send-fd PATH  dial PATH, send the write end of a new pipe
 *                         (uds_send_fds), print what arrives through it
 *   interop frames PATH   dial PATH, echo frames upper-cased until EOF
 */
#define _POSIX_C_SOURCE 200809L
#include <udsock.h>

#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static int fail(const char *what)
{
    fprintf(stderr, "interop: %s failed: %s\n", what, uds_last_error());
    return 1;
}

static int recv_fd_mode(int sock)
{
    char buf[64];
    int fds[4];
    size_t nfds = 4;
    ssize_t n = uds_recv_fds(sock, buf, sizeof buf - 1, fds, &nfds);
    if (n < 0)
        return fail("uds_recv_fds");
    if (nfds != 1) {
        fprintf(stderr, "interop: expected 1 fd, got %zu\n", nfds);
        return 1;
    }
    buf[n] = '\0';
    char line[128];
    int len = snprintf(line, sizeof line, "hello from C, you said '%s'\n", buf);
    if (write(fds[0], line, (size_t)len) != len) {
        perror("interop: write");
        return 1;
    }
    close(fds[0]);
    return 0;
}

static int send_fd_mode(int sock)
{
    int p[2];
    if (pipe(p) < 0) {
        perror("interop: pipe");
        return 1;
    }
    if (uds_send_fds(sock, "pipe", 4, &p[1], 1) < 0)
        return fail("uds_send_fds");
    close(p[1]);
    char buf[256];
    size_t used = 0;
    ssize_t n;
    while (used < sizeof buf - 1 &&
           (n = read(p[0], buf + used, sizeof buf - 1 - used)) > 0)
        used += (size_t)n;
    buf[used] = '\0';
    printf("C read: %s", buf);
    return 0;
}

static int frames_mode(int sock)
{
    char buf[4096];
    size_t len;
    int r;
    while ((r = uds_recv_frame(sock, buf, sizeof buf, &len)) == 1) {
        for (size_t i = 0; i < len; i++)
            buf[i] = (char)toupper((unsigned char)buf[i]);
        if (uds_send_frame(sock, buf, len) < 0)
            return fail("uds_send_frame");
    }
    return r == 0 ? 0 : fail("uds_recv_frame");
}

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: interop recv-fd|send-fd|frames PATH\n");
        return 2;
    }
    int sock = uds_dial(argv[2], SOCK_STREAM);
    if (sock < 0)
        return fail("uds_dial");
    int rc;
    if (strcmp(argv[1], "recv-fd") == 0)
        rc = recv_fd_mode(sock);
    else if (strcmp(argv[1], "send-fd") == 0)
        rc = send_fd_mode(sock);
    else if (strcmp(argv[1], "frames") == 0)
        rc = frames_mode(sock);
    else
        rc = 2;
    if (uds_close(sock) < 0)
        return fail("uds_close");
    return rc;
}
