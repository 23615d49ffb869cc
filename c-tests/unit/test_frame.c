/* Frames: uds_send_frame and uds_recv_frame, wire-compatible with the
   Advanced Linux Programming socket-client/server (a native-endian int
   length, then the bytes), proved by speaking the raw format with
   read/write both ways; EMSGSIZE drops the frame and keeps the stream in
   step; ECONNRESET for an EOF inside a frame; 0 at a clean EOF; EINTR
   before a frame starts and none once it has; non-blocking sockets;
   error paths. */
#define _GNU_SOURCE
#include <stdint.h>
#include <sys/socket.h>
#include <udsock.h>
#include "check.h"
#include "util.h"

static volatile sig_atomic_t signals;
static int notify_fd = -1;

static void on_signal(int sig) {
    (void)sig;
    signals++;
    if (notify_fd >= 0)
        (void)!write(notify_fd, "s", 1);
}

/* What the ALP socket-client does: write(&length, sizeof length), then the
   text with its NUL. */
static int alp_client_write(int fd, const char *text) {
    int length = (int)strlen(text) + 1;
    if (write(fd, &length, sizeof length) != (ssize_t)sizeof length)
        return -1;
    return write(fd, text, (size_t)length) == length ? 0 : -1;
}

/* What the ALP socket-server does: read the int, then that many bytes. */
static int alp_server_read(int fd, char *text, int cap) {
    int length;
    if (read(fd, &length, sizeof length) != (ssize_t)sizeof length || length < 0 || length > cap)
        return -1;
    return uds_recv_exact(fd, text, (size_t)length) == length ? length : -1;
}

static void test_wire(void) {
    int sv[2], i;
    char buf[64];
    unsigned char raw[16];
    uint32_t n32;
    size_t len = 99;

    CHECK(uds_socketpair(SOCK_STREAM, sv) == 0);
    /* ALP client -> library. */
    CHECK(alp_client_write(sv[0], "Hello, world") == 0);
    CHECK(alp_client_write(sv[0], "quit") == 0);
    CHECK(uds_recv_frame(sv[1], buf, sizeof buf, &len) == 1 && len == 13 && strcmp(buf, "Hello, world") == 0);
    CHECK(uds_recv_frame(sv[1], buf, sizeof buf, &len) == 1 && len == 5 && strcmp(buf, "quit") == 0);
    /* Library -> ALP server. */
    CHECK(uds_send_frame(sv[0], "hello\0", 6) == 0);
    CHECK(alp_server_read(sv[1], buf, sizeof buf) == 6 && strcmp(buf, "hello") == 0);
    /* Byte for byte: the length in native order, then the bytes, nothing
       more. */
    CHECK(uds_send_frame(sv[0], "abc", 3) == 0);
    CHECK(uds_pending(sv[1]) == 7);
    CHECK(read(sv[1], raw, sizeof raw) == 7);
    n32 = 3;
    CHECK(memcmp(raw, &n32, 4) == 0 && memcmp(raw + 4, "abc", 3) == 0);
    /* An empty frame is just the length. */
    CHECK(uds_send_frame(sv[0], NULL, 0) == 0);
    CHECK(read(sv[1], raw, sizeof raw) == 4 && memcmp(raw, "\0\0\0\0", 4) == 0);
    CHECK(write(sv[0], raw, 4) == 4);
    CHECK(uds_recv_frame(sv[1], NULL, 0, &len) == 1 && len == 0);
    /* A frame written a byte at a time, and many frames in one write. */
    n32 = 5;
    memcpy(raw, &n32, 4);
    memcpy(raw + 4, "split", 5);
    for (i = 0; i < 9; i++)
        CHECK(write(sv[0], raw + i, 1) == 1);
    CHECK(uds_recv_frame(sv[1], buf, 5, &len) == 1 && len == 5 && memcmp(buf, "split", 5) == 0);
    {
        unsigned char many[40];
        for (i = 0; i < 5; i++) {
            n32 = 4;
            memcpy(many + 8 * i, &n32, 4);
            memcpy(many + 8 * i + 4, "f0f1f2f3f4" + 2 * i, 2);
            memcpy(many + 8 * i + 6, "!!", 2);
        }
        CHECK(write(sv[0], many, sizeof many) == (ssize_t)sizeof many);
        for (i = 0; i < 5; i++)
            CHECK(uds_recv_frame(sv[1], buf, 4, &len) == 1 && len == 4 && buf[1] == '0' + i && buf[3] == '!');
    }
    /* A clean EOF between frames: 0, with *len_out = 0. */
    CHECK(uds_close(sv[0]) == 0);
    len = 99;
    CHECK(uds_recv_frame(sv[1], buf, sizeof buf, &len) == 0 && len == 0);
    CHECK(uds_recv_frame(sv[1], buf, sizeof buf, &len) == 0);
    CHECK(uds_close(sv[1]) == 0);
}

