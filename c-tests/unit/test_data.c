/* Data: uds_send, uds_recv, uds_send_all, uds_recv_exact, uds_pending,
   uds_sendto, uds_recvfrom. Datagrams to paths of every length and to
   abstract names; no SIGPIPE (EPIPE, with SIGPIPE at its default
   disposition); EINTR before anything moved, and a transfer interrupted
   part-way that carries on; non-blocking sockets; error paths, with no
   descriptor left behind. */
#define _GNU_SOURCE
#include <sys/socket.h>
#include <udsock.h>
#include "check.h"
#include "util.h"

static char dir[64];
static volatile sig_atomic_t signals;
static int notify_fd = -1; /* the handler writes a byte here when set */

static void on_signal(int sig) {
    (void)sig;
    signals++;
    if (notify_fd >= 0)
        (void)!write(notify_fd, "s", 1);
}

static void test_basic(void) {
    int sv[2], dg[2];
    char buf[64];

    CHECK(uds_socketpair(SOCK_STREAM, sv) == 0);
    CHECK(uds_send(sv[0], "hello", 5, 0) == 5);
    CHECK(uds_pending(sv[1]) == 5);
    CHECK(uds_recv(sv[1], buf, 2, MSG_PEEK) == 2 && memcmp(buf, "he", 2) == 0);
    CHECK(uds_recv(sv[1], buf, sizeof buf, 0) == 5 && memcmp(buf, "hello", 5) == 0);
    CHECK(uds_pending(sv[1]) == 0);
    EXPECT_ERR(uds_recv(sv[1], buf, sizeof buf, MSG_DONTWAIT), EAGAIN, "uds_recv");
    /* read/write mix with library calls. */
    CHECK(write(sv[0], "ab", 2) == 2 && uds_recv_exact(sv[1], buf, 2) == 2 && memcmp(buf, "ab", 2) == 0);
    CHECK(uds_send_all(sv[1], "cd", 2) == 0 && read(sv[0], buf, 2) == 2 && memcmp(buf, "cd", 2) == 0);
    CHECK(uds_send_all(sv[0], NULL, 0) == 0 && uds_send(sv[0], NULL, 0, 0) == 0);
    CHECK(uds_recv_exact(sv[1], NULL, 0) == 0);

    /* recv_exact: the whole length, then ECONNRESET part-way, then 0 at a
       clean EOF. */
    CHECK(uds_send_all(sv[0], "0123456789", 10) == 0);
    CHECK(uds_recv_exact(sv[1], buf, 4) == 4 && memcmp(buf, "0123", 4) == 0);
    CHECK(shutdown(sv[0], SHUT_WR) == 0);
    memset(buf, 0, sizeof buf);
    EXPECT_ERR(uds_recv_exact(sv[1], buf, 10), ECONNRESET, "uds_recv_exact");
    CHECK(memcmp(buf, "456789", 6) == 0);
    CHECK(uds_recv_exact(sv[1], buf, 10) == 0);
    CHECK(uds_recv(sv[1], buf, sizeof buf, 0) == 0);
    CHECK(uds_close(sv[0]) == 0 && uds_close(sv[1]) == 0);

    /* Datagrams keep their boundaries; pending is the next one's size. */
    CHECK(uds_socketpair(SOCK_DGRAM, dg) == 0);
    CHECK(uds_send(dg[0], "one", 3, 0) == 3 && uds_send(dg[0], "three", 5, 0) == 5);
    CHECK(uds_pending(dg[1]) == 3);
    CHECK(uds_recv(dg[1], buf, 2, 0) == 2); /* the rest of "one" is dropped */
    CHECK(uds_recvfrom(dg[1], buf, sizeof buf, NULL) == 5 && memcmp(buf, "three", 5) == 0);
    CHECK(uds_send(dg[0], "", 0, 0) == 0 && uds_recv(dg[1], buf, sizeof buf, 0) == 0);
    CHECK(uds_close(dg[0]) == 0 && uds_close(dg[1]) == 0);
}

