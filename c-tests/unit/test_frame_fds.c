/* Frames that carry descriptors: uds_send_frame_fds / uds_recv_frame_fds.
   The descriptors that come out with a frame are exactly those sent with
   it, however the sender's writes were cut or coalesced: a frame without
   descriptors followed at once by frames with them; a raw sendmsg sender
   that writes prefix and body in pieces with the descriptors on a byte in
   the middle; one write spanning two frames; one byte per write from
   another process. Nothing leaks on EXFULL, EMSGSIZE, ECONNRESET, nor
   through uds_recv_frame. */
#define _GNU_SOURCE
#include <stdint.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <udsock.h>
#include "check.h"
#include "anc.h"

/* Each marker is a pipe's write end: its inode tells which one arrived. */
#define NMARK 8
static int mark[NMARK];

static ino_t ino(int fd) {
    struct stat st;
    return fstat(fd, &st) == 0 ? st.st_ino : 0;
}

/* 1 when got[0..n) are markers first..first+n-1, close-on-exec; closes them. */
static int are_marks(const int *got, size_t n, int first) {
    size_t i;
    int ok = 1;
    for (i = 0; i < n; i++) {
        if (ino(got[i]) != ino(mark[first + (int)i]) || !is_cloexec(got[i])) ok = 0;
        close(got[i]);
    }
    return ok;
}

/* A raw sendmsg of len bytes, with nfds markers from mark[first]. */
static ssize_t raw_send(int sock, const void *buf, size_t len, int first, size_t nfds) {
    return raw_sendmsg(sock, buf, len, &mark[first], nfds);
}

/* The wire bytes of a frame holding text (no NUL). */
static size_t wire(char *out, const char *text) {
    uint32_t n = (uint32_t)strlen(text);
    memcpy(out, &n, 4);
    memcpy(out + 4, text, n);
    return 4 + n;
}

/* Receives one frame and checks its text and that it carried markers
   first..first+nfds-1 exactly (nfds 0: none). */
static int expect_frame(int sock, const char *text, int first, size_t nfds) {
    char buf[256];
    int got[NMARK + 4];
    size_t len = 0, n = NMARK + 4;
    int r = uds_recv_frame_fds(sock, buf, sizeof buf, &len, got, &n);
    if (r != 1) {
        fprintf(stderr, "expect_frame %s: r=%d errno %d %s\n", text, r, errno, uds_last_error());
        return 0;
    }
    if (len != strlen(text) || memcmp(buf, text, len) != 0 || n != nfds) {
        fprintf(stderr, "expect_frame %s: got %zu bytes '%.*s' and %zu fds\n", text, len, (int)len, buf, n);
        are_marks(got, n, 0);
        return 0;
    }
    return are_marks(got, n, first);
}

static void test_basic(void) {
    int sv[2], got[4];
    char buf[16], raw[64], direct[64];
    size_t len, n;
    CHECK(uds_socketpair(SOCK_STREAM, sv) == 0);
    /* The bytes on the wire are exactly uds_send_frame's. */
    CHECK(uds_send_frame_fds(sv[0], "hello", 5, mark, 2) == 0);
    CHECK(uds_send_frame(sv[0], "hello", 5) == 0);
    CHECK(read(sv[1], raw, 9) == 9);
    CHECK(read(sv[1], direct, 9) == 9);
    CHECK(memcmp(raw, direct, 9) == 0);
    /* nfds 0 with fds NULL is uds_send_frame. */
    CHECK(uds_send_frame_fds(sv[0], "x", 1, NULL, 0) == 0);
    n = 4;
    CHECK(uds_recv_frame_fds(sv[1], buf, sizeof buf, &len, got, &n) == 1 && len == 1 && n == 0);
    /* An empty frame with descriptors. */
    CHECK(uds_send_frame_fds(sv[0], NULL, 0, mark, 3) == 0);
    CHECK(expect_frame(sv[1], "", 0, 3));
    /* Clean end: 0, *nfds 0. */
    close(sv[0]);
    n = 4;
    CHECK(uds_recv_frame_fds(sv[1], buf, sizeof buf, &len, got, &n) == 0 && n == 0);
    close(sv[1]);
}

