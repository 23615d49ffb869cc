/* Create, bind, listen, accept, connect: uds_socket, uds_socketpair,
   uds_bind, uds_bind_abstract, uds_autobind, uds_listen, uds_accept,
   uds_connect, uds_connect_abstract, uds_unlink, uds_close,
   uds_unlink_path. Pathnames of 1, 107, 108, 200 and 4000 bytes, final
   components too long, paths over PATH_MAX; the bound-socket table
   (only the file this socket created is removed, also after the fd number
   was reused); close-on-exec; EINTR from a blocking uds_accept; every
   error path, with no descriptor left behind. */
#define _GNU_SOURCE
#include <limits.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <udsock.h>
#include "check.h"
#include "util.h"

static char dir[64];

/* A stream server and a client on `path`, one byte each way. */
static void round_trip(int srv, const char *path) {
    int cli = uds_socket(SOCK_STREAM), conn;
    char c = 0;

    CHECK(uds_connect(cli, path) == 0);
    conn = uds_accept(srv, 0);
    CHECK(conn >= 0 && is_cloexec(conn));
    CHECK(uds_send(cli, "x", 1, 0) == 1 && uds_recv(conn, &c, 1, 0) == 1 && c == 'x');
    CHECK(uds_send(conn, "y", 1, 0) == 1 && uds_recv(cli, &c, 1, 0) == 1 && c == 'y');
    CHECK(uds_close(conn) == 0 && uds_close(cli) == 0);
}

/* bind, connect, getsockname, unlink for a path of `len` bytes. */
static void test_length(size_t len) {
    char *path = malloc(len + 1);
    uds_addr a;
    int fd;

    if (len == 1) {
        CHECK(chdir(dir) == 0);
        strcpy(path, "s");
    } else {
        CHECK(long_path(path, dir, len, len >= 108 ? 80 : 30) == 0);
    }
    fd = uds_socket(SOCK_STREAM);
    CHECK(fd >= 0 && is_cloexec(fd));
    CHECK(uds_bind(fd, path) == 0);
    CHECK(is_socket_file(path));
    CHECK(uds_listen(fd, -5) == 0);
    CHECK(uds_getsockname(fd, &a) == 0 && a.kind == UDS_ADDR_PATHNAME && a.len == len &&
          memcmp(a.name, path, len < 108 ? len : 108) == 0);
    round_trip(fd, path);
    /* A dup is the same socket: the same real path; closing it removes
       nothing. */
    {
        int d = fcntl(fd, F_DUPFD_CLOEXEC, 0);
        memset(&a, 0, sizeof a);
        CHECK(uds_getsockname(d, &a) == 0 && a.len == len && memcmp(a.name, path, len < 108 ? len : 108) == 0);
        CHECK(uds_close(d) == 0 && is_socket_file(path));
    }
    /* uds_unlink removes the file and leaves the socket open. */
    CHECK(uds_unlink(fd) == 0);
    CHECK(!exists(path));
    EXPECT_ERR(uds_unlink(fd), EINVAL, "uds_unlink");
    CHECK(strstr(uds_last_error(), "already unlinked") != NULL);
    /* Still bound: the name it reports is still the real path. */
    CHECK(uds_getsockname(fd, &a) == 0 && a.kind == UDS_ADDR_PATHNAME && a.len == len &&
          memcmp(a.name, path, len < 108 ? len : 108) == 0);
    CHECK(uds_close(fd) == 0);

    /* A datagram socket at the same path, removed by uds_unlink_path. */
    fd = uds_socket(SOCK_DGRAM);
    CHECK(uds_bind(fd, path) == 0);
    CHECK(close(fd) == 0 && is_socket_file(path));
    CHECK(uds_unlink_path(path) == 0 && !exists(path));
    EXPECT_ERR(uds_unlink_path(path), ENOENT, "uds_unlink_path");
    if (len == 1)
        CHECK(chdir("/") == 0);
    free(path);
}

/* Only the final component has to fit behind /proc/self/fd/N/; a path
   over PATH_MAX never fits. */
