/* Passing descriptors: 1, 16 and 253 on every socket type, within one
   process and across fork(); each received descriptor is checked to be the
   sender's open file description. Limits, EBADF, CTRUNC (EXFULL, and
   uds_recvmsg delivering what fits), a receiver out of descriptor slots,
   the unix(7) stream barrier, the carrier byte, uds_send_fd/uds_recv_fd.
   Every check of "no leak" counts /proc/self/fd before and after. */
#define _GNU_SOURCE
#include <sys/resource.h>
#include <sys/socket.h>
#include <udsock.h>
#include "check.h"
#include "anc.h"

static const int types[3] = {SOCK_STREAM, SOCK_DGRAM, SOCK_SEQPACKET};
static const char *const names[3] = {"stream", "dgram", "seqpacket"};
static const int counts[3] = {1, 16, NFILES};

static char dir[] = "/tmp/udsock-fds-XXXXXX";
static int files[NFILES]; /* file i at offset 3 + i */

/* Receives one message of n descriptors from the set at offset base + i,
   checks them and closes them. */
static void recv_set(int sock, int n, int base, const char *what) {
    int got[NFILES];
    size_t nfds = NFILES;
    char buf[16], want[16];
    ssize_t r = uds_recv_fds(sock, buf, sizeof buf, got, &nfds);
    snprintf(want, sizeof want, "%d", n);
    CHECK(r == (ssize_t)strlen(want) && memcmp(buf, want, (size_t)r) == 0);
    CHECK(nfds == (size_t)n);
    if (nfds != (size_t)n) fprintf(stderr, "%s: %zu fds, want %d\n", what, nfds, n);
    CHECK(same_files(dir, got, (int)nfds, base));
    close_all(got, (int)nfds);
}

static void send_set(int sock, const int *set, int n) {
    char buf[16];
    int len = snprintf(buf, sizeof buf, "%d", n);
    CHECK(uds_send_fds(sock, buf, (size_t)len, set, (size_t)n) == len);
}

static void test_one_process(void) {
    int t, c, sv[2], before;
    for (t = 0; t < 3; t++) {
        for (c = 0; c < 3; c++) {
            CHECK(uds_socketpair(types[t], sv) == 0);
            before = count_fds();
            send_set(sv[0], files, counts[c]);
            recv_set(sv[1], counts[c], 3, names[t]);
            CHECK(count_fds() == before);
            close(sv[0]);
            close(sv[1]);
        }
    }
}

/* The child opens its own descriptions of the files, at offset 5 + i. */
static void child_sends(void *arg) {
    int sock = *(int *)arg, own[NFILES], c;
    CHECK(open_files(dir, own, NFILES, 5) == 0);
    for (c = 0; c < 3; c++) send_set(sock, own, counts[c]);
    CHECK(uds_send_fd(sock, own[7]) == 0);
}

static void child_receives(void *arg) {
    int sock = *(int *)arg, c, fd;
    for (c = 0; c < 3; c++) recv_set(sock, counts[c], 3, "child");
    fd = uds_recv_fd(sock);
    CHECK(fd >= 0 && same_files(dir, &fd, 1, 3));
    close(fd);
}

static void test_across_processes(void) {
    int t, c, sv[2], fd;
    pid_t pid;
    for (t = 0; t < 3; t++) {
        CHECK(uds_socketpair(types[t], sv) == 0);
        pid = spawn(child_sends, &sv[1]);
        for (c = 0; c < 3; c++) recv_set(sv[0], counts[c], 5, names[t]);
        fd = uds_recv_fd(sv[0]);
        /* own[7] is file 7 at offset 5 + 7 */
        CHECK(fd >= 0 && lseek(fd, 0, SEEK_CUR) == 12);
        close(fd);
        CHECK(reap(pid) == 0);

        pid = spawn(child_receives, &sv[1]);
        for (c = 0; c < 3; c++) send_set(sv[0], files, counts[c]);
        CHECK(uds_send_fd(sv[0], files[0]) == 0);
        CHECK(reap(pid) == 0);
        close(sv[0]);
        close(sv[1]);
    }
}

