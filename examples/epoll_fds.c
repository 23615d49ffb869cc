/*
 * epoll_fds.c - an epoll server that serves many clients passing fds,
 * with the resumable frame reader and writer (uds_reader_*, uds_writer_send).
 *
 * Each client process connects, and three times sends a frame "hello N"
 * with the write end of a pipe; the server writes a line into that pipe
 * and replies with a frame telling how many bytes it wrote. The client
 * checks the line and the reply. Every socket of the server is
 * non-blocking; a frame may arrive in any number of pieces and a reply
 * may go out in several, and nothing waits.
 *
 *   cc -std=c99 -Wall -Wextra examples/epoll_fds.c -o epoll_fds $(pkg-config --cflags --libs udsock)
 *   ./epoll_fds [clients]        (default 50; exits 0 when every exchange checked out)
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>
#include <poll.h>

#include <udsock.h>

#define ROUNDS 3
#define MAX_FRAME 4096
#define MAX_FDS 4

typedef struct conn {
    int fd;
    uds_reader *r;
    uds_writer w;           /* the reply in progress, if w.total > 0 */
    char reply[64];
    size_t reply_len;
} conn;

static int fail(const char *what) {
    fprintf(stderr, "epoll_fds: %s: %s\n", what, uds_last_error()[0] ? uds_last_error() : strerror(errno));
    return -1;
}

/* ---- the client: a child process with blocking calls ---------------- */

static int client(const char *addr, int id) {
    int s = uds_dial(addr, SOCK_STREAM), round;
    if (s < 0)
        return fail("uds_dial");
    for (round = 0; round < ROUNDS; round++) {
        char msg[64], line[128], want[128], reply[64];
        int p[2];
        uds_writer w = {0, 0};
        size_t len;
        ssize_t n;
        if (pipe2(p, O_CLOEXEC) != 0)
            return fail("pipe2");
        snprintf(msg, sizeof msg, "hello %d.%d", id, round);
        /* uds_writer_send never waits: wait for room when the socket is full. */
        while (uds_writer_send(&w, s, msg, strlen(msg), &p[1], 1) != 0) {
            struct pollfd pf = {s, POLLOUT, 0};
            if (errno != EAGAIN || poll(&pf, 1, -1) < 0)
                return fail("uds_writer_send");
        }
        close(p[1]); /* the server holds its own copy now */
        if (uds_recv_frame(s, reply, sizeof reply - 1, &len) != 1)
            return fail("uds_recv_frame");
        reply[len] = '\0';
        n = read(p[0], line, sizeof line - 1);
        close(p[0]);
        snprintf(want, sizeof want, "server saw \"%s\"\n", msg);
        if (n != (ssize_t)strlen(want) || memcmp(line, want, (size_t)n) != 0 || atoi(reply) != (int)n) {
            fprintf(stderr, "epoll_fds: client %d: wrong line or reply \"%s\"\n", id, reply);
            return -1;
        }
    }
    close(s);
    return 0;
}

/* ---- the server: one thread, epoll, non-blocking everything --------- */

static void drop_conn(int ep, conn *c) {
    epoll_ctl(ep, EPOLL_CTL_DEL, c->fd, NULL);
    close(c->fd);
    uds_reader_free(c->r); /* closes fds of a partial frame */
    free(c);
}

/* Sends the reply in progress; 1 when done, 0 when the socket is full, -1 on error. */
static int flush(int ep, conn *c) {
    struct epoll_event ev;
    if (uds_writer_send(&c->w, c->fd, c->reply, c->reply_len, NULL, 0) == 0) {
        ev.events = EPOLLIN;
        ev.data.ptr = c;
        epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &ev);
        return 1;
    }
    if (errno != EAGAIN)
        return fail("uds_writer_send");
    ev.events = EPOLLOUT; /* stop reading until the reply is out */
    ev.data.ptr = c;
    epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &ev);
    return 0;
}

/* Serves frames until the socket has no more; 1 when the client is gone. */
static int serve(int ep, conn *c) {
    while (c->w.total == 0) {
        const void *frame;
        size_t len, nfds = MAX_FDS;
        int fds[MAX_FDS], rc = uds_reader_read(c->r, c->fd, &frame, &len, fds, &nfds);
        char line[MAX_FRAME + 32];
        ssize_t n = -1;
        size_t i;
        if (rc == 0)
            return 1;
        if (rc < 0 && errno == EINPROGRESS)
            continue; /* a trickling peer: the reader stopped after 64 reads */
        if (rc < 0)
            return errno == EAGAIN ? 0 : (fail("uds_reader_read"), 1);
        if (nfds == 1) {
            int k = snprintf(line, sizeof line, "server saw \"%.*s\"\n", (int)len, (const char *)frame);
            n = write(fds[0], line, (size_t)k);
        }
        for (i = 0; i < nfds; i++)
            close(fds[i]);
        c->reply_len = (size_t)snprintf(c->reply, sizeof c->reply, "%zd", n);
        if (flush(ep, c) < 0)
            return 1;
    }
    return 0;
}

static int server(int listener, int clients) {
    int ep = epoll_create1(EPOLL_CLOEXEC), gone = 0;
    struct epoll_event ev;
    if (ep < 0)
        return fail("epoll_create1");
    ev.events = EPOLLIN;
    ev.data.ptr = NULL; /* the listener */
    epoll_ctl(ep, EPOLL_CTL_ADD, listener, &ev);
    while (gone < clients) {
        struct epoll_event evs[64];
        int n = epoll_wait(ep, evs, 64, 10000), i;
        if (n <= 0)
            return fail(n == 0 ? "no client for 10 s" : "epoll_wait");
        for (i = 0; i < n; i++) {
            conn *c = evs[i].data.ptr;
            if (c == NULL) {
                int fd = uds_accept(listener, SOCK_NONBLOCK);
                if (fd < 0) {
                    if (errno != EAGAIN)
                        return fail("uds_accept");
                    continue;
                }
                c = calloc(1, sizeof *c);
                if (c == NULL || (c->r = uds_reader_new(MAX_FRAME, MAX_FDS)) == NULL)
                    return fail("out of memory");
                c->fd = fd;
                ev.events = EPOLLIN;
                ev.data.ptr = c;
                epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
                continue;
            }
            if (c->w.total > 0 && flush(ep, c) == 0)
                continue;
            if (serve(ep, c)) {
                drop_conn(ep, c);
                gone++;
            }
        }
    }
    close(ep);
    return 0;
}

int main(int argc, char **argv) {
    int clients = argc > 1 ? atoi(argv[1]) : 50, i, bad = 0, listener;
    char addr[64];
    snprintf(addr, sizeof addr, "@udsock-epoll-fds-%d", (int)getpid());
    listener = uds_listener(addr, SOCK_STREAM | SOCK_NONBLOCK, 0, -1, 0);
    if (listener < 0)
        return fail("uds_listener"), 1;
    for (i = 0; i < clients; i++) {
        pid_t pid = fork();
        if (pid == 0) {
            close(listener);
            _exit(client(addr, i) == 0 ? 0 : 1);
        }
        if (pid < 0)
            return fail("fork"), 1;
    }
    if (server(listener, clients) != 0)
        return 1; /* the children see the sockets close and exit */
    for (i = 0; i < clients; i++) {
        int status;
        if (wait(&status) < 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
            bad = 1;
    }
    uds_close(listener);
    printf("%d clients x %d frames with an fd each: %s\n", clients, ROUNDS, bad ? "FAILED" : "all served");
    return bad;
}