/* A child that waits until this process is blocked sending (the socket
   buffer is full), interrupts it with a signal (acknowledged by the
   handler through `note`), then reads `len` bytes of the pattern from fd
   and EOF; it exits 0 if all was right. It closes `other`, the sending
   end, first. */
static pid_t pattern_reader(int fd, int other, size_t len, int note) {
    pid_t child = fork();
    if (child == 0) {
        static unsigned char buf[65536];
        size_t got = 0, i;
        close(other);
        fcntl(fd, F_SETFL, 0); /* the reader blocks, whatever the writer does */
        if (interrupt_asleep(getppid(), SIGUSR1, note) != 0)
            _exit(4);
        while (got < len) {
            ssize_t n = read(fd, buf, sizeof buf);
            if (n <= 0)
                _exit(1);
            for (i = 0; i < (size_t)n; i++)
                if (buf[i] != (unsigned char)((got + i) * 7))
                    _exit(2);
            got += (size_t)n;
        }
        _exit(read(fd, buf, 1) == 0 ? 0 : 3);
    }
    return child;
}

/* send_all pushes a buffer far larger than the socket buffer through a
   blocking socket, and a signal while it waits for room does not stop it.
   A non-blocking socket never waits: all or nothing. */
static void test_send_all(int nonblock) {
    size_t len = 8u << 20, i;
    unsigned char *big = malloc(len);
    int sv[2], status, note[2];
    pid_t reader;

    for (i = 0; i < len; i++)
        big[i] = (unsigned char)(i * 7);
    if (!nonblock) {
        CHECK(pipe(note) == 0);
        CHECK(uds_socketpair(SOCK_STREAM, sv) == 0);
        reader = pattern_reader(sv[1], sv[0], len, note[0]);
        CHECK(close(sv[1]) == 0);
        notify_fd = note[1];
        signals = 0;
        CHECK(uds_send_all(sv[0], big, len) == 0);
        CHECK(signals == 1);
        notify_fd = -1;
        CHECK(uds_close(sv[0]) == 0);
        CHECK(waitpid(reader, &status, 0) == reader && WIFEXITED(status) && WEXITSTATUS(status) == 0);
        CHECK(close(note[0]) == 0 && close(note[1]) == 0);
    } else {
        long queued = 0;
        int n = 0;
        CHECK(uds_socketpair(SOCK_STREAM | SOCK_NONBLOCK, sv) == 0);
        /* More than the socket can promise to take whole: EMSGSIZE, nothing sent. */
        EXPECT_ERR(uds_send_all(sv[0], big, len), EMSGSIZE, "uds_send_all");
        CHECK(uds_pending(sv[1]) == 0);
        /* Until it is full, every call sends all of its 10000 bytes; then
           EAGAIN having sent nothing. */
        while (uds_send_all(sv[0], big, 10000) == 0)
            n++;
        CHECK(errno == EAGAIN && n > 2);
        queued = uds_pending(sv[1]);
        CHECK(queued == 10000L * n);
        CHECK(uds_close(sv[0]) == 0 && uds_close(sv[1]) == 0);
        /* Full before the first byte: EAGAIN. */
        CHECK(uds_socketpair(SOCK_STREAM | SOCK_NONBLOCK, sv) == 0);
        while (uds_send(sv[0], big, 65536, 0) > 0)
            ;
        CHECK(errno == EAGAIN);
        EXPECT_ERR(uds_send_all(sv[0], big, 10), EAGAIN, "uds_send_all");
        CHECK(uds_close(sv[0]) == 0 && uds_close(sv[1]) == 0);
    }
    free(big);
}

