/* Hostile length prefixes. A peer announces a frame of 2^32-1 or 2^31
   bytes (and really sends them): uds_recv_frame with a 64 KiB buffer
   allocates nothing of that size (the receiving process runs under an
   RLIMIT_AS far below it), fails with EMSGSIZE and *len_out = the size,
   and the frame after it arrives intact: the stream stayed in step.
   A peer that announces 2^32-1 bytes and hangs up after a few: ECONNRESET
   at once. Both sizes run in quick and full mode (the drain is fast).
   A peer that announces 1000 bytes, sends 10 and stalls, alive: the
   receiver, blocked in uds_recv_frame for the rest (the library finishes
   what it started, on blocking and non-blocking sockets alike), is freed
   by the watchdog SECURITY.md describes: another thread's
   shutdown(SHUT_RD), which ends the call with ECONNRESET. */
#define _GNU_SOURCE
#include <pthread.h>
#include <sys/socket.h>
#include "rel.h"

#define CAP 65536
#define CHUNK (1 << 20)

struct hostile {
    int fd;
    uint32_t announce; /* the length prefix */
    uint64_t send;     /* body bytes actually sent before the next frame */
    int hang_up;       /* close after the body instead of sending a frame */
};

/* The hostile peer: a raw prefix, `send` bytes, then a well-formed frame. */
static int hostile_peer(void *arg) {
    struct hostile *h = arg;
    static unsigned char junk[CHUNK];
    uint64_t left = h->send;
    memset(junk, 0xA5, sizeof junk);
    if (uds_send_all(h->fd, &h->announce, sizeof h->announce) != 0)
        return 1;
    while (left > 0) {
        size_t n = left < CHUNK ? (size_t)left : CHUNK;
        if (uds_send_all(h->fd, junk, n) != 0)
            return 1;
        left -= n;
    }
    if (!h->hang_up && uds_send_frame(h->fd, "in step", 7) != 0)
        return 1;
    return 0;
}

/* Current address-space size, from /proc/self/statm. */
static size_t vm_bytes(void) {
    FILE *f = fopen("/proc/self/statm", "r");
    unsigned long pages = 0;
    MUST(f && fscanf(f, "%lu", &pages) == 1);
    fclose(f);
    return (size_t)pages * (size_t)sysconf(_SC_PAGESIZE);
}

static void one(uint32_t announce, uint64_t send, int hang_up) {
    static unsigned char buf[CAP];
    struct hostile h;
    int sv[2], r, limited = 0;
    size_t len = 0;
    pid_t pid;
    double t0 = now_s();

    MUST(uds_socketpair(SOCK_STREAM, sv) == 0);
    h.fd = sv[1];
    h.announce = announce;
    h.send = send;
    h.hang_up = hang_up;
    pid = spawn(hostile_peer, &h);
    close(sv[1]);

    /* 512 MiB more than now: an allocation of the announced size fails. */
    if (!rel_under("--sanitize") && !rel_under("--valgrind")) {
        struct rlimit old, rl;
        MUST(getrlimit(RLIMIT_AS, &old) == 0);
        rl = old;
        rl.rlim_cur = vm_bytes() + ((size_t)512 << 20);
        MUST(setrlimit(RLIMIT_AS, &rl) == 0);
        limited = 1;
        errno = 0;
        r = uds_recv_frame(sv[0], buf, sizeof buf, &len);
        MUST(setrlimit(RLIMIT_AS, &old) == 0);
    } else {
        errno = 0;
        r = uds_recv_frame(sv[0], buf, sizeof buf, &len);
    }
    if (!hang_up) {
        CHECK(r == -1 && errno == EMSGSIZE && len == announce);
        CHECK(strncmp(uds_last_error(), "uds_recv_frame: ", 16) == 0);
        r = uds_recv_frame(sv[0], buf, sizeof buf, &len);
        CHECK(r == 1 && len == 7 && memcmp(buf, "in step", 7) == 0);
        CHECK(uds_recv_frame(sv[0], buf, sizeof buf, &len) == 0);
    } else {
        CHECK(r == -1 && errno == ECONNRESET);
    }
    CHECK(reap(pid) == 0);
    close(sv[0]);
    printf("# prefix %lu, %llu body bytes%s: %s in %.2f s%s\n", (unsigned long)announce,
           (unsigned long long)send, hang_up ? " then hang-up" : " then a frame",
           hang_up ? "ECONNRESET" : "EMSGSIZE, next frame intact", now_s() - t0,
           limited ? ", under RLIMIT_AS = size now + 512 MiB" : "");
}

