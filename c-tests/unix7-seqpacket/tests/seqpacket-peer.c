/*
 * seqpacket-peer.c - a scriptable SOCK_SEQPACKET peer for the bug tests.
 *
 * Not part of the document: it lets a test put the man page's server in
 * the exact situation a bug needs (a client that leaves without END, a
 * client that hangs up before the result, a late reader) without racing.
 * Plain sockets on purpose, so it does not depend on the library under test.
 *
 *   seqpacket-peer PATH OP...
 *     cN       connect slot N (0-7) to PATH
 *     sN:TEXT  send TEXT and its NUL as one packet on slot N
 *     rN       read one packet on slot N; print "Result = TEXT", "EOF",
 *              or "read: <error>"
 *     hN       wait (at most 10 s) until the peer of slot N has hung up
 *     xN       close slot N
 *     l        bind PATH and listen (the socket file is removed at exit)
 *     aN       accept one connection into slot N
 *     wN:TEXT  read packets on slot N until one is TEXT (or EOF)
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#define SLOTS 8

static int slot[SLOTS];
static int listener = -1;
static const char *path;

static void die(const char *what)
{
    fprintf(stderr, "seqpacket-peer: %s: %s\n", what, strerror(errno));
    if (listener != -1)
        unlink(path);
    exit(1);
}

static void set_address(struct sockaddr_un *a)
{
    memset(a, 0, sizeof(*a));
    a->sun_family = AF_UNIX;
    if (strlen(path) >= sizeof(a->sun_path)) {
        errno = ENAMETOOLONG;
        die(path);
    }
    strcpy(a->sun_path, path);
}

int main(int argc, char *argv[])
{
    struct sockaddr_un addr;
    char buf[64];
    int i;

    if (argc < 3) {
        fprintf(stderr, "usage: seqpacket-peer PATH OP...\n");
        return 2;
    }
    path = argv[1];
    signal(SIGPIPE, SIG_IGN);
    for (i = 0; i < SLOTS; i++)
        slot[i] = -1;

    for (i = 2; i < argc; i++) {
        const char *op = argv[i];
        int n = (op[0] && op[1] >= '0' && op[1] < '0' + SLOTS) ? op[1] - '0' : -1;
        const char *text = strchr(op, ':') ? strchr(op, ':') + 1 : "";
        ssize_t got;

        switch (op[0]) {
        case 'l':
            listener = socket(AF_UNIX, SOCK_SEQPACKET, 0);
            if (listener == -1)
                die("socket");
            set_address(&addr);
            if (bind(listener, (struct sockaddr *)&addr, sizeof(addr)) == -1)
                die("bind");
            if (listen(listener, 8) == -1)
                die("listen");
            continue;
        default:
            break;
        }
        if (n < 0) {
            fprintf(stderr, "seqpacket-peer: bad op '%s'\n", op);
            return 2;
        }
        switch (op[0]) {
        case 'c':
            slot[n] = socket(AF_UNIX, SOCK_SEQPACKET, 0);
            if (slot[n] == -1)
                die("socket");
            set_address(&addr);
            if (connect(slot[n], (struct sockaddr *)&addr, sizeof(addr)) == -1)
                die("connect");
            break;
        case 'a':
            slot[n] = accept(listener, NULL, NULL);
            if (slot[n] == -1)
                die("accept");
            break;
        case 's':
            if (write(slot[n], text, strlen(text) + 1) == -1) {
                printf("write: %s\n", strerror(errno));
                fflush(stdout);
            }
            break;
        case 'r':
            got = read(slot[n], buf, sizeof(buf) - 1);
            if (got > 0) {
                buf[got] = '\0';
                printf("Result = %s\n", buf);
            } else if (got == 0) {
                printf("EOF\n");
            } else {
                printf("read: %s\n", strerror(errno));
            }
            fflush(stdout);
            break;
        case 'w':
            do {
                got = read(slot[n], buf, sizeof(buf) - 1);
                if (got < 0)
                    die("read");
                buf[got > 0 ? got : 0] = '\0';
            } while (got > 0 && strcmp(buf, text) != 0);
            break;
        case 'h': {
            struct pollfd p = { slot[n], POLLRDHUP, 0 };
            int tries;
            for (tries = 0; tries < 1000; tries++) {
                if (poll(&p, 1, 10) == -1)
                    die("poll");
                if (p.revents & (POLLHUP | POLLRDHUP))
                    break;
            }
            if (tries == 1000) {
                fprintf(stderr, "seqpacket-peer: the peer did not hang up\n");
                return 3;
            }
            break;
        }
        case 'x':
            close(slot[n]);
            slot[n] = -1;
            break;
        default:
            fprintf(stderr, "seqpacket-peer: bad op '%s'\n", op);
            return 2;
        }
    }
    if (listener != -1) {
        close(listener);
        unlink(path);
    }
    return 0;
}