/* EINTR: nothing received yet, -1/EINTR; part of it received, carry on. */
static void test_eintr(void) {
    int sv[2], stop;
    char buf[8];
    pid_t sig, writer;
    ssize_t r;

    CHECK(uds_socketpair(SOCK_STREAM, sv) == 0);
    sig = start_signaller(SIGUSR1, &stop);
    signals = 0;
    errno = 0;
    r = uds_recv(sv[1], buf, sizeof buf, 0);
    CHECK(r == -1 && errno == EINTR && signals > 0);
    errno = 0;
    r = uds_recv_exact(sv[1], buf, 4);
    CHECK(r == -1 && errno == EINTR);
    CHECK(strncmp(uds_last_error(), "uds_recv_exact: ", 16) == 0);

    CHECK(stop_signaller(sig, stop) == 0);

    /* Two bytes, then a signal while the reader waits for the rest (the
       handler tells the writer it ran), then two more: the call carries
       on and loses nothing. */
    {
        int note[2], status;
        CHECK(pipe(note) == 0);
        notify_fd = note[1];
        signals = 0;
        writer = fork();
        if (writer == 0) {
            if (write(sv[0], "ab", 2) != 2 || interrupt_asleep(getppid(), SIGUSR1, note[0]) != 0)
                _exit(1);
            _exit(write(sv[0], "cd", 2) == 2 ? 0 : 1);
        }
        r = uds_recv_exact(sv[1], buf, 4);
        CHECK(r == 4 && memcmp(buf, "abcd", 4) == 0 && signals == 1);
        CHECK(waitpid(writer, &status, 0) == writer && WIFEXITED(status) && WEXITSTATUS(status) == 0);
        notify_fd = -1;
        CHECK(close(note[0]) == 0 && close(note[1]) == 0);
    }
    CHECK(uds_close(sv[0]) == 0 && uds_close(sv[1]) == 0);
}

/* Sends to a closed peer: EPIPE, never SIGPIPE (left at SIG_DFL here: a
   signal would kill the test). */
static void test_no_sigpipe(void) {
    static const int types[] = {SOCK_STREAM, SOCK_SEQPACKET};
    int t, sv[2];

    for (t = 0; t < 2; t++) {
        CHECK(uds_socketpair(types[t], sv) == 0);
        CHECK(uds_close(sv[1]) == 0);
        EXPECT_ERR(uds_send(sv[0], "x", 1, 0), EPIPE, "uds_send");
        EXPECT_ERR(uds_send(sv[0], "x", 1, MSG_DONTWAIT), EPIPE, "uds_send");
        EXPECT_ERR(uds_send_all(sv[0], "xyz", 3), EPIPE, "uds_send_all");
        EXPECT_ERR(uds_send_frame(sv[0], "xyz", 3), EPIPE, "uds_send_frame");
        CHECK(uds_close(sv[0]) == 0);
    }
    /* The peer goes away in the middle of a large send_all. */
    {
        size_t len = 4u << 20;
        char *big = calloc(1, len);
        pid_t child;
        int status;
        CHECK(uds_socketpair(SOCK_STREAM, sv) == 0);
        child = fork();
        if (child == 0) {
            char b[1000];
            _exit(read(sv[1], b, sizeof b) > 0 ? 0 : 1); /* reads a little, then closes */
        }
        CHECK(close(sv[1]) == 0);
        EXPECT_ERR(uds_send_all(sv[0], big, len), EPIPE, "uds_send_all");
        CHECK(strstr(uds_last_error(), "after") != NULL);
        CHECK(waitpid(child, &status, 0) == child && WIFEXITED(status) && WEXITSTATUS(status) == 0);
        CHECK(uds_close(sv[0]) == 0);
        free(big);
    }
}

/* uds_sendto to every path length and to abstract names; uds_recvfrom
   reports the sender. */