static void test_limits_and_bad_descriptors(void) {
    int sv[2], many[NFILES + 1], got[NFILES], two[2], closed, i;
    size_t n = 1;
    char buf[4];
    CHECK(uds_socketpair(SOCK_DGRAM, sv) == 0);
    for (i = 0; i <= NFILES; i++) many[i] = files[0];
    EXPECT_ERR(uds_send_fds(sv[0], "x", 1, many, NFILES + 1), EINVAL, "uds_send_fds");
    EXPECT_ERR(uds_send_fds(sv[0], "x", 1, many, 0), EINVAL, "uds_send_fds");
    EXPECT_ERR(uds_send_fds(sv[0], "x", 1, NULL, 1), EINVAL, "uds_send_fds");
    EXPECT_ERR(uds_send_fds(sv[0], NULL, 1, many, 1), EINVAL, "uds_send_fds");
    EXPECT_ERR(uds_send_fds(-1, "x", 1, many, 1), EBADF, "uds_send_fds");
    closed = dup(files[0]);
    close(closed);
    two[0] = files[0];
    two[1] = closed;
    EXPECT_ERR(uds_send_fds(sv[0], "x", 1, two, 2), EBADF, "uds_send_fds");
    CHECK(strstr(uds_last_error(), "fds[1]") != NULL);
    two[1] = -1;
    EXPECT_ERR(uds_send_fds(sv[0], "x", 1, two, 2), EBADF, "uds_send_fds");
    EXPECT_ERR(uds_send_fd(sv[0], -1), EBADF, "uds_send_fd");
    EXPECT_ERR(uds_send_fd(sv[0], closed), EBADF, "uds_send_fd");
    EXPECT_ERR(uds_recv_fds(sv[1], buf, sizeof buf, got, NULL), EINVAL, "uds_recv_fds");
    /* Every failure leaves *nfds 0, argument errors included. */
    n = 2;
    EXPECT_ERR(uds_recv_fds(sv[1], buf, sizeof buf, NULL, &n), EINVAL, "uds_recv_fds");
    CHECK(n == 0);
    n = 2;
    EXPECT_ERR(uds_recv_fds(-1, buf, sizeof buf, got, &n), EBADF, "uds_recv_fds");
    CHECK(n == 0);
    n = 2;
    EXPECT_ERR(uds_recv_fds(sv[1], NULL, 1, got, &n), EINVAL, "uds_recv_fds");
    CHECK(n == 0);
    /* Exactly the limit goes through. */
    CHECK(uds_send_fds(sv[0], "x", 1, many, NFILES) == 1);
    n = NFILES;
    CHECK(uds_recv_fds(sv[1], buf, sizeof buf, got, &n) == 1 && n == NFILES);
    close_all(got, (int)n);
    close(sv[0]);
    close(sv[1]);
}

static void test_ctrunc(void) {
    int t, sv[2], got[8], before;
    size_t n;
    char buf[16];
    uds_msg m;
    for (t = 0; t < 3; t++) {
        CHECK(uds_socketpair(types[t], sv) == 0);
        CHECK(uds_send_fds(sv[0], "eight", 5, files, 8) == 5);
        before = count_fds();
        n = 2;
        EXPECT_ERR(uds_recv_fds(sv[1], buf, sizeof buf, got, &n), EXFULL, "uds_recv_fds");
        CHECK(n == 0);
        CHECK(count_fds() == before);
        /* still usable */
        CHECK(uds_send(sv[0], "ok", 2, 0) == 2);
        CHECK(uds_recv(sv[1], buf, 2, 0) == 2 && memcmp(buf, "ok", 2) == 0);

        /* uds_recvmsg delivers the two that fit and says so */
        CHECK(uds_send_fds(sv[0], "eight", 5, files, 8) == 5);
        memset(&m, 0, sizeof m);
        m.data = buf;
        m.len = sizeof buf;
        m.fds = got;
        m.nfds = 2;
        CHECK(uds_recvmsg(sv[1], &m, 0) == 5 && m.len == 5 && memcmp(buf, "eight", 5) == 0);
        CHECK(m.nfds == 2 && (m.flags & UDS_MSG_CTRUNC) && !(m.flags & UDS_MSG_TRUNC));
        CHECK(count_fds() == before + 2);
        CHECK(same_files(dir, got, 2, 3));
        close_all(got, 2);
        CHECK(count_fds() == before);
        close(sv[0]);
        close(sv[1]);
    }
}

/* A receiver with two free descriptor slots is sent four; then, with
   none, one. */