/* A frame without descriptors followed at once by frames with them: a
   reader with a large buffer would get the descriptors with the first. */
static void test_coalesced(void) {
    int sv[2];
    CHECK(uds_socketpair(SOCK_STREAM, sv) == 0);
    CHECK(uds_send_frame(sv[0], "plain", 5) == 0);
    CHECK(uds_send_frame_fds(sv[0], "one", 3, mark, 1) == 0);
    CHECK(uds_send_frame_fds(sv[0], "three", 5, mark + 1, 3) == 0);
    CHECK(uds_send_frame(sv[0], "after", 5) == 0);
    CHECK(uds_send_frame_fds(sv[0], "last", 4, mark + 4, 2) == 0);
    CHECK(expect_frame(sv[1], "plain", 0, 0));
    CHECK(expect_frame(sv[1], "one", 0, 1));
    CHECK(expect_frame(sv[1], "three", 1, 3));
    CHECK(expect_frame(sv[1], "after", 0, 0));
    CHECK(expect_frame(sv[1], "last", 4, 2));
    close(sv[0]);
    close(sv[1]);
}

/* A raw sender cuts frames anywhere and puts descriptors on any byte:
   every split of "abcdefgh" + "next" with the descriptors on each byte of
   the first frame (prefix included). */
static void test_raw_pieces(void) {
    char w[64];
    size_t total = wire(w, "abcdefgh"), at, cut;
    size_t t2;
    int sv[2], ok = 1;
    char w2[16];
    t2 = wire(w2, "next");
    for (at = 0; at < total; at++) {
        for (cut = at + 1; cut <= total; cut++) {
            CHECK(uds_socketpair(SOCK_STREAM, sv) == 0);
            /* bytes [0, at) plain, [at, cut) carrying 2 fds, [cut, total) plain,
               then a plain frame. */
            if (at > 0 && raw_send(sv[0], w, at, 0, 0) != (ssize_t)at) ok = 0;
            if (raw_send(sv[0], w + at, cut - at, 2, 2) != (ssize_t)(cut - at)) ok = 0;
            if (cut < total && raw_send(sv[0], w + cut, total - cut, 0, 0) != (ssize_t)(total - cut)) ok = 0;
            if (raw_send(sv[0], w2, t2, 0, 0) != (ssize_t)t2) ok = 0;
            if (!expect_frame(sv[1], "abcdefgh", 2, 2)) ok = 0;
            if (!expect_frame(sv[1], "next", 0, 0)) ok = 0;
            close(sv[0]);
            close(sv[1]);
        }
    }
    CHECK(ok);
}

/* One write spanning the end of a frame and the start of the next hands
   its descriptors over with its first byte: they belong to the first. */
static void test_spanning_write(void) {
    char w[64];
    size_t a = wire(w, "first"), b = wire(w + a, "second");
    int sv[2];
    CHECK(uds_socketpair(SOCK_STREAM, sv) == 0);
    CHECK(raw_send(sv[0], w, 3, 0, 0) == 3);
    CHECK(raw_send(sv[0], w + 3, a + b - 3, 0, 3) == (ssize_t)(a + b - 3));
    CHECK(raw_send(sv[0], w, a, 5, 1) == (ssize_t)a);
    CHECK(expect_frame(sv[1], "first", 0, 3));
    CHECK(expect_frame(sv[1], "second", 0, 0));
    CHECK(expect_frame(sv[1], "first", 5, 1));
    close(sv[0]);
    close(sv[1]);
}

/* Another process writes three frames one byte per write, descriptors on
   byte 6 of the second frame and on the first byte of the third. */