/* A child writes a frame of `len` bytes of pattern, then "next". */
static pid_t big_frame_writer(int fd, int other, uint32_t len) {
    pid_t child = fork();
    if (child == 0) {
        static char chunk[65536];
        uint32_t left = len;
        close(other);
        memset(chunk, 'z', sizeof chunk);
        if (write(fd, &len, 4) != 4)
            _exit(1);
        while (left > 0) {
            size_t n = left < sizeof chunk ? left : sizeof chunk;
            if (uds_send_all(fd, chunk, n) != 0)
                _exit(1);
            left -= (uint32_t)n;
        }
        _exit(uds_send_frame(fd, "next", 4) == 0 ? 0 : 1);
    }
    return child;
}

static void test_too_large(void) {
    int sv[2], status;
    char buf[16];
    size_t len = 0;
    pid_t w;

    CHECK(uds_socketpair(SOCK_STREAM, sv) == 0);
    CHECK(uds_send_frame(sv[0], "0123456789abcdef!", 17) == 0);
    CHECK(uds_send_frame(sv[0], "ok", 2) == 0);
    EXPECT_ERR(uds_recv_frame(sv[1], buf, sizeof buf, &len), EMSGSIZE, "uds_recv_frame");
    CHECK(len == 17 && strstr(uds_last_error(), "17") != NULL);
    CHECK(uds_recv_frame(sv[1], buf, sizeof buf, &len) == 1 && len == 2 && memcmp(buf, "ok", 2) == 0);
    CHECK(uds_pending(sv[1]) == 0);
    /* cap 0: any non-empty frame is too large. */
    CHECK(uds_send_frame(sv[0], "x", 1) == 0);
    EXPECT_ERR(uds_recv_frame(sv[1], NULL, 0, &len), EMSGSIZE, "uds_recv_frame");
    CHECK(len == 1 && uds_pending(sv[1]) == 0);

    /* 64 MiB announced, read and dropped without a buffer of that size. */
    w = big_frame_writer(sv[0], sv[1], 64u << 20);
    EXPECT_ERR(uds_recv_frame(sv[1], buf, sizeof buf, &len), EMSGSIZE, "uds_recv_frame");
    CHECK(len == (64u << 20));
    CHECK(uds_recv_frame(sv[1], buf, sizeof buf, &len) == 1 && len == 4 && memcmp(buf, "next", 4) == 0);
    CHECK(waitpid(w, &status, 0) == w && WIFEXITED(status) && WEXITSTATUS(status) == 0);

    /* Over UINT32_MAX cannot be framed: nothing is sent. */
    if (sizeof(size_t) > 4) {
        size_t huge = (size_t)UINT32_MAX + 1;
        EXPECT_ERR(uds_send_frame(sv[0], buf, huge), EMSGSIZE, "uds_send_frame");
        CHECK(uds_pending(sv[1]) == 0);
    }
    CHECK(uds_close(sv[0]) == 0 && uds_close(sv[1]) == 0);
}

