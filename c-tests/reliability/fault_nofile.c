/* Descriptors arriving at a receiver that is at, or near, its
   RLIMIT_NOFILE. The receiver keeps exactly `room` descriptor slots free
   (the rest of its limit taken by /dev/null), and a message with 10
   descriptors arrives:
   - uds_recv_fds: -1 with EXFULL (the CTRUNC rule: every descriptor that
     arrived is closed, *nfds = 0) or EMFILE; nothing leaked;
   - uds_recv_fd, with no slot at all: a clear error (EXFULL or EMFILE);
   - uds_recvmsg: the message, UDS_MSG_CTRUNC, and exactly the `room`
     descriptors that fit, each valid;
   and after each, with the limit restored, the same connection carries the
   next message and its descriptors intact. On SOCK_STREAM and
   SOCK_SEQPACKET, with room 0, 1 and 3. And descriptors sent to a
   receiver that reads with plain uds_recv are never installed. (Valgrind
   only emulates the limit: this test says so and does nothing under it.) */
#define _GNU_SOURCE
#include <sys/socket.h>
#include "rel.h"

#define SENT 10

static int files[SENT];
static struct rlimit saved;

/* Takes every free slot under a lowered limit but `room`. Returns how many
   fillers it opened (their fds are 'fill[0..n)'). */
static int squeeze(int room, int *fill, int cap) {
    struct rlimit rl = saved;
    int n = 0;
    rl.rlim_cur = (rlim_t)count_fds() + 16;
    MUST(setrlimit(RLIMIT_NOFILE, &rl) == 0);
    while (n < cap && (fill[n] = open("/dev/null", O_RDONLY | O_CLOEXEC)) >= 0)
        n++;
    MUST(n < cap && errno == EMFILE && n >= room);
    while (room-- > 0)
        close(fill[--n]);
    return n;
}

static void release(int *fill, int n) {
    while (n > 0)
        close(fill[--n]);
    MUST(setrlimit(RLIMIT_NOFILE, &saved) == 0);
}

/* The next message and its descriptors get through intact. */
static int still_usable(int tx, int rx) {
    int fds[SENT];
    size_t nfds = SENT, i;
    char buf[16];
    int ok = uds_send_fds(tx, "after", 5, files, SENT) == 5 &&
             uds_recv_fds(rx, buf, sizeof buf, fds, &nfds) == 5 && memcmp(buf, "after", 5) == 0 &&
             nfds == SENT;
    for (i = 0; ok && i < nfds; i++) {
        struct stat a, b;
        ok = fstat(fds[i], &a) == 0 && fstat(files[i], &b) == 0 && a.st_ino == b.st_ino;
    }
    for (i = 0; i < nfds; i++)
        close(fds[i]);
    return ok;
}

static void run(int type, int room) {
    int sv[2], fill[64], n, fds[SENT], base, i, fd;
    size_t nfds = SENT;
    char buf[16];
    ssize_t r;
    uds_msg m;

    MUST(uds_socketpair(type, sv) == 0);
    base = count_fds();

    /* uds_recv_fds */
    CHECK(uds_send_fds(sv[0], "hello", 5, files, SENT) == 5);
    n = squeeze(room, fill, 64);
    errno = 0;
    r = uds_recv_fds(sv[1], buf, sizeof buf, fds, &nfds);
    CHECK(r == -1 && (errno == EXFULL || errno == EMFILE) && nfds == 0);
    if (r != -1 || (errno != EXFULL && errno != EMFILE))
        fprintf(stderr, "uds_recv_fds with room %d: %zd, %s\n", room, r, uds_last_error());
    CHECK(strncmp(uds_last_error(), "uds_recv_fds: ", 14) == 0);
    release(fill, n);
    CHECK(count_fds() == base);
    CHECK(still_usable(sv[0], sv[1]));

    /* uds_recv_fd, no slot at all */
    if (room == 0) {
        CHECK(uds_send_fd(sv[0], files[0]) == 0);
        n = squeeze(0, fill, 64);
        errno = 0;
        fd = uds_recv_fd(sv[1]);
        CHECK(fd == -1 && (errno == EXFULL || errno == EMFILE));
        if (fd != -1 || (errno != EXFULL && errno != EMFILE))
            fprintf(stderr, "uds_recv_fd at the limit: %d, %s\n", fd, uds_last_error());
        release(fill, n);
        CHECK(count_fds() == base);
        CHECK(still_usable(sv[0], sv[1]));
    }

    /* uds_recvmsg: what fits is delivered, CTRUNC says the rest is not */
    CHECK(uds_send_fds(sv[0], "hello", 5, files, SENT) == 5);
    n = squeeze(room, fill, 64);
    memset(&m, 0, sizeof m);
    m.data = buf;
    m.len = sizeof buf;
    m.fds = fds;
    m.nfds = SENT;
    r = uds_recvmsg(sv[1], &m, 0);
    CHECK(r == 5 && m.len == 5 && (m.flags & UDS_MSG_CTRUNC) && m.nfds == (size_t)room);
    for (i = 0; i < (int)m.nfds && i < SENT; i++) {
        struct stat a, b;
        CHECK(fstat(fds[i], &a) == 0 && fstat(files[i], &b) == 0 && a.st_ino == b.st_ino);
        close(fds[i]);
    }
    release(fill, n);
    CHECK(count_fds() == base);
    CHECK(still_usable(sv[0], sv[1]));
    close(sv[0]);
    close(sv[1]);
}

/* Descriptors sent to a receiver that reads with plain uds_recv (or
   uds_recv_frame, uds_recv_exact): the kernel discards them; none is
   installed, so none can leak. */
static void read_without_fds(int type) {
    int sv[2], base;
    char buf[16];
    MUST(uds_socketpair(type, sv) == 0);
    base = count_fds();
    CHECK(uds_send_fds(sv[0], "plain", 5, files, SENT) == 5);
    CHECK(uds_recv(sv[1], buf, sizeof buf, 0) == 5 && memcmp(buf, "plain", 5) == 0);
    CHECK(count_fds() == base);
    CHECK(still_usable(sv[0], sv[1]));
    close(sv[0]);
    close(sv[1]);
}

int main(void) {
    static const int rooms[] = {0, 1, 3};
    int i, t;
    if (rel_under("--valgrind")) {
        printf("valgrind only emulates RLIMIT_NOFILE\n");
        return REL_SKIP;
    }
    MUST(getrlimit(RLIMIT_NOFILE, &saved) == 0);
    for (i = 0; i < SENT; i++)
        MUST((files[i] = open("/dev/null", O_RDONLY | O_CLOEXEC)) >= 0);
    for (t = 0; t < 2; t++) {
        for (i = 0; i < 3; i++)
            run(t ? SOCK_SEQPACKET : SOCK_STREAM, rooms[i]);
        read_without_fds(t ? SOCK_SEQPACKET : SOCK_STREAM);
    }
    for (i = 0; i < SENT; i++)
        close(files[i]);
    printf("# %d descriptors sent to a receiver with 0, 1, 3 free slots (stream, seqpacket): "
           "uds_recv_fds and uds_recv_fd fail cleanly, uds_recvmsg delivers what fits with "
           "UDS_MSG_CTRUNC; nothing leaked; the connection carries the next message\n", SENT);
    printf("# %d descriptors sent to a receiver reading with plain uds_recv: none installed\n", SENT);
    DONE();
}