static void test_too_long(void) {
    char *path = malloc(PATH_MAX + 100);
    size_t n;
    int fd = uds_socket(SOCK_STREAM), before = count_fds();

    /* A path that fits is used directly: a relative one with a 100-byte
       name works, though 100 bytes could not follow /proc/self/fd/N/. */
    CHECK(chdir(dir) == 0);
    memset(path, 'r', 100);
    path[100] = '\0';
    CHECK(uds_bind(fd, path) == 0 && is_socket_file(path));
    CHECK(uds_close(fd) == 0 && !exists(path));
    CHECK(chdir("/") == 0);
    /* In a long path, a final component of 108 bytes cannot be a socket's
       name (the kernel's limit is 107; test_long_names covers 92..107). */
    fd = uds_socket(SOCK_STREAM);
    CHECK(long_path(path, dir, 300, 108) == 0);
    EXPECT_ERR(uds_bind(fd, path), ENAMETOOLONG, "uds_bind");
    /* The line keeps the cause whole though the name fills it: the
       component's size and the limit. */
    CHECK(strstr(uds_last_error(), "108 bytes") != NULL && strstr(uds_last_error(), "at most 107") != NULL);
    EXPECT_ERR(uds_connect(fd, path), ENAMETOOLONG, "uds_connect");
    CHECK(strstr(uds_last_error(), "108 bytes") != NULL && strstr(uds_last_error(), "at most 107") != NULL);
    EXPECT_ERR(uds_listener(path, SOCK_STREAM, 0, -1, 0), ENAMETOOLONG, "uds_listener");
    EXPECT_ERR(uds_listener(path, SOCK_STREAM, 0, -1, UDS_REPLACE_STALE), ENAMETOOLONG, "uds_listener");
    EXPECT_ERR(uds_dial(path, SOCK_STREAM), ENAMETOOLONG, "uds_dial");
    EXPECT_ERR(uds_sendto(fd, "x", 1, path), ENAMETOOLONG, "uds_sendto");
    CHECK(strstr(uds_last_error(), "108 bytes") != NULL && strstr(uds_last_error(), "at most 107") != NULL);
    CHECK(!exists(path));
    /* A relative name of 108 bytes is a final component of 108 bytes too. */
    CHECK(chdir(dir) == 0);
    memset(path, 'r', 108);
    path[108] = '\0';
    EXPECT_ERR(uds_bind(fd, path), ENAMETOOLONG, "uds_bind");
    CHECK(strstr(uds_last_error(), "at most 107") != NULL);
    EXPECT_ERR(uds_connect(fd, path), ENAMETOOLONG, "uds_connect");
    EXPECT_ERR(uds_sendto(fd, "x", 1, path), ENAMETOOLONG, "uds_sendto");
    EXPECT_ERR(uds_listener(path, SOCK_STREAM, 0, -1, 0), ENAMETOOLONG, "uds_listener");
    CHECK(strstr(uds_last_error(), "at most 107") != NULL);
    CHECK(!exists(path));
    CHECK(chdir("/") == 0);
    /* 85 bytes do. */
    CHECK(long_path(path, dir, 300, 85) == 0);
    CHECK(uds_bind(fd, path) == 0 && uds_close(fd) == 0 && !exists(path));
    /* PATH_MAX counts the NUL: PATH_MAX - 1 bytes at most. */
    fd = uds_socket(SOCK_STREAM);
    CHECK(long_path(path, dir, PATH_MAX - 1, 50) == 0);
    CHECK(uds_bind(fd, path) == 0);
    CHECK(uds_unlink(fd) == 0 && !exists(path));
    n = strlen(path);
    strcpy(path + n, "x");
    EXPECT_ERR(uds_bind(fd, path), ENAMETOOLONG, "uds_bind");
    memset(path, 'a', PATH_MAX + 50);
    path[0] = '/';
    path[PATH_MAX + 50] = '\0';
    EXPECT_ERR(uds_bind(fd, path), ENAMETOOLONG, "uds_bind");
    EXPECT_ERR(uds_connect(fd, path), ENAMETOOLONG, "uds_connect");
    EXPECT_ERR(uds_unlink_path(path), ENAMETOOLONG, "uds_unlink_path");
    EXPECT_ERR(uds_listener(path, SOCK_STREAM, 0, -1, 0), ENAMETOOLONG, "uds_listener");
    EXPECT_ERR(uds_dial(path, SOCK_STREAM), ENAMETOOLONG, "uds_dial");
    /* A socket file whose name no bind could make (renamed to 240..255
       bytes, up to NAME_MAX) is still removed. */
    for (n = 240; n <= 255; n += 5) {
        char short_name[sizeof dir + 8];
        int s = uds_socket(SOCK_DGRAM);
        snprintf(short_name, sizeof short_name, "%s/short", dir);
        CHECK(s >= 0 && uds_bind(s, short_name) == 0 && close(s) == 0);
        CHECK(long_path(path, dir, n == 255 ? 600 : strlen(dir) + 1 + n, n) == 0);
        CHECK(rename(short_name, path) == 0);
        CHECK(uds_unlink_path(path) == 0 && !exists(path));
    }
    /* A missing parent directory, short and long. */
    snprintf(path, 200, "%s/nonexistent/s", dir);
    EXPECT_ERR(uds_bind(fd, path), ENOENT, "uds_bind");
    CHECK(long_path(path, dir, 400, 20) == 0);
    strcpy(strrchr(path, '/'), "/nonexistent/s");
    EXPECT_ERR(uds_bind(fd, path), ENOENT, "uds_bind");
    EXPECT_ERR(uds_connect(fd, path), ENOENT, "uds_connect");
    CHECK(uds_close(fd) == 0);
    CHECK(count_fds() == before - 1);
    free(path);
}