static void test_byte_per_write(void) {
    char w[128];
    size_t a = wire(w, "alpha"), b = wire(w + a, "bravo!"), c = wire(w + a + b, "charlie");
    size_t i, total = a + b + c;
    int sv[2], st;
    pid_t pid;
    CHECK(uds_socketpair(SOCK_STREAM, sv) == 0);
    pid = fork();
    if (pid == 0) {
        close(sv[1]);
        for (i = 0; i < total; i++) {
            int first = i == a + 6 ? 1 : i == a + b ? 3 : 0;
            size_t n = i == a + 6 ? 2 : i == a + b ? 4 : 0;
            if (raw_send(sv[0], w + i, 1, first, n) != 1) _exit(1);
        }
        _exit(0);
    }
    close(sv[0]);
    CHECK(expect_frame(sv[1], "alpha", 0, 0));
    CHECK(expect_frame(sv[1], "bravo!", 1, 2));
    CHECK(expect_frame(sv[1], "charlie", 3, 4));
    CHECK(waitpid(pid, &st, 0) == pid && WIFEXITED(st) && WEXITSTATUS(st) == 0);
    close(sv[1]);
}

/* EXFULL, EMSGSIZE, ECONNRESET and uds_recv_frame: no descriptor leaks,
   the stream stays in step. */
static void test_failures_leak_nothing(void) {
    int sv[2], got[8], before;
    char buf[8], w[32];
    size_t len, n, t;
    CHECK(uds_socketpair(SOCK_STREAM, sv) == 0);
    before = count_fds();
    /* More descriptors than slots: EXFULL, *nfds 0. */
    CHECK(uds_send_frame_fds(sv[0], "abc", 3, mark, 3) == 0);
    CHECK(uds_send_frame(sv[0], "ok", 2) == 0);
    n = 2;
    EXPECT_ERR(uds_recv_frame_fds(sv[1], buf, sizeof buf, &len, got, &n), EXFULL, "uds_recv_frame_fds");
    CHECK(n == 0 && count_fds() == before);
    CHECK(expect_frame(sv[1], "ok", 0, 0));
    /* No slots at all, descriptors split over two pieces. */
    t = wire(w, "abcdef");
    CHECK(raw_send(sv[0], w, 5, 0, 1) == 5);
    CHECK(raw_send(sv[0], w + 5, t - 5, 1, 1) == (ssize_t)(t - 5));
    n = 0;
    EXPECT_ERR(uds_recv_frame_fds(sv[1], buf, sizeof buf, &len, NULL, &n), EXFULL, "uds_recv_frame_fds");
    CHECK(n == 0 && count_fds() == before);
    /* Larger than the buffer: EMSGSIZE, dropped, descriptors closed. */
    CHECK(uds_send_frame_fds(sv[0], "0123456789abcdef", 16, mark, 4) == 0);
    CHECK(uds_send_frame_fds(sv[0], "fits", 4, mark + 4, 1) == 0);
    n = 8;
    EXPECT_ERR(uds_recv_frame_fds(sv[1], buf, sizeof buf, &len, got, &n), EMSGSIZE, "uds_recv_frame_fds");
    CHECK(n == 0 && len == 16 && count_fds() == before);
    CHECK(expect_frame(sv[1], "fits", 4, 1));
    /* uds_recv_frame delivers the bytes and closes the descriptors. */
    CHECK(uds_send_frame_fds(sv[0], "bytes", 5, mark, 5) == 0);
    CHECK(uds_recv_frame(sv[1], buf, sizeof buf, &len) == 1 && len == 5 && memcmp(buf, "bytes", 5) == 0);
    CHECK(count_fds() == before);
    /* The stream ends inside a frame that brought descriptors. */
    t = wire(w, "cut short");
    CHECK(raw_send(sv[0], w, 7, 0, 2) == 7);
    close(sv[0]);
    n = 8;
    EXPECT_ERR(uds_recv_frame_fds(sv[1], buf, sizeof buf, &len, got, &n), ECONNRESET, "uds_recv_frame_fds");
    CHECK(n == 0 && count_fds() == before - 1);
    close(sv[1]);
}

/* A frame's descriptors are all of its pieces' together: two pieces of
   253 each fill 506 slots; with one slot for a frame whose two pieces
   bring one each, the first that did fit is closed too (EXFULL); and
   descriptors the process may not open are EXFULL as well. */