static int written[2]; /* the stalling peer says it has written */

static int stalling_peer(void *arg) {
    int *sv = arg, fd = sv[1];
    uint32_t len = 1000;
    close(sv[0]); /* so that the receiver's close is an end of file here */
    MUST(fcntl(fd, F_SETFL, 0) == 0); /* wait for it blocking */
    MUST(write(fd, &len, 4) == 4 && write(fd, "0123456789", 10) == 10);
    tell(written[1], 'w');
    (void)heard(fd); /* stalls until the receiver closes */
    return 0;
}

/* The watchdog: once the receiver has taken the 14 bytes and is blocked
   for the rest, shut its reading down. */
static void *watchdog(void *arg) {
    int fd = *(int *)arg;
    MUST(heard(written[0]) == 'w');
    do
        MUST(wait_asleep(getpid()) == 0); /* the main thread */
    while (uds_pending(fd) != 0);
    MUST(shutdown(fd, SHUT_RD) == 0);
    return NULL;
}

static void stalled(int type) {
    static unsigned char buf[CAP];
    int sv[2], r;
    size_t len;
    pthread_t t;
    pid_t pid;

    MUST(uds_socketpair(type, sv) == 0 && pipe2(written, O_CLOEXEC) == 0);
    pid = spawn(stalling_peer, sv);
    close(sv[1]);
    MUST(pthread_create(&t, NULL, watchdog, &sv[0]) == 0);
    do {
        struct pollfd p;
        errno = 0;
        r = uds_recv_frame(sv[0], buf, sizeof buf, &len);
        p.fd = sv[0];
        p.events = POLLIN;
        if (r == -1 && errno == EAGAIN) /* non-blocking, before the first byte */
            MUST(poll(&p, 1, -1) == 1);
    } while (r == -1 && errno == EAGAIN);
    CHECK(r == -1 && errno == ECONNRESET);
    MUST(pthread_join(t, NULL) == 0);
    close(sv[0]);
    close(written[0]);
    close(written[1]);
    CHECK(reap(pid) == 0);
    printf("# prefix 1000, 10 bytes, then a stall (%s): blocked until another thread's "
           "shutdown(SHUT_RD), then ECONNRESET\n", type & SOCK_NONBLOCK ? "non-blocking" : "blocking");
}

/* The same stall on a non-blocking socket: the call never waits. It
   fails with EAGAIN at once, consuming nothing, however often it is
   called; once the peer hangs up, it reads what there is and reports
   ECONNRESET. */
static void stalled_nonblocking(void) {
    static unsigned char buf[CAP];
    int sv[2], i, again = 0;
    size_t len;
    pid_t pid;

    MUST(uds_socketpair(SOCK_STREAM | SOCK_NONBLOCK, sv) == 0 && pipe2(written, O_CLOEXEC) == 0);
    pid = spawn(stalling_peer, sv);
    close(sv[1]);
    MUST(heard(written[0]) == 'w');
    for (i = 0; i < 100; i++) {
        errno = 0;
        again += uds_recv_frame(sv[0], buf, sizeof buf, &len) == -1 && errno == EAGAIN;
    }
    CHECK(again == 100);
    CHECK(uds_pending(sv[0]) == 14);
    /* The peer stalls until this side goes: shut down our reading, which
       the next call sees as the end. */
    MUST(shutdown(sv[0], SHUT_RD) == 0);
    errno = 0;
    CHECK(uds_recv_frame(sv[0], buf, sizeof buf, &len) == -1 && errno == ECONNRESET);
    close(sv[0]);
    close(written[0]);
    close(written[1]);
    CHECK(reap(pid) == 0);
    printf("# prefix 1000, 10 bytes, then a stall (non-blocking): EAGAIN 100 times with nothing "
           "consumed, then ECONNRESET once reading is shut down\n");
}

int main(void) {
    one(UINT32_MAX, UINT32_MAX, 0);
    one(UINT32_C(1) << 31, UINT64_C(1) << 31, 0);
    one(UINT32_MAX, 1000, 1);
    one(UINT32_C(1) << 31, 0, 1);
    stalled(SOCK_STREAM);
    stalled_nonblocking();
    DONE();
}