/* The bound-socket table: uds_unlink and uds_close remove only the file
   this very socket created. */
static void test_table(size_t len) {
    char *path = malloc(len + 1), *other = malloc(len + 1);
    int a, b, c;

    CHECK(long_path(path, dir, len, 40) == 0);
    CHECK(long_path(other, dir, len, 41) == 0 || long_path(other, dir, len, 42) == 0);

    /* The file was replaced by another socket: left alone. */
    a = uds_socket(SOCK_STREAM);
    CHECK(uds_bind(a, path) == 0);
    CHECK(unlink(path) == 0);
    b = uds_socket(SOCK_STREAM);
    CHECK(uds_bind(b, path) == 0);
    EXPECT_ERR(uds_unlink(a), ENOENT, "uds_unlink");
    CHECK(is_socket_file(path));
    CHECK(uds_close(a) == 0 && is_socket_file(path));
    CHECK(uds_close(b) == 0 && !exists(path));

    /* A dup of the fd that bound it is the same socket: it unlinks the
       file; the original then finds it already unlinked, and closing the
       dup never removes a file the original still serves. */
    a = uds_socket(SOCK_STREAM);
    CHECK(uds_bind(a, path) == 0);
    c = dup(a);
    CHECK(c >= 0 && uds_close(c) == 0 && is_socket_file(path));
    c = dup(a);
    CHECK(c >= 0 && uds_unlink(c) == 0 && !exists(path));
    EXPECT_ERR(uds_unlink(a), EINVAL, "uds_unlink");
    CHECK(strstr(uds_last_error(), "already unlinked") != NULL);
    CHECK(close(c) == 0 && uds_close(a) == 0);

    /* Replaced by a regular file: left alone. */
    a = uds_socket(SOCK_DGRAM);
    CHECK(uds_bind(a, path) == 0 && unlink(path) == 0);
    c = open(path, O_CREAT | O_WRONLY | O_CLOEXEC, 0600);
    CHECK(c >= 0 && close(c) == 0);
    EXPECT_ERR(uds_unlink(a), ENOENT, "uds_unlink");
    CHECK(exists(path));
    CHECK(uds_close(a) == 0 && exists(path) && unlink(path) == 0);

    /* The fd number was reused by an unrelated socket after close(2). */
    a = uds_socket(SOCK_STREAM);
    CHECK(uds_bind(a, path) == 0 && close(a) == 0);
    b = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    CHECK(b == a);
    EXPECT_ERR(uds_unlink(b), EINVAL, "uds_unlink");
    CHECK(uds_close(b) == 0 && is_socket_file(path));
    /* ... and by a socket the library bound elsewhere: only that file goes. */
    b = uds_socket(SOCK_STREAM);
    CHECK(b == a);
    CHECK(uds_bind(b, other) == 0);
    CHECK(uds_close(b) == 0 && !exists(other) && is_socket_file(path));
    /* ... and by a socket bound with a raw bind() to the same path. */
    CHECK(unlink(path) == 0);
    {
        uds_addr got;
        b = uds_socket(SOCK_STREAM);
        CHECK(b == a);
        if (len <= 107) {
            struct sockaddr_un sun;
            memset(&sun, 0, sizeof sun);
            sun.sun_family = AF_UNIX;
            memcpy(sun.sun_path, path, len);
            CHECK(bind(b, (struct sockaddr *)&sun, sizeof sun) == 0);
            CHECK(uds_getsockname(b, &got) == 0 && got.len == len);
            EXPECT_ERR(uds_unlink(b), EINVAL, "uds_unlink");
            CHECK(uds_close(b) == 0 && is_socket_file(path) && unlink(path) == 0);
        } else {
            CHECK(uds_close(b) == 0);
        }
    }
    /* A plain close(2) and a new socket bound to the same path: the new
       one owns the file. */
    a = uds_socket(SOCK_STREAM);
    CHECK(uds_bind(a, path) == 0 && close(a) == 0 && unlink(path) == 0);
    b = uds_socket(SOCK_DGRAM);
    CHECK(b == a && uds_bind(b, path) == 0);
    CHECK(uds_close(b) == 0 && !exists(path));
    free(path);
    free(other);
}

