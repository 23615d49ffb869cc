/* Library: uds_last_error and uds_version. Every failing call of the core
   leaves one line naming the function and the value at fault (escaped,
   shortened when long), per thread, untouched by calls that succeed; no
   failing call leaves a descriptor open or a file behind. */
#define _GNU_SOURCE
#include <pthread.h>
#include <sys/socket.h>
#include <udsock.h>
#include "check.h"
#include "util.h"

static char dir[64];

/* The last error is one line, starts with "func: " and holds `value`. */
static int names(const char *func, const char *value) {
    const char *e = uds_last_error();
    size_t n = strlen(func);
    return strncmp(e, func, n) == 0 && e[n] == ':' && e[n + 1] == ' ' && strchr(e, '\n') == NULL &&
           strstr(e, value) != NULL;
}

#define EXPECT_NAMED(call, err, fname, value)                                           \
    do {                                                                                \
        EXPECT_ERR(call, err, fname);                                                   \
        if (!names(fname, value))                                                       \
            fprintf(stderr, "%s:%d: want %s in: %s\n", __FILE__, __LINE__, value,       \
                    uds_last_error());                                                  \
        CHECK(names(fname, value));                                                     \
    } while (0)

static void test_messages(void) {
    char path[120], *deep = malloc(4001), buf[8];
    size_t len;
    int fd = uds_socket(SOCK_STREAM), sv[2];
    uds_addr a;

    snprintf(path, sizeof path, "%s/missing/x.sock", dir);
    EXPECT_NAMED(uds_socket(0x63), EINVAL, "uds_socket", "0x63");
    EXPECT_NAMED(uds_socketpair(0x63, sv), EINVAL, "uds_socketpair", "0x63");
    EXPECT_NAMED(uds_bind(-1, path), EBADF, "uds_bind", "-1");
    EXPECT_NAMED(uds_bind(fd, NULL), EINVAL, "uds_bind", "NULL");
    EXPECT_NAMED(uds_bind(fd, ""), EINVAL, "uds_bind", "empty");
    EXPECT_NAMED(uds_bind(fd, path), ENOENT, "uds_bind", path);
    EXPECT_NAMED(uds_connect(fd, path), ENOENT, "uds_connect", path);
    EXPECT_NAMED(uds_listener(path, SOCK_STREAM, 0, 0600, UDS_REPLACE_STALE), ENOENT, "uds_listener", "missing");
    EXPECT_NAMED(uds_listener(path, SOCK_STREAM, 0, 010000, 0), EINVAL, "uds_listener", "010000");
    EXPECT_NAMED(uds_listener(path, SOCK_STREAM, 0, -2, 0), EINVAL, "uds_listener", "-2");
    EXPECT_NAMED(uds_listener(path, SOCK_STREAM, 0, -1, 0x10), EINVAL, "uds_listener", "0x10");
    EXPECT_NAMED(uds_dial(path, SOCK_SEQPACKET), ENOENT, "uds_dial", path);
    EXPECT_NAMED(uds_accept(fd, 0), EINVAL, "uds_accept", "fd");
    EXPECT_NAMED(uds_listen(1000000, 0), EBADF, "uds_listen", "1000000");
    EXPECT_NAMED(uds_unlink(fd), EINVAL, "uds_unlink", "fd");
    EXPECT_NAMED(uds_unlink_path(path), ENOENT, "uds_unlink_path", "missing");
    EXPECT_NAMED(uds_getsockname(fd, NULL), EINVAL, "uds_getsockname", "out");
    EXPECT_NAMED(uds_getpeername(fd, &a), ENOTCONN, "uds_getpeername", "fd");
    EXPECT_NAMED(uds_send(fd, "x", 1, 0), ENOTCONN, "uds_send", "fd");
    EXPECT_NAMED(uds_recv(-5, buf, 1, 0), EBADF, "uds_recv", "-5");
    EXPECT_NAMED(uds_sendto(fd, "x", 1, path), EOPNOTSUPP, "uds_sendto", path); /* a stream */
    EXPECT_NAMED(uds_recv_frame(fd, buf, 1, NULL), EINVAL, "uds_recv_frame", "len_out");
    EXPECT_NAMED(uds_recv_frame(fd, buf, 1, &len), EINVAL, "uds_recv_frame", "fd"); /* not connected */
    EXPECT_NAMED(uds_send_frame(-1, "x", 1), EBADF, "uds_send_frame", "-1");
    EXPECT_NAMED(uds_recv_exact(fd, NULL, 3), EINVAL, "uds_recv_exact", "buf");
    EXPECT_NAMED(uds_listen_fd_by_name("nope"), ENOENT, "uds_listen_fd_by_name", "nope");

    /* Bytes that would break the line are escaped. */
    snprintf(path, sizeof path, "%s/no\nsuch\\dir/x", dir);
    EXPECT_NAMED(uds_bind(fd, path), ENOENT, "uds_bind", "no\\x0asuch\\x5cdir");
    EXPECT_NAMED(uds_connect_abstract(fd, "udsock\0none", 11), ECONNREFUSED, "uds_connect_abstract",
                 "udsock\\x00none");
    /* A 4000-byte path is shortened, with its length. */
    CHECK(long_path(deep, dir, 4000, 50) == 0);
    strcpy(strrchr(deep, '/') - 3, "zzz/s");
    EXPECT_NAMED(uds_bind(fd, deep), ENOENT, "uds_bind", "zzz");
    CHECK(strstr(uds_last_error(), "bytes") != NULL && strlen(uds_last_error()) < 320);
    CHECK(long_path(deep, dir, 1000, 108) == 0);
    EXPECT_NAMED(uds_bind(fd, deep), ENAMETOOLONG, "uds_bind", "108 bytes");

    /* A call that succeeds leaves the last error alone. */
    EXPECT_ERR(uds_socket(-7), EINVAL, "uds_socket");
    {
        char before[400];
        int ok;
        snprintf(before, sizeof before, "%s", uds_last_error());
        ok = uds_socket(SOCK_DGRAM);
        CHECK(ok >= 0 && strcmp(before, uds_last_error()) == 0);
        CHECK(uds_close(ok) == 0 && strcmp(before, uds_last_error()) == 0);
    }
    CHECK(uds_close(fd) == 0);
    free(deep);
}