static void test_eof_inside(void) {
    int sv[2];
    char buf[32];
    size_t len = 0;
    uint32_t n32 = 10;

    /* Inside the length. */
    CHECK(uds_socketpair(SOCK_STREAM, sv) == 0);
    CHECK(write(sv[0], &n32, 2) == 2 && uds_close(sv[0]) == 0);
    EXPECT_ERR(uds_recv_frame(sv[1], buf, sizeof buf, &len), ECONNRESET, "uds_recv_frame");
    CHECK(uds_close(sv[1]) == 0);
    /* Inside the bytes. */
    CHECK(uds_socketpair(SOCK_STREAM, sv) == 0);
    CHECK(write(sv[0], &n32, 4) == 4 && write(sv[0], "abc", 3) == 3 && uds_close(sv[0]) == 0);
    EXPECT_ERR(uds_recv_frame(sv[1], buf, sizeof buf, &len), ECONNRESET, "uds_recv_frame");
    CHECK(strstr(uds_last_error(), "3 of") != NULL);
    CHECK(uds_close(sv[1]) == 0);
    /* Inside a frame too large for the buffer. */
    CHECK(uds_socketpair(SOCK_STREAM, sv) == 0);
    n32 = 1000;
    CHECK(write(sv[0], &n32, 4) == 4 && write(sv[0], "abc", 3) == 3 && uds_close(sv[0]) == 0);
    EXPECT_ERR(uds_recv_frame(sv[1], buf, sizeof buf, &len), ECONNRESET, "uds_recv_frame");
    CHECK(uds_close(sv[1]) == 0);
    /* A peer that closes mid-stream on a send: EPIPE, no SIGPIPE. */
    CHECK(uds_socketpair(SOCK_STREAM, sv) == 0);
    CHECK(uds_close(sv[1]) == 0);
    EXPECT_ERR(uds_send_frame(sv[0], "x", 1), EPIPE, "uds_send_frame");
    CHECK(uds_close(sv[0]) == 0);
}