static volatile sig_atomic_t got_signal;
static void on_signal(int sig) {
    (void)sig;
    got_signal = 1;
}

/* A signal handled without SA_RESTART stops a blocking uds_accept with
   EINTR (sent repeatedly by a child, as nobody can tell when exactly the
   parent starts to block). */
static void test_accept_eintr(void) {
    struct sigaction old;
    int srv, r, stop;
    char path[80];
    pid_t child;

    snprintf(path, sizeof path, "%s/eintr.sock", dir);
    srv = uds_listener(path, SOCK_STREAM, 0, -1, 0);
    CHECK(srv >= 0);
    CHECK(catch_signal(SIGUSR1, on_signal, &old) == 0);
    child = start_signaller(SIGUSR1, &stop);
    CHECK(child > 0);
    errno = 0;
    r = uds_accept(srv, 0);
    CHECK(r == -1 && errno == EINTR && got_signal);
    CHECK(strncmp(uds_last_error(), "uds_accept: ", 12) == 0);
    CHECK(stop_signaller(child, stop) == 0);
    CHECK(sigaction(SIGUSR1, &old, NULL) == 0);
    CHECK(uds_close(srv) == 0 && !exists(path));
}

static void test_misc(void) {
    int sv[2] = {-7, -7}, fd, t, nb;
    static const int types[] = {SOCK_STREAM, SOCK_DGRAM, SOCK_SEQPACKET};
    char name[32];

    for (t = 0; t < 3; t++) {
        for (nb = 0; nb < 2; nb++) {
            int ty = types[t] | (nb ? SOCK_NONBLOCK : 0);
            fd = uds_socket(ty);
            CHECK(fd >= 0 && is_cloexec(fd));
            CHECK(((fcntl(fd, F_GETFL) & O_NONBLOCK) != 0) == nb);
            CHECK(uds_close(fd) == 0);
            CHECK(uds_socketpair(ty, sv) == 0 && is_cloexec(sv[0]) && is_cloexec(sv[1]));
            CHECK(uds_close(sv[0]) == 0 && uds_close(sv[1]) == 0);
        }
    }
    /* Abstract listen/accept/connect, and a non-blocking accept. */
    snprintf(name, sizeof name, "udsock-bind-%d", (int)getpid());
    fd = uds_socket(SOCK_SEQPACKET);
    CHECK(uds_bind_abstract(fd, name, strlen(name)) == 0 && uds_listen(fd, 1) == 0);
    EXPECT_ERR(uds_accept(fd, SOCK_NONBLOCK | 0x40000000), EINVAL, "uds_accept");
    CHECK(fcntl(fd, F_SETFL, O_NONBLOCK) == 0);
    EXPECT_ERR(uds_accept(fd, 0), EAGAIN, "uds_accept");
    t = uds_socket(SOCK_SEQPACKET);
    CHECK(uds_connect_abstract(t, name, strlen(name)) == 0);
    nb = uds_accept(fd, SOCK_NONBLOCK);
    CHECK(nb >= 0 && is_cloexec(nb) && (fcntl(nb, F_GETFL) & O_NONBLOCK));
    EXPECT_ERR(uds_connect_abstract(t, name, strlen(name)), EISCONN, "uds_connect_abstract");
    CHECK(uds_close(nb) == 0 && uds_close(t) == 0 && uds_close(fd) == 0);
    t = uds_socket(SOCK_STREAM);
    EXPECT_ERR(uds_connect_abstract(t, name, strlen(name)), ECONNREFUSED, "uds_connect_abstract");
    EXPECT_ERR(uds_connect_abstract(t, name, 0), EINVAL, "uds_connect_abstract");
    EXPECT_ERR(uds_connect_abstract(t, NULL, 3), EINVAL, "uds_connect_abstract");
    EXPECT_ERR(uds_connect_abstract(t, name, 108), ENAMETOOLONG, "uds_connect_abstract");
    CHECK(uds_close(t) == 0);
}