static void *other_thread(void *arg) {
    int *ok = arg;
    /* A new thread has no error of its own yet... */
    *ok = strcmp(uds_last_error(), "") == 0;
    /* ... and its errors are its own. */
    *ok = *ok && uds_socket(0x51) == -1 && errno == EINVAL && strstr(uds_last_error(), "0x51") != NULL;
    return NULL;
}

static void test_threads(void) {
    pthread_t t;
    int ok = 0;

    EXPECT_ERR(uds_socket(0x42), EINVAL, "uds_socket");
    CHECK(pthread_create(&t, NULL, other_thread, &ok) == 0 && pthread_join(t, NULL) == 0);
    CHECK(ok);
    CHECK(strstr(uds_last_error(), "0x42") != NULL);
}

/* Every failing call, each counted alone: no descriptor survives it. */
static void test_no_leaks(void) {
    char path[100], file[100], *deep = malloc(4001), *deep2 = malloc(4001), buf[8];
    int fd = uds_socket(SOCK_STREAM), reg, live, sv[2], n, before;
    size_t len;

    snprintf(path, sizeof path, "%s/leak.sock", dir);
    snprintf(file, sizeof file, "%s/regular", dir);
    reg = open(file, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    CHECK(long_path(deep, dir, 4000, 40) == 0 && long_path(deep2, dir, 4000, 41) == 0);
    live = uds_listener(deep, SOCK_STREAM, 0, 0600, UDS_REPLACE_STALE);
    CHECK(live >= 0 && reg >= 0 && uds_socketpair(SOCK_STREAM, sv) == 0);
    CHECK(uds_close(sv[1]) == 0);
    strcpy(strrchr(deep2, '/'), "/missing/s");

#define NO_LEAK(call)                                                                    \
    do {                                                                                 \
        before = count_fds();                                                            \
        n = (int)(call);                                                                 \
        CHECK(n == -1);                                                                  \
        if (count_fds() != before)                                                       \
            fprintf(stderr, "%s:%d: %s leaked a descriptor\n", __FILE__, __LINE__, #call); \
        CHECK(count_fds() == before);                                                    \
    } while (0)

    NO_LEAK(uds_listener(deep, SOCK_STREAM, 0, 0600, UDS_REPLACE_STALE));
    NO_LEAK(uds_listener(deep, SOCK_STREAM, 0, 0600, 0));
    NO_LEAK(uds_listener(deep2, SOCK_STREAM, 0, 0600, UDS_REPLACE_STALE));
    NO_LEAK(uds_listener(file, SOCK_STREAM, 0, 0600, UDS_REPLACE_STALE));
    NO_LEAK(uds_listener(dir, SOCK_DGRAM, 0, -1, UDS_REPLACE_STALE));
    NO_LEAK(uds_listener("@", SOCK_STREAM, 0, -1, 0));
    NO_LEAK(uds_listener(path, 99, 0, -1, 0));
    NO_LEAK(uds_dial(deep, SOCK_DGRAM));
    NO_LEAK(uds_dial(deep2, SOCK_STREAM));
    NO_LEAK(uds_dial(file, SOCK_STREAM));
    NO_LEAK(uds_dial("@udsock-nobody-listens-here", SOCK_SEQPACKET));
    NO_LEAK(uds_bind(fd, deep));
    NO_LEAK(uds_bind(fd, deep2));
    NO_LEAK(uds_bind(reg, path));
    NO_LEAK(uds_connect(fd, deep2));
    NO_LEAK(uds_connect(fd, file));
    NO_LEAK(uds_connect(reg, deep));
    NO_LEAK(uds_sendto(fd, "x", 1, deep2));
    NO_LEAK(uds_sendto(fd, "x", 1, deep));
    NO_LEAK(uds_unlink_path(deep2));
    NO_LEAK(uds_unlink_path(file));
    NO_LEAK(uds_unlink(fd));
    NO_LEAK(uds_unlink(reg));
    NO_LEAK(uds_accept(fd, 0));
    NO_LEAK(uds_accept(live, 0x7));
    NO_LEAK(uds_socket(0));
    NO_LEAK(uds_socketpair(0, sv));
    NO_LEAK(uds_send_all(sv[0], "x", 1));
    NO_LEAK(uds_send_frame(sv[0], "x", 1));
    NO_LEAK(uds_recv_frame(fd, buf, sizeof buf, &len));
    NO_LEAK(uds_close(-1));
    NO_LEAK(uds_listen_fds(0) == 0 ? -1 : 0);
    NO_LEAK(uds_listen_fd_by_name("x"));
#undef NO_LEAK

    CHECK(uds_close(sv[0]) == 0 && uds_close(fd) == 0 && uds_close(live) == 0);
    CHECK(!exists(deep) && close(reg) == 0 && unlink(file) == 0);
    free(deep);
    free(deep2);
}

int main(void) {
    char v[32];
    int fds;

    CHECK(strcmp(uds_last_error(), "") == 0);
    CHECK(uds_version() != NULL && uds_version() == uds_version());
    snprintf(v, sizeof v, "%d.%d.%d", UDS_VERSION_MAJOR, UDS_VERSION_MINOR, UDS_VERSION_PATCH);
    CHECK(strcmp(uds_version(), v) == 0);
    CHECK(make_tmpdir(dir, sizeof dir, "errors") == 0);
    fds = count_fds();
    test_messages();
    test_threads();
    test_no_leaks();
    CHECK(count_fds() == fds);
    CHECK(rm_tree(dir) == 0);
    DONE();
}
