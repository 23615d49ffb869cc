/* Load under signals: a stream sent with uds_send_all and received with
   uds_recv_exact, in chunks of random sizes (1 byte to 4 MiB), while in both
   processes a timer delivers SIGALRM every millisecond to a handler
   installed without SA_RESTART. The contract: a call that has moved
   nothing returns EINTR (the caller retries), one that has moved part of
   its buffer carries on. The receiver checks every byte against the
   pattern, and the end of the stream comes exactly where it should.
   Run once on blocking sockets and once on non-blocking ones (where the
   library waits with poll once part of a buffer has moved; the caller
   polls when a call moved nothing and says EAGAIN).
   Sizes: 32 MiB (+ 8 MiB non-blocking) quick, 256 MiB (+ 64 MiB) full. */
#define _GNU_SOURCE
#include <sys/socket.h>
#include <sys/time.h>
#include "rel.h"

#define MAX_CHUNK (4u << 20)
#define SEED 0x5167
#define RETRY(call, sock, ev, eintr, eagain)                                 \
    for (;;) {                                                               \
        long r_ = (long)(call);                                              \
        if (r_ == -1 && errno == EINTR) {                                    \
            eintr++;                                                         \
        } else if (r_ == -1 && errno == EAGAIN) {                            \
            struct pollfd p_;                                                \
            p_.fd = (sock);                                                  \
            p_.events = ev;                                                  \
            eagain++;                                                        \
            poll(&p_, 1, -1);                                                \
        } else {                                                             \
            result = r_;                                                     \
            break;                                                           \
        }                                                                    \
    }

static volatile sig_atomic_t signals;
static uint64_t total;
static size_t interval_us; /* 1 ms; 20 ms under Valgrind, which is slow to deliver them */

static void on_alarm(int sig) {
    (void)sig;
    signals++;
}

/* SIGALRM every millisecond, handler without SA_RESTART. */
static void start_timer(void) {
    struct itimerval it;
    MUST(catch_signal(SIGALRM, on_alarm, NULL) == 0);
    it.it_interval.tv_sec = 0;
    it.it_interval.tv_usec = (long)interval_us;
    it.it_value = it.it_interval;
    MUST(setitimer(ITIMER_REAL, &it, NULL) == 0);
}

static void stop_timer(void) {
    struct itimerval it;
    memset(&it, 0, sizeof it);
    MUST(setitimer(ITIMER_REAL, &it, NULL) == 0);
}

/* 1 byte to 2 << shift bytes (4 MiB), every order of magnitude about as
   likely. On a non-blocking socket a call never waits: uds_send_all takes
   chunks the socket can promise to take whole (up to 64 KiB here), and
   uds_recv_exact completes only once its chunk is queued whole, which a
   sender of 1-byte writes (about 1 KiB of send buffer each) may never
   allow for more than a few hundred bytes: its chunks stay below 128. */
static int send_shift = 22, recv_shift = 22;

static size_t chunk(uint64_t *s, uint64_t left, int shift) {
    size_t n = 1 + (size_t)(rnd(s) % ((size_t)2 << rnd(s) % shift));
    return n < left ? n : (size_t)left;
}

static int sender(void *arg) {
    int fd = *(int *)arg;
    unsigned char *buf = malloc(MAX_CHUNK);
    uint64_t off = 0, s = 1;
    unsigned long calls = 0, eintr = 0, eagain = 0;
    long result = 0;

    MUST(buf != NULL);
    signals = 0;
    start_timer();
    while (off < total) {
        size_t n = chunk(&s, total - off, send_shift);
        pattern_fill(buf, n, SEED, off);
        RETRY(uds_send_all(fd, buf, n), fd, POLLOUT, eintr, eagain);
        calls++;
        if (result != 0) {
            CHECK(result == 0);
            break;
        }
        off += n;
    }
    stop_timer();
    CHECK(uds_close(fd) == 0);
    free(buf);
    printf("# sender: %lu uds_send_all calls, %d signals, %lu EINTR before any byte, %lu EAGAIN\n",
           calls, (int)signals, eintr, eagain);
    return child_result();
}

static void run(int type) {
    unsigned char *buf;
    uint64_t off = 0, s = 2;
    unsigned long calls = 0, eintr = 0, eagain = 0;
    long result = 0;
    int sv[2], bad = 0;
    pid_t pid;
    double t0 = now_s();

    MUST(uds_socketpair(type, sv) == 0);
    pid = spawn(sender, &sv[1]);
    close(sv[1]);
    buf = malloc(MAX_CHUNK); /* after the fork: not the child's to free */
    MUST(buf != NULL);
    signals = 0;
    start_timer();
    while (off < total) {
        size_t n = chunk(&s, total - off, recv_shift), at;
        RETRY(uds_recv_exact(sv[0], buf, n), sv[0], POLLIN, eintr, eagain);
        calls++;
        if (result != (long)n) {
            CHECK(result == (long)n);
            fprintf(stderr, "at %llu: %s\n", (unsigned long long)off, uds_last_error());
            break;
        }
        at = pattern_check(buf, n, SEED, off);
        if (at != n && bad++ == 0)
            fprintf(stderr, "byte %llu differs\n", (unsigned long long)(off + at));
        off += n;
    }
    RETRY(uds_recv_exact(sv[0], buf, 1), sv[0], POLLIN, eintr, eagain);
    stop_timer();
    CHECK(result == 0); /* the end, exactly there */
    CHECK(bad == 0 && off == total);
    CHECK(signals > 0);
    CHECK(reap(pid) == 0);
    close(sv[0]);
    free(buf);
    printf("# %s: %llu MiB byte-exact in %.2f s, SIGALRM every %zu us; receiver: %lu "
           "uds_recv_exact calls, %d signals, %lu EINTR before any byte, %lu EAGAIN\n",
           type & SOCK_NONBLOCK ? "non-blocking" : "blocking", (unsigned long long)(total >> 20),
           now_s() - t0, interval_us, calls, (int)signals, eintr, eagain);
}

int main(void) {
    total = (uint64_t)rel_size(4, 32, 256) << 20;
    interval_us = rel_size(20000, 1000, 1000);
    run(SOCK_STREAM);
    total /= 4;
    send_shift = 15;
    recv_shift = 6;
    run(SOCK_STREAM | SOCK_NONBLOCK);
    DONE();
}