/* Every call given NULL, -1, a closed fd, a regular file, a bad type or an
   empty path fails with the right errno and a last error naming it. */
static void test_errors(void) {
    char file[80], path[80];
    int reg, fd = uds_socket(SOCK_STREAM), sv[2] = {-7, -7};

    snprintf(file, sizeof file, "%s/regular", dir);
    snprintf(path, sizeof path, "%s/e.sock", dir);
    reg = open(file, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    CHECK(reg >= 0 && fd >= 0);

    EXPECT_ERR(uds_socket(0), EINVAL, "uds_socket");
    EXPECT_ERR(uds_socket(SOCK_RAW), EINVAL, "uds_socket");
    EXPECT_ERR(uds_socket(SOCK_STREAM | SOCK_CLOEXEC), EINVAL, "uds_socket");
    EXPECT_ERR(uds_socket(-1), EINVAL, "uds_socket");
    CHECK(strstr(uds_last_error(), "type") != NULL);
    EXPECT_ERR(uds_socketpair(SOCK_STREAM, NULL), EINVAL, "uds_socketpair");
    EXPECT_ERR(uds_socketpair(SOCK_RDM, sv), EINVAL, "uds_socketpair");
    CHECK(sv[0] == -7 && sv[1] == -7);

    EXPECT_ERR(uds_bind(-1, path), EBADF, "uds_bind");
    EXPECT_ERR(uds_bind(1000000, path), EBADF, "uds_bind");
    EXPECT_ERR(uds_bind(fd, NULL), EINVAL, "uds_bind");
    EXPECT_ERR(uds_bind(fd, ""), EINVAL, "uds_bind");
    EXPECT_ERR(uds_bind(reg, path), ENOTSOCK, "uds_bind");
    CHECK(!exists(path));
    EXPECT_ERR(uds_bind_abstract(-1, "x", 1), EBADF, "uds_bind_abstract");
    EXPECT_ERR(uds_bind_abstract(reg, "x", 1), ENOTSOCK, "uds_bind_abstract");
    EXPECT_ERR(uds_autobind(-1), EBADF, "uds_autobind");
    EXPECT_ERR(uds_autobind(reg), ENOTSOCK, "uds_autobind");
    EXPECT_ERR(uds_listen(-1, 0), EBADF, "uds_listen");
    EXPECT_ERR(uds_listen(reg, 0), ENOTSOCK, "uds_listen");
    EXPECT_ERR(uds_accept(-1, 0), EBADF, "uds_accept");
    EXPECT_ERR(uds_accept(reg, 0), ENOTSOCK, "uds_accept");
    EXPECT_ERR(uds_accept(fd, 0), EINVAL, "uds_accept"); /* not listening */
    EXPECT_ERR(uds_connect(-1, path), EBADF, "uds_connect");
    EXPECT_ERR(uds_connect(fd, NULL), EINVAL, "uds_connect");
    EXPECT_ERR(uds_connect(fd, ""), EINVAL, "uds_connect");
    EXPECT_ERR(uds_connect(reg, path), ENOTSOCK, "uds_connect");
    EXPECT_ERR(uds_connect(fd, path), ENOENT, "uds_connect");
    CHECK(strstr(uds_last_error(), path) != NULL);
    EXPECT_ERR(uds_connect(fd, file), ECONNREFUSED, "uds_connect");
    EXPECT_ERR(uds_connect_abstract(-1, "x", 1), EBADF, "uds_connect_abstract");
    EXPECT_ERR(uds_connect_abstract(reg, "x", 1), ENOTSOCK, "uds_connect_abstract");
    EXPECT_ERR(uds_unlink(-1), EBADF, "uds_unlink");
    EXPECT_ERR(uds_unlink(fd), EINVAL, "uds_unlink"); /* not bound */
    EXPECT_ERR(uds_unlink(reg), ENOTSOCK, "uds_unlink");
    EXPECT_ERR(uds_unlink(1000000), EBADF, "uds_unlink");
    EXPECT_ERR(uds_close(-1), EBADF, "uds_close");
    EXPECT_ERR(uds_close(1000000), EBADF, "uds_close");
    EXPECT_ERR(uds_unlink_path(NULL), EINVAL, "uds_unlink_path");
    EXPECT_ERR(uds_unlink_path(""), EINVAL, "uds_unlink_path");
    EXPECT_ERR(uds_unlink_path(file), ENOTSOCK, "uds_unlink_path");
    EXPECT_ERR(uds_unlink_path(dir), ENOTSOCK, "uds_unlink_path");
    CHECK(exists(file) && exists(dir));
    CHECK(symlink(file, path) == 0);
    EXPECT_ERR(uds_unlink_path(path), ENOTSOCK, "uds_unlink_path");
    CHECK(exists(path) && unlink(path) == 0);

    /* A path in use: EADDRINUSE, and the file is left alone. */
    CHECK(uds_bind(fd, path) == 0);
    sv[0] = uds_socket(SOCK_STREAM);
    EXPECT_ERR(uds_bind(sv[0], path), EADDRINUSE, "uds_bind");
    EXPECT_ERR(uds_bind(sv[0], file), EADDRINUSE, "uds_bind");
    snprintf(file + strlen(file), 8, "2");
    EXPECT_ERR(uds_bind(fd, file), EINVAL, "uds_bind"); /* already bound */
    CHECK(!exists(file));
    file[strlen(file) - 1] = '\0';
    CHECK(uds_close(sv[0]) == 0);
    EXPECT_ERR(uds_connect(fd, path), ECONNREFUSED, "uds_connect"); /* not listening */
    CHECK(uds_close(fd) == 0 && !exists(path));
    CHECK(close(reg) == 0 && unlink(file) == 0);
}

int main(void) {
    static const size_t lengths[] = TEST_PATH_LENGTHS;
    size_t i;
    int fds;

    signal(SIGPIPE, SIG_DFL);
    CHECK(make_tmpdir(dir, sizeof dir, "bind") == 0);
    fds = count_fds();
    for (i = 0; i < N_TEST_PATH_LENGTHS; i++)
        test_length(lengths[i]);
    CHECK(count_fds() == fds);
    test_too_long();
    CHECK(count_fds() == fds);
    test_table(90);
    test_table(300);
    test_table(4000);
    CHECK(count_fds() == fds);
    test_accept_eintr();
    test_misc();
    test_errors();
    CHECK(count_fds() == fds);
    CHECK(rm_tree(dir) == 0);
    DONE();
}