static void test_many_pieces(void) {
    static int many[506], got[506];
    char buf[16], w[32];
    size_t len, n, t = wire(w, "abcdef"), i;
    int sv[2], before, ok = 1;
    struct rlimit rl, old;
    const char *mode = getenv("UDS_TEST_MODE"); /* set by c-tests/conftest.py */
    int under_valgrind = mode != NULL && strcmp(mode, "--valgrind") == 0;
    for (i = 0; i < 506; i++) many[i] = mark[i % NMARK];
    CHECK(uds_socketpair(SOCK_STREAM, sv) == 0);
    before = count_fds();
    CHECK(raw_sendmsg(sv[0], w, 5, many, 253) == 5);
    CHECK(raw_sendmsg(sv[0], w + 5, t - 5, many + 253, 253) == (ssize_t)(t - 5));
    n = 506;
    CHECK(uds_recv_frame_fds(sv[1], buf, sizeof buf, &len, got, &n) == 1 && len == 6 && n == 506);
    for (i = 0; i < n && n == 506; i++) {
        if (ino(got[i]) != ino(many[i]) || !is_cloexec(got[i])) ok = 0;
        close(got[i]);
    }
    CHECK(ok && count_fds() == before);
    CHECK(raw_send(sv[0], w, 5, 0, 1) == 5);
    CHECK(raw_send(sv[0], w + 5, t - 5, 1, 1) == (ssize_t)(t - 5));
    CHECK(uds_send_frame(sv[0], "ok", 2) == 0);
    n = 1;
    EXPECT_ERR(uds_recv_frame_fds(sv[1], buf, sizeof buf, &len, got, &n), EXFULL, "uds_recv_frame_fds");
    CHECK(n == 0 && count_fds() == before);
    CHECK(expect_frame(sv[1], "ok", 0, 0));
    /* Room for 4 more descriptors, not for all 8: the limit 4 above the
       highest fd, every slot below it filled, then the top 4 freed. */
    CHECK(uds_send_frame_fds(sv[0], "abc", 3, mark, NMARK) == 0);
    CHECK(uds_send_frame(sv[0], "ok", 2) == 0);
    CHECK(getrlimit(RLIMIT_NOFILE, &old) == 0);
    rl = old;
    rl.rlim_cur = (rlim_t)highest_fd() + 5;
    /* Valgrind emulates RLIMIT_NOFILE for the calls it intercepts; the
       kernel installing received descriptors does not see it. */
    if (!under_valgrind && rl.rlim_cur <= 1024 && setrlimit(RLIMIT_NOFILE, &rl) == 0) {
        static int fill[1024];
        int nfill = 0, fd;
        while (nfill < 1024 && (fd = dup(0)) >= 0)
            fill[nfill++] = fd;
        CHECK(nfill >= 4);
        for (fd = 0; fd < 4 && nfill > 0; fd++)
            close(fill[--nfill]);
        n = 506;
        EXPECT_ERR(uds_recv_frame_fds(sv[1], buf, sizeof buf, &len, got, &n), EXFULL, "uds_recv_frame_fds");
        CHECK(setrlimit(RLIMIT_NOFILE, &old) == 0);
        while (nfill > 0)
            close(fill[--nfill]);
    } else {
        n = 0;
        CHECK(uds_recv_frame_fds(sv[1], buf, sizeof buf, &len, NULL, &n) == -1 && errno == EXFULL);
    }
    CHECK(n == 0 && count_fds() == before);
    CHECK(expect_frame(sv[1], "ok", 0, 0));
    close(sv[0]);
    close(sv[1]);
}

/* With SO_PASSCRED and SO_PASSPIDFD on, the credentials and pidfds that
   come with every read are discarded and closed. */
static void test_other_control_data(void) {
    int sv[2], before;
    CHECK(uds_socketpair(SOCK_STREAM, sv) == 0);
    CHECK(uds_set_passcred(sv[1], 1) == 0);
    { int on = 1; (void)setsockopt(sv[1], SOL_SOCKET, 76 /* SO_PASSPIDFD */, &on, sizeof on); }
    before = count_fds();
    CHECK(uds_send_frame(sv[0], "a", 1) == 0);
    CHECK(uds_send_frame_fds(sv[0], "b", 1, mark, 2) == 0);
    CHECK(expect_frame(sv[1], "a", 0, 0));
    CHECK(expect_frame(sv[1], "b", 0, 2));
    CHECK(count_fds() == before);
    close(sv[0]);
    close(sv[1]);
}