static void test_datagrams(void) {
    static const size_t lengths[] = TEST_PATH_LENGTHS;
    char name[48], buf[32], spath[80];
    uds_addr from;
    size_t i;
    int tx = uds_socket(SOCK_DGRAM), rx, named;

    for (i = 0; i < N_TEST_PATH_LENGTHS; i++) {
        size_t len = lengths[i];
        char *path = malloc(len + 1);
        if (len == 1) {
            CHECK(chdir(dir) == 0);
            strcpy(path, "s");
        } else {
            CHECK(long_path(path, dir, len, 50) == 0);
        }
        rx = uds_socket(SOCK_DGRAM);
        CHECK(uds_bind(rx, path) == 0);
        CHECK(uds_sendto(tx, "to-path", 7, path) == 7);
        memset(&from, 0x55, sizeof from);
        CHECK(uds_recvfrom(rx, buf, sizeof buf, &from) == 7 && memcmp(buf, "to-path", 7) == 0);
        CHECK(from.kind == UDS_ADDR_UNNAMED && from.len == 0);
        /* Between two library-bound sockets of this length. */
        named = uds_socket(SOCK_DGRAM);
        snprintf(spath, sizeof spath, "%s/sender", dir);
        CHECK(uds_bind(named, spath) == 0);
        CHECK(uds_sendto(named, "x", 1, path) == 1);
        CHECK(uds_recvfrom(rx, buf, sizeof buf, &from) == 1);
        CHECK(from.kind == UDS_ADDR_PATHNAME && from.len == strlen(spath) && strcmp(from.name, spath) == 0);
        CHECK(uds_close(named) == 0);
        CHECK(uds_close(rx) == 0 && !exists(path));
        EXPECT_ERR(uds_sendto(tx, "x", 1, path), ENOENT, "uds_sendto");
        if (len == 1)
            CHECK(chdir("/") == 0);
        free(path);
    }

    /* Abstract, both ways, with the sender's abstract name reported. */
    snprintf(name, sizeof name, "@udsock-data-%d", (int)getpid());
    rx = uds_listener(name, SOCK_DGRAM, 0, -1, 0);
    CHECK(rx >= 0);
    CHECK(uds_autobind(tx) == 0);
    CHECK(uds_sendto(tx, "abs", 3, name) == 3);
    CHECK(uds_pending(rx) == 3);
    CHECK(uds_recvfrom(rx, buf, 2, &from) == 2 && memcmp(buf, "ab", 2) == 0);
    CHECK(from.kind == UDS_ADDR_ABSTRACT && from.len == 5);
    buf[0] = '@';
    memcpy(buf + 1, from.name, 5);
    buf[6] = '\0';
    CHECK(uds_sendto(rx, "back", 4, buf) == 4);
    CHECK(uds_recvfrom(tx, buf, sizeof buf, NULL) == 4 && memcmp(buf, "back", 4) == 0);
    /* A full receiver queue on a non-blocking sender: EAGAIN. */
    {
        int nb = uds_socket(SOCK_DGRAM | SOCK_NONBLOCK), n = 0;
        while (uds_sendto(nb, "fill", 4, name) == 4 && n < 100000)
            n++;
        CHECK(errno == EAGAIN && n > 0);
        EXPECT_ERR(uds_sendto(nb, "fill", 4, name), EAGAIN, "uds_sendto");
        CHECK(uds_close(nb) == 0);
    }
    CHECK(uds_close(rx) == 0);
    EXPECT_ERR(uds_sendto(tx, "x", 1, name), ECONNREFUSED, "uds_sendto");
    EXPECT_ERR(uds_sendto(tx, "x", 1, "@"), EINVAL, "uds_sendto");
    EXPECT_ERR(uds_sendto(tx, "x", 1, ""), EINVAL, "uds_sendto");
    EXPECT_ERR(uds_sendto(tx, "x", 1, NULL), EINVAL, "uds_sendto");
    CHECK(uds_close(tx) == 0);
}