static void test_signals_and_nonblocking(void) {
    int sv[2], stop, note[2], status;
    char buf[16];
    size_t len = 0;
    pid_t sig, writer;
    uint32_t n32 = 6;

    /* Nothing yet: EINTR. */
    CHECK(uds_socketpair(SOCK_STREAM, sv) == 0);
    sig = start_signaller(SIGUSR1, &stop);
    errno = 0;
    CHECK(uds_recv_frame(sv[1], buf, sizeof buf, &len) == -1 && errno == EINTR);
    CHECK(strncmp(uds_last_error(), "uds_recv_frame: ", 16) == 0);
    CHECK(stop_signaller(sig, stop) == 0);

    /* Part of the length, a signal, the rest: one whole frame. */
    CHECK(pipe(note) == 0);
    notify_fd = note[1];
    signals = 0;
    writer = fork();
    if (writer == 0) {
        pid_t parent = getppid();
        if (write(sv[0], &n32, 3) != 3 || interrupt_asleep(parent, SIGUSR1, note[0]) != 0)
            _exit(1);
        if (write(sv[0], (char *)&n32 + 3, 1) != 1 || write(sv[0], "fra", 3) != 3)
            _exit(1);
        if (interrupt_asleep(parent, SIGUSR1, note[0]) != 0)
            _exit(1);
        _exit(write(sv[0], "me", 3) == 3 ? 0 : 1);
    }
    CHECK(uds_recv_frame(sv[1], buf, sizeof buf, &len) == 1 && len == 6 && memcmp(buf, "frame", 6) == 0);
    CHECK(signals == 2);
    CHECK(waitpid(writer, &status, 0) == writer && WIFEXITED(status) && WEXITSTATUS(status) == 0);
    notify_fd = -1;
    CHECK(close(note[0]) == 0 && close(note[1]) == 0);
    CHECK(uds_close(sv[0]) == 0 && uds_close(sv[1]) == 0);

    /* Non-blocking: EAGAIN before a frame starts, and also once it has
       (the peer stalls mid-frame): nothing is consumed, and a later call
       gets the whole frame. The same for the prefix cut short. */
    CHECK(uds_socketpair(SOCK_STREAM | SOCK_NONBLOCK, sv) == 0);
    EXPECT_ERR(uds_recv_frame(sv[1], buf, sizeof buf, &len), EAGAIN, "uds_recv_frame");
    CHECK(write(sv[0], &n32, 3) == 3);
    EXPECT_ERR(uds_recv_frame(sv[1], buf, sizeof buf, &len), EAGAIN, "uds_recv_frame");
    CHECK(uds_pending(sv[1]) == 3);
    CHECK(write(sv[0], (char *)&n32 + 3, 1) == 1 && write(sv[0], "fr", 2) == 2);
    EXPECT_ERR(uds_recv_frame(sv[1], buf, sizeof buf, &len), EAGAIN, "uds_recv_frame");
    EXPECT_ERR(uds_recv_exact(sv[1], buf, 7), EAGAIN, "uds_recv_exact");
    CHECK(uds_pending(sv[1]) == 6);
    CHECK(write(sv[0], "ame", 4) == 4);
    CHECK(uds_recv_frame(sv[1], buf, sizeof buf, &len) == 1 && len == 6 && memcmp(buf, "frame", 6) == 0);
    CHECK(uds_pending(sv[1]) == 0);
    /* The peer hangs up mid-frame: the call reads what there is and
       reports ECONNRESET, without waiting. */
    CHECK(write(sv[0], &n32, 4) == 4 && write(sv[0], "fr", 2) == 2);
    CHECK(uds_close(sv[0]) == 0);
    EXPECT_ERR(uds_recv_frame(sv[1], buf, sizeof buf, &len), ECONNRESET, "uds_recv_frame");
    CHECK(uds_recv_frame(sv[1], buf, sizeof buf, &len) == 0);
    CHECK(uds_close(sv[1]) == 0);
}

