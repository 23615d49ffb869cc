/* A peer killed (SIGKILL) part-way through a frame or a buffer, while the
   survivor is blocked waiting for the rest: the survivor gets what the
   contract says, at once, never a hang or a crash.
   - receiving: killed inside a length prefix, inside a frame's body, or
     inside a uds_recv_exact buffer: -1/ECONNRESET; killed between frames:
     the frame, then 0 (clean EOF); on blocking and non-blocking sockets.
   - sending: the reader dies after taking part of a 16 MiB frame (or
     uds_send_all buffer): -1/EPIPE, and no SIGPIPE (its default action
     would kill this process). Each case 10 times quick, 100 full. */
#define _GNU_SOURCE
#include <sys/socket.h>
#include "rel.h"

#define BIG (16u << 20)

enum cut { IN_PREFIX, IN_BODY, BETWEEN, IN_EXACT };
static const char *cut_name[] = {"inside a length prefix", "inside a frame body",
                                 "between frames", "inside a uds_recv_exact buffer"};

struct victim {
    int fd;
    enum cut cut;
};

/* The dying writer: waits until the survivor is blocked in its call,
   writes part of what it announced, waits again, and is killed. */
static int dying_writer(void *arg) {
    struct victim *v = arg;
    unsigned char body[600];
    uint32_t len = 1000;
    pattern_fill(body, sizeof body, 7, 0);
    MUST(wait_asleep(getppid()) == 0);
    switch (v->cut) {
    case IN_PREFIX:
        MUST(write(v->fd, &len, 2) == 2);
        break;
    case IN_BODY:
        MUST(write(v->fd, &len, 4) == 4 && write(v->fd, body, sizeof body) == (ssize_t)sizeof body);
        break;
    case BETWEEN:
        MUST(uds_send_frame(v->fd, body, sizeof body) == 0);
        break;
    case IN_EXACT:
        MUST(write(v->fd, body, sizeof body) == (ssize_t)sizeof body);
        break;
    }
    MUST(wait_asleep(getppid()) == 0); /* blocked again, for the rest */
    raise(SIGKILL);
    return 99;
}

/* A non-blocking call that found nothing whole waits in poll, asleep, so
   that the writer sees it blocked: for data when nothing is queued, and
   for the peer's end when part of what it needs is (a non-blocking call
   never takes part of a frame, so the socket stays readable meanwhile). */
static int again(int r, int fd) {
    struct pollfd p;
    if (r != -1 || errno != EAGAIN)
        return 0;
    p.fd = fd;
    p.events = uds_pending(fd) > 0 ? POLLRDHUP : POLLIN;
    MUST(poll(&p, 1, -1) == 1);
    return 1;
}

static void killed_writer(enum cut cut, int type) {
    static unsigned char buf[4096];
    struct victim v;
    int sv[2], r;
    size_t len = 0;
    pid_t pid;

    MUST(uds_socketpair(type, sv) == 0);
    v.fd = sv[1];
    v.cut = cut;
    pid = spawn(dying_writer, &v);
    close(sv[1]);
    errno = 0;
    if (cut == IN_EXACT) {
        ssize_t n;
        do
            n = uds_recv_exact(sv[0], buf, 1000);
        while (again((int)n, sv[0]));
        CHECK(n == -1 && errno == ECONNRESET);
        CHECK(pattern_check(buf, 600, 7, 0) == 600); /* what came is in buf */
    } else {
        do
            r = uds_recv_frame(sv[0], buf, sizeof buf, &len);
        while (again(r, sv[0]));
        if (cut == BETWEEN) {
            CHECK(r == 1 && len == 600);
            do
                r = uds_recv_frame(sv[0], buf, sizeof buf, &len);
            while (again(r, sv[0]));
            CHECK(r == 0);
        } else {
            CHECK(r == -1 && errno == ECONNRESET);
            CHECK(strncmp(uds_last_error(), "uds_recv_frame: ", 16) == 0);
        }
    }
    CHECK(reap(pid) == 128 + SIGKILL);
    close(sv[0]);
}

/* The dying reader: takes 100 KiB of what is being sent, and is killed. */
static int dying_reader(void *arg) {
    static unsigned char buf[100 << 10];
    int fd = *(int *)arg;
    MUST(uds_recv_exact(fd, buf, sizeof buf) == (ssize_t)sizeof buf);
    raise(SIGKILL);
    return 99;
}

static void killed_reader(int frame) {
    unsigned char *big = malloc(BIG);
    int sv[2];
    pid_t pid;

    MUST(big != NULL && uds_socketpair(SOCK_STREAM, sv) == 0);
    memset(big, 'x', BIG);
    pid = spawn(dying_reader, &sv[1]);
    close(sv[1]);
    if (frame)
        EXPECT_ERR(uds_send_frame(sv[0], big, BIG), EPIPE, "uds_send_frame");
    else
        EXPECT_ERR(uds_send_all(sv[0], big, BIG), EPIPE, "uds_send_all");
    EXPECT_ERR(uds_send(sv[0], "x", 1, 0), EPIPE, "uds_send");
    CHECK(reap(pid) == 128 + SIGKILL);
    close(sv[0]);
    free(big);
}

int main(void) {
    int rounds = (int)rel_size(2, 10, 100), i;
    enum cut c;
    double t0 = now_s();

    signal(SIGPIPE, SIG_DFL); /* a SIGPIPE would end this test */
    for (i = 0; i < rounds; i++)
        for (c = IN_PREFIX; c <= IN_EXACT; c++) {
            killed_writer(c, SOCK_STREAM);
            killed_writer(c, SOCK_STREAM | SOCK_NONBLOCK);
        }
    for (c = IN_PREFIX; c <= IN_EXACT; c++)
        printf("# writer killed %s while the reader waited (blocking, non-blocking): %s, %d times each\n",
               cut_name[c], c == BETWEEN ? "the frame, then EOF" : "ECONNRESET", rounds);
    for (i = 0; i < rounds; i++) {
        killed_reader(1);
        killed_reader(0);
    }
    printf("# reader killed after 100 KiB of a 16 MiB uds_send_frame / uds_send_all: EPIPE, "
           "no SIGPIPE, %d times each (%.1f s)\n", rounds, now_s() - t0);
    DONE();
}