static void child_out_of_slots(void *arg) {
    int sock = *(int *)arg, hold[64], nh = 0, fd, got[8], before;
    size_t n = 8;
    char buf[8];
    struct rlimit rl;
    uds_msg m;
    /* A limit just above the highest descriptor open, then fill every
       free slot below it but two. */
    rl.rlim_cur = rl.rlim_max = (rlim_t)highest_fd() + 32;
    CHECK(setrlimit(RLIMIT_NOFILE, &rl) == 0);
    while (nh < 64 && (fd = open("/dev/null", O_RDONLY | O_CLOEXEC)) >= 0) hold[nh++] = fd;
    CHECK(errno == EMFILE && nh >= 2);
    if (nh < 2) return;
    close(hold[--nh]);
    close(hold[--nh]);
    before = count_fds();
    EXPECT_ERR(uds_recv_fds(sock, buf, sizeof buf, got, &n), EXFULL, "uds_recv_fds");
    CHECK(n == 0 && count_fds() == before);
    /* The connection still works (5 bytes: a longer plain read would run
       on into the next message and drop its descriptors). */
    CHECK(uds_recv(sock, buf, 5, 0) == 5 && memcmp(buf, "still", 5) == 0);
    memset(&m, 0, sizeof m);
    m.data = buf;
    m.len = sizeof buf;
    m.fds = got;
    m.nfds = 8;
    CHECK(uds_recvmsg(sock, &m, 0) == 4 && m.nfds == 2 && (m.flags & UDS_MSG_CTRUNC));
    close_all(got, (int)m.nfds);
    CHECK(count_fds() == before);
    /* No slot at all: uds_recv_fd cannot get its descriptor. */
    hold[nh] = open("/dev/null", O_RDONLY | O_CLOEXEC);
    hold[nh + 1] = open("/dev/null", O_RDONLY | O_CLOEXEC);
    CHECK(hold[nh] >= 0 && hold[nh + 1] >= 0);
    nh += 2;
    EXPECT_ERR(uds_recv_fd(sock), EMFILE, "uds_recv_fd");
    close(hold[--nh]);
    CHECK(count_fds() == before + 1); /* the one of the two still held */
    CHECK(uds_send(sock, "ok", 2, 0) == 2);
    while (nh > 0) close(hold[--nh]);
}

static void test_out_of_slots(void) {
    int sv[2];
    char buf[4];
    pid_t pid;
    const char *mode = getenv("UDS_TEST_MODE"); /* set by c-tests/conftest.py */
    if (mode != NULL && strcmp(mode, "--valgrind") == 0) {
        /* Valgrind emulates RLIMIT_NOFILE for the calls it intercepts; the
           kernel installing received descriptors does not see it. */
        fprintf(stderr, "test_out_of_slots: skipped under valgrind\n");
        return;
    }
    CHECK(uds_socketpair(SOCK_STREAM, sv) == 0);
    pid = spawn(child_out_of_slots, &sv[1]);
    CHECK(uds_send_fds(sv[0], "four", 4, files, 4) == 4);
    CHECK(uds_send(sv[0], "still", 5, 0) == 5);
    CHECK(uds_send_fds(sv[0], "four", 4, files, 4) == 4);
    CHECK(uds_send_fd(sv[0], files[0]) == 0);
    CHECK(uds_recv(sv[0], buf, sizeof buf, 0) == 2 && memcmp(buf, "ok", 2) == 0);
    CHECK(reap(pid) == 0);
    close(sv[0]);
    close(sv[1]);
}

static void test_plain_recv_and_passcred(void) {
    int t, sv[2], before, got[NFILES];
    size_t n;
    char buf[16];
    for (t = 0; t < 3; t++) {
        CHECK(uds_socketpair(types[t], sv) == 0);
        before = count_fds();
        CHECK(uds_send_fds(sv[0], "data", 4, files, 16) == 4);
        CHECK(uds_recv(sv[1], buf, sizeof buf, 0) == 4 && memcmp(buf, "data", 4) == 0);
        CHECK(count_fds() == before);
        /* SO_PASSCRED on: the credentials never push descriptors out. */
        CHECK(uds_set_passcred(sv[1], 1) == 0);
        CHECK(uds_send_fds(sv[0], "all", 3, files, NFILES) == 3);
        n = NFILES;
        CHECK(uds_recv_fds(sv[1], buf, sizeof buf, got, &n) == 3 && n == NFILES);
        CHECK(same_files(dir, got, (int)n, 3));
        close_all(got, (int)n);
        CHECK(count_fds() == before);
        close(sv[0]);
        close(sv[1]);
    }
}