static void test_errors(void) {
    char file[80], buf[8];
    uds_addr from;
    int reg, fd = uds_socket(SOCK_STREAM), sv[2], lis;

    snprintf(file, sizeof file, "%s/regular", dir);
    reg = open(file, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    CHECK(reg >= 0 && write(reg, "content", 7) == 7 && lseek(reg, 0, SEEK_SET) == 0);
    CHECK(uds_socketpair(SOCK_DGRAM, sv) == 0);

    EXPECT_ERR(uds_send(-1, "x", 1, 0), EBADF, "uds_send");
    EXPECT_ERR(uds_send(1000000, "x", 1, 0), EBADF, "uds_send");
    EXPECT_ERR(uds_send(reg, "x", 1, 0), ENOTSOCK, "uds_send");
    EXPECT_ERR(uds_send(sv[0], NULL, 1, 0), EINVAL, "uds_send");
    EXPECT_ERR(uds_send(fd, "x", 1, 0), ENOTCONN, "uds_send");
    EXPECT_ERR(uds_recv(-1, buf, 1, 0), EBADF, "uds_recv");
    EXPECT_ERR(uds_recv(reg, buf, 1, 0), ENOTSOCK, "uds_recv");
    EXPECT_ERR(uds_recv(sv[0], NULL, 1, 0), EINVAL, "uds_recv");
    EXPECT_ERR(uds_send_all(-1, "x", 1), EBADF, "uds_send_all");
    EXPECT_ERR(uds_send_all(reg, "x", 1), ENOTSOCK, "uds_send_all");
    EXPECT_ERR(uds_send_all(sv[0], NULL, 1), EINVAL, "uds_send_all");
    EXPECT_ERR(uds_recv_exact(-1, buf, 1), EBADF, "uds_recv_exact");
    EXPECT_ERR(uds_recv_exact(reg, buf, 1), ENOTSOCK, "uds_recv_exact");
    EXPECT_ERR(uds_recv_exact(sv[0], NULL, 1), EINVAL, "uds_recv_exact");
    EXPECT_ERR(uds_pending(-1), EBADF, "uds_pending");
    EXPECT_ERR(uds_pending(1000000), EBADF, "uds_pending");
    EXPECT_ERR(uds_pending(reg), ENOTSOCK, "uds_pending");
    lis = uds_socket(SOCK_STREAM);
    CHECK(uds_autobind(lis) == 0 && uds_listen(lis, 0) == 0);
    EXPECT_ERR(uds_pending(lis), EINVAL, "uds_pending");
    CHECK(uds_close(lis) == 0);
    EXPECT_ERR(uds_sendto(-1, "x", 1, "@x"), EBADF, "uds_sendto");
    EXPECT_ERR(uds_sendto(reg, "x", 1, "@x"), ENOTSOCK, "uds_sendto");
    EXPECT_ERR(uds_sendto(sv[0], NULL, 1, "@x"), EINVAL, "uds_sendto");
    EXPECT_ERR(uds_recvfrom(-1, buf, 1, &from), EBADF, "uds_recvfrom");
    EXPECT_ERR(uds_recvfrom(reg, buf, 1, &from), ENOTSOCK, "uds_recvfrom");
    EXPECT_ERR(uds_recvfrom(sv[0], NULL, 1, &from), EINVAL, "uds_recvfrom");
    CHECK(close(reg) == 0 && unlink(file) == 0);
    CHECK(uds_close(fd) == 0 && uds_close(sv[0]) == 0 && uds_close(sv[1]) == 0);
}

int main(void) {
    struct sigaction old;
    int fds;

    signal(SIGPIPE, SIG_DFL);
    CHECK(catch_signal(SIGUSR1, on_signal, &old) == 0);
    CHECK(make_tmpdir(dir, sizeof dir, "data") == 0);
    fds = count_fds();
    test_basic();
    test_send_all(0);
    test_send_all(1);
    test_eintr();
    test_no_sigpipe();
    test_datagrams();
    test_errors();
    CHECK(count_fds() == fds);
    CHECK(rm_tree(dir) == 0);
    DONE();
}