static void test_bad_arguments(void) {
    int sv[2], bad[2] = {0, -5}, got[2], p[2];
    char buf[4];
    size_t len, n = 2;
    CHECK(uds_socketpair(SOCK_STREAM, sv) == 0);
    EXPECT_ERR(uds_send_frame_fds(sv[0], "x", 1, mark, 254), EINVAL, "uds_send_frame_fds");
    EXPECT_ERR(uds_send_frame_fds(sv[0], "x", 1, NULL, 1), EINVAL, "uds_send_frame_fds");
    EXPECT_ERR(uds_send_frame_fds(sv[0], "x", 1, bad, 2), EBADF, "uds_send_frame_fds");
    CHECK(pipe(p) == 0);
    close(p[1]);
    EXPECT_ERR(uds_send_frame_fds(sv[0], "x", 1, &p[1], 1), EBADF, "uds_send_frame_fds");
    CHECK(strstr(uds_last_error(), "fds[0]") != NULL);
    close(p[0]);
    EXPECT_ERR(uds_send_frame_fds(-1, "x", 1, mark, 1), EBADF, "uds_send_frame_fds");
    EXPECT_ERR(uds_recv_frame_fds(sv[1], buf, sizeof buf, &len, got, NULL), EINVAL, "uds_recv_frame_fds");
    EXPECT_ERR(uds_recv_frame_fds(sv[1], buf, sizeof buf, NULL, got, &n), EINVAL, "uds_recv_frame_fds");
    CHECK(n == 0);
    n = 2;
    EXPECT_ERR(uds_recv_frame_fds(sv[1], buf, sizeof buf, &len, NULL, &n), EINVAL, "uds_recv_frame_fds");
    CHECK(n == 0);
    /* Nothing was sent by the refused calls. */
    CHECK(uds_pending(sv[1]) == 0);
    close(sv[0]);
    close(sv[1]);
}

/* On a socket that keeps message boundaries a record holding exactly one
   frame is that frame, descriptors and all; a record holding two is
   EPROTOTYPE, consumed, its descriptors closed. */
static void test_records(void) {
    static const int types[] = {SOCK_SEQPACKET, SOCK_DGRAM};
    char w[64], buf[32];
    int i, sv[2], got[4], before;
    size_t k, len, n;

    for (i = 0; i < 2; i++) {
        CHECK(uds_socketpair(types[i], sv) == 0);
        before = count_fds();
        CHECK(uds_send_frame_fds(sv[0], "one", 3, mark, 2) == 0);
        CHECK(expect_frame(sv[1], "one", 0, 2));
        k = wire(w, "ab");
        k += wire(w + k, "cd");
        CHECK(raw_send(sv[0], w, k, 2, 3) == (ssize_t)k);
        n = 4;
        EXPECT_ERR(uds_recv_frame_fds(sv[1], buf, sizeof buf, &len, got, &n), EPROTOTYPE, "uds_recv_frame_fds");
        CHECK(n == 0);
        CHECK(uds_pending(sv[1]) == 0);
        /* One frame too large for buf in one record: EMSGSIZE with its
           size, its descriptors closed. */
        memset(w, 'w', sizeof w);
        CHECK(uds_send_frame_fds(sv[0], w, sizeof w, mark, 3) == 0);
        n = 4;
        len = 0;
        EXPECT_ERR(uds_recv_frame_fds(sv[1], buf, sizeof buf, &len, got, &n), EMSGSIZE, "uds_recv_frame_fds");
        CHECK(n == 0 && len == sizeof w);
        CHECK(uds_pending(sv[1]) == 0);
        CHECK(count_fds() == before);
        close(sv[0]);
        close(sv[1]);
    }
}

int main(void) {
    int i, p[2];
    for (i = 0; i < NMARK; i++) {
        if (pipe2(p, O_CLOEXEC) != 0) return 1;
        close(p[0]);
        mark[i] = p[1];
    }
    test_basic();
    test_coalesced();
    test_raw_pieces();
    test_spanning_write();
    test_byte_per_write();
    test_failures_leak_nothing();
    test_many_pieces();
    test_other_control_data();
    test_bad_arguments();
    test_records();
    DONE();
}