static void test_stream_barrier(void) {
    int sv[2], got[4];
    size_t n = 4;
    char buf[20];
    CHECK(uds_socketpair(SOCK_STREAM, sv) == 0);
    /* unix(7): 4 bytes; 1 byte with descriptors; 4 bytes. Reads of 20
       bytes get 5 bytes and the descriptors, then the 4 bytes. */
    CHECK(uds_send(sv[0], "1234", 4, 0) == 4);
    CHECK(uds_send_fds(sv[0], "5", 1, files, 1) == 1);
    CHECK(uds_send(sv[0], "6789", 4, 0) == 4);
    CHECK(uds_recv_fds(sv[1], buf, sizeof buf, got, &n) == 5 && memcmp(buf, "12345", 5) == 0);
    CHECK(n == 1 && same_files(dir, got, 1, 3));
    close_all(got, (int)n);
    n = 4;
    CHECK(uds_recv_fds(sv[1], buf, sizeof buf, got, &n) == 4 && memcmp(buf, "6789", 4) == 0 && n == 0);

    /* Two descriptor-carrying sends are never merged into one receive. */
    CHECK(uds_send_fds(sv[0], "a", 1, files, 1) == 1);
    CHECK(uds_send_fds(sv[0], "b", 1, files, 1) == 1);
    n = 4;
    CHECK(uds_recv_fds(sv[1], buf, sizeof buf, got, &n) == 1 && buf[0] == 'a' && n == 1);
    close_all(got, (int)n);
    n = 4;
    CHECK(uds_recv_fds(sv[1], buf, sizeof buf, got, &n) == 1 && buf[0] == 'b' && n == 1);
    close_all(got, (int)n);
    close(sv[0]);
    close(sv[1]);
}

static void test_carrier_and_single_fd(void) {
    int t, sv[2], got[2], fd, before;
    size_t n;
    char buf[4];
    for (t = 0; t < 3; t++) {
        CHECK(uds_socketpair(types[t], sv) == 0);
        /* No data: on a stream one zero byte carries the descriptor. */
        CHECK(uds_send_fds(sv[0], NULL, 0, files, 1) == 0);
        n = 2;
        buf[0] = 'x';
        if (types[t] == SOCK_STREAM)
            CHECK(uds_recv_fds(sv[1], buf, sizeof buf, got, &n) == 1 && buf[0] == 0 && n == 1);
        else
            CHECK(uds_recv_fds(sv[1], buf, sizeof buf, got, &n) == 0 && n == 1);
        close_all(got, (int)n);

        before = count_fds();
        CHECK(uds_send_fd(sv[0], files[0]) == 0);
        fd = uds_recv_fd(sv[1]);
        CHECK(fd >= 0 && same_files(dir, &fd, 1, 3));
        close(fd);
        /* The whole message goes, on a stream too: the next call starts
           at the next message. */
        CHECK(uds_send(sv[0], "no fd", 5, 0) == 5);
        EXPECT_ERR(uds_recv_fd(sv[1]), EBADMSG, "uds_recv_fd");
        CHECK(uds_send_fds(sv[0], "one", 3, files, 1) == 3);
        fd = uds_recv_fd(sv[1]);
        CHECK(fd >= 0 && same_files(dir, &fd, 1, 3));
        close(fd);
        CHECK(uds_send_fds(sv[0], "y", 1, files, 2) == 1);
        EXPECT_ERR(uds_recv_fd(sv[1]), EBADMSG, "uds_recv_fd");
        CHECK(uds_send_fds(sv[0], "z", 1, files, NFILES) == 1);
        EXPECT_ERR(uds_recv_fd(sv[1]), EBADMSG, "uds_recv_fd");
        /* An empty message (no descriptor) is not the end of the peer. */
        if (types[t] != SOCK_STREAM) {
            CHECK(uds_send(sv[0], "", 0, 0) == 0);
            EXPECT_ERR(uds_recv_fd(sv[1]), EBADMSG, "uds_recv_fd");
        }
        CHECK(count_fds() == before);
        close(sv[0]);
        if (types[t] != SOCK_DGRAM) EXPECT_ERR(uds_recv_fd(sv[1]), ECONNRESET, "uds_recv_fd");
        close(sv[1]);
    }
}

int main(void) {
    int before;
    CHECK(mkdtemp(dir) != NULL);
    CHECK(make_files(dir, NFILES) == 0);
    CHECK(open_files(dir, files, NFILES, 3) == 0);
    before = count_fds();
    test_one_process();
    test_across_processes();
    test_limits_and_bad_descriptors();
    test_ctrunc();
    test_out_of_slots();
    test_plain_recv_and_passcred();
    test_stream_barrier();
    test_carrier_and_single_fd();
    CHECK(count_fds() == before);
    close_all(files, NFILES);
    CHECK(rm_tree(dir) == 0);
    DONE();
}