static void test_errors(void) {
    char file[64], buf[8];
    size_t len;
    int reg, sv[2];

    CHECK(make_tmpdir(file, sizeof file, "frame") == 0);
    CHECK(strlen(file) + 10 < sizeof file);
    strcat(file, "/regular");
    reg = open(file, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    CHECK(reg >= 0 && uds_socketpair(SOCK_STREAM, sv) == 0);
    EXPECT_ERR(uds_send_frame(-1, "x", 1), EBADF, "uds_send_frame");
    EXPECT_ERR(uds_send_frame(1000000, "x", 1), EBADF, "uds_send_frame");
    EXPECT_ERR(uds_send_frame(reg, "x", 1), ENOTSOCK, "uds_send_frame");
    EXPECT_ERR(uds_send_frame(sv[0], NULL, 1), EINVAL, "uds_send_frame");
    EXPECT_ERR(uds_recv_frame(-1, buf, sizeof buf, &len), EBADF, "uds_recv_frame");
    EXPECT_ERR(uds_recv_frame(reg, buf, sizeof buf, &len), ENOTSOCK, "uds_recv_frame");
    EXPECT_ERR(uds_recv_frame(sv[1], NULL, 4, &len), EINVAL, "uds_recv_frame");
    EXPECT_ERR(uds_recv_frame(sv[1], buf, sizeof buf, NULL), EINVAL, "uds_recv_frame");
    CHECK(uds_pending(sv[1]) == 0);
    CHECK(close(reg) == 0 && unlink(file) == 0);
    *strrchr(file, '/') = '\0';
    CHECK(rmdir(file) == 0);
    CHECK(uds_close(sv[0]) == 0 && uds_close(sv[1]) == 0);
}

/* A length prefix sent as a record of its own. */
static void put_u32(int fd, uint32_t v) {
    CHECK(uds_send(fd, &v, sizeof v, 0) == (ssize_t)sizeof v);
}

/* On a socket that keeps message boundaries a record that holds exactly
   one frame is that frame; any other record longer than the prefix is
   reported (EPROTOTYPE, consumed), never cut, never read as a prefix
   followed by a body taken from the next record, nor waited on. */
static void test_record_sockets(void) {
    static const int types[] = {SOCK_SEQPACKET, SOCK_DGRAM};
    char buf[32], big[600], wire[16];
    uint32_t v;
    size_t len;
    int i, sv[2];

    memset(big, 'x', sizeof big);
    for (i = 0; i < 2; i++) {
        CHECK(uds_socketpair(types[i], sv) == 0);
        /* A record that holds exactly one frame (what uds_send_frame sends
           on such a socket) is that frame, short or long. */
        CHECK(uds_send_frame(sv[0], "hello", 5) == 0);
        CHECK(uds_send_frame(sv[0], "world", 5) == 0);
        CHECK(uds_send_frame(sv[0], "", 0) == 0);
        CHECK(uds_send_frame(sv[0], big, 500) == 0);
        len = 99;
        CHECK(uds_recv_frame(sv[1], buf, sizeof buf, &len) == 1 && len == 5 && memcmp(buf, "hello", 5) == 0);
        CHECK(uds_recv_frame(sv[1], buf, sizeof buf, &len) == 1 && len == 5 && memcmp(buf, "world", 5) == 0);
        CHECK(uds_recv_frame(sv[1], buf, sizeof buf, &len) == 1 && len == 0);
        memset(big, 0, sizeof big);
        CHECK(uds_recv_frame(sv[1], big, sizeof big, &len) == 1 && len == 500);
        CHECK(big[0] == 'x' && big[499] == 'x' && big[500] == 0);
        memset(big, 'x', sizeof big);
        CHECK(uds_pending(sv[1]) == 0);
        /* A record holding two frames, or a frame and more: not cut. */
        v = 2;
        memcpy(wire, &v, 4);
        memcpy(wire + 4, "ab", 2);
        memcpy(wire + 6, &v, 4);
        memcpy(wire + 10, "cd", 2);
        CHECK(uds_send(sv[0], wire, 12, 0) == 12);
        EXPECT_ERR(uds_recv_frame(sv[1], buf, sizeof buf, &len), EPROTOTYPE, "uds_recv_frame");
        CHECK(strstr(uds_last_error(), "message boundaries") != NULL);
        CHECK(uds_send(sv[0], wire, 7, 0) == 7);
        EXPECT_ERR(uds_recv_frame(sv[1], buf, sizeof buf, &len), EPROTOTYPE, "uds_recv_frame");
        CHECK(uds_pending(sv[1]) == 0);
        /* A record shorter than the frame its prefix announces. */
        v = 10;
        memcpy(wire, &v, 4);
        CHECK(uds_send(sv[0], wire, 7, 0) == 7);
        EXPECT_ERR(uds_recv_frame(sv[1], buf, sizeof buf, &len), EPROTOTYPE, "uds_recv_frame");
        /* One frame too large for buf in one record: consumed, not cut,
           and reported as on a stream (EMSGSIZE and its size); the next
           frame is intact. */
        CHECK(uds_send_frame(sv[0], big, 100) == 0);
        CHECK(uds_send_frame(sv[0], big, 500) == 0);
        CHECK(uds_send_frame(sv[0], "next", 4) == 0);
        len = 0;
        EXPECT_ERR(uds_recv_frame(sv[1], buf, sizeof buf, &len), EMSGSIZE, "uds_recv_frame");
        CHECK(len == 100);
        len = 0;
        EXPECT_ERR(uds_recv_frame(sv[1], buf, sizeof buf, &len), EMSGSIZE, "uds_recv_frame");
        CHECK(len == 500);
        CHECK(uds_recv_frame(sv[1], buf, sizeof buf, &len) == 1 && len == 4 && memcmp(buf, "next", 4) == 0);
        CHECK(uds_pending(sv[1]) == 0);
        /* A prefix sent as its own record: a body record longer than the
           frame is not cut, two shorter ones are not merged. */
        put_u32(sv[0], 5);
        CHECK(uds_send(sv[0], "helloWORLD", 10, 0) == 10);
        EXPECT_ERR(uds_recv_frame(sv[1], buf, sizeof buf, &len), EPROTOTYPE, "uds_recv_frame");
        put_u32(sv[0], 10);
        CHECK(uds_send(sv[0], "abc", 3, 0) == 3 && uds_send(sv[0], "defghij", 7, 0) == 7);
        EXPECT_ERR(uds_recv_frame(sv[1], buf, sizeof buf, &len), EPROTOTYPE, "uds_recv_frame");
        CHECK(uds_recv(sv[1], buf, sizeof buf, 0) == 7);
        /* An empty record is not the end of the stream. */
        CHECK(uds_send(sv[0], "", 0, 0) == 0);
        EXPECT_ERR(uds_recv_frame(sv[1], buf, sizeof buf, &len), EPROTOTYPE, "uds_recv_frame");
        /* A frame too large for buf, its prefix a record of its own. */
        put_u32(sv[0], 100);
        CHECK(uds_send(sv[0], "short", 5, 0) == 5);
        EXPECT_ERR(uds_recv_frame(sv[1], buf, sizeof buf, &len), EPROTOTYPE, "uds_recv_frame");
        CHECK(uds_pending(sv[1]) == 0);
        CHECK(uds_close(sv[0]) == 0 && uds_close(sv[1]) == 0);
    }
}

/* uds_recv_exact on a socket that keeps message boundaries: one record of
   exactly len bytes; a longer or shorter one is EMSGSIZE, never cut short
   in silence nor merged with the next. */
static void test_exact_on_records(void) {
    static const int types[] = {SOCK_SEQPACKET, SOCK_DGRAM};
    char buf[16];
    int i, sv[2];

    for (i = 0; i < 2; i++) {
        CHECK(uds_socketpair(types[i], sv) == 0);
        CHECK(uds_send(sv[0], "abcd", 4, 0) == 4);
        CHECK(uds_recv_exact(sv[1], buf, 4) == 4 && memcmp(buf, "abcd", 4) == 0);
        CHECK(uds_send(sv[0], "0123456789", 10, 0) == 10);
        EXPECT_ERR(uds_recv_exact(sv[1], buf, 4), EMSGSIZE, "uds_recv_exact");
        CHECK(strstr(uds_last_error(), "longer than 4") != NULL);
        CHECK(uds_send(sv[0], "ab", 2, 0) == 2 && uds_send(sv[0], "cd", 2, 0) == 2);
        EXPECT_ERR(uds_recv_exact(sv[1], buf, 4), EMSGSIZE, "uds_recv_exact");
        CHECK(strstr(uds_last_error(), "of 2 bytes") != NULL && memcmp(buf, "ab", 2) == 0);
        /* The next record is intact. */
        CHECK(uds_recv(sv[1], buf, sizeof buf, 0) == 2 && memcmp(buf, "cd", 2) == 0);
        CHECK(uds_pending(sv[1]) == 0);
        CHECK(uds_close(sv[0]) == 0 && uds_close(sv[1]) == 0);
    }
}

int main(void) {
    struct sigaction old;
    int fds = count_fds();

    signal(SIGPIPE, SIG_DFL);
    CHECK(catch_signal(SIGUSR1, on_signal, &old) == 0);
    test_wire();
    test_too_large();
    test_eof_inside();
    test_signals_and_nonblocking();
    test_errors();
    test_record_sockets();
    test_exact_on_records();
    CHECK(count_fds() == fds);
    DONE();
}
