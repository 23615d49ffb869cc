/* Addresses: uds_getsockname, uds_getpeername and uds_addr_format for
   unnamed, abstract (NUL bytes included) and pathname addresses of every
   length; a 108-byte pathname is NUL-terminated in uds_addr whoever bound
   it (also a raw bind() of all 108 bytes and no NUL); error paths. */
#define _GNU_SOURCE
#include <sys/socket.h>
#include <sys/un.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <udsock.h>
#include "check.h"
#include "util.h"

static char dir[64];

/* The name of a pathname uds_addr is the path, NUL-terminated. */
static int names_path(const uds_addr *a, const char *path) {
    size_t len = strlen(path), stored = len < 108 ? len : 108;
    return a->kind == UDS_ADDR_PATHNAME && a->len == len && memcmp(a->name, path, stored) == 0 &&
           a->name[stored] == '\0';
}

static void test_unnamed(void) {
    uds_addr a;
    char buf[32];
    int sv[2], fd = uds_socket(SOCK_STREAM);

    CHECK(fd >= 0);
    memset(&a, 0x55, sizeof a);
    CHECK(uds_getsockname(fd, &a) == 0 && a.kind == UDS_ADDR_UNNAMED && a.len == 0);
    CHECK(uds_addr_format(&a, buf, sizeof buf) == 9 && strcmp(buf, "(unnamed)") == 0);
    EXPECT_ERR(uds_getpeername(fd, &a), ENOTCONN, "uds_getpeername");
    CHECK(uds_close(fd) == 0);

    CHECK(uds_socketpair(SOCK_SEQPACKET, sv) == 0);
    CHECK(uds_getpeername(sv[0], &a) == 0 && a.kind == UDS_ADDR_UNNAMED && a.len == 0);
    CHECK(uds_getsockname(sv[1], &a) == 0 && a.kind == UDS_ADDR_UNNAMED);
    CHECK(uds_close(sv[0]) == 0 && uds_close(sv[1]) == 0);
}

static void test_abstract(void) {
    char name[32], max[107], buf[64], want[64], pid[16];
    size_t len;
    uds_addr a, p;
    int srv = uds_socket(SOCK_STREAM), cli = uds_socket(SOCK_STREAM), conn, i;

    CHECK(srv >= 0 && cli >= 0);
    /* Unique per process (the abstract namespace is machine-wide), with a
       NUL, a newline and a backslash in it. */
    snprintf(pid, sizeof pid, "%d", (int)getpid());
    len = (size_t)snprintf(name, sizeof name, "udsock#%s\n\\", pid);
    name[6] = '\0';
    snprintf(want, sizeof want, "@udsock\\x00%s\\x0a\\x5c", pid);
    CHECK(uds_bind_abstract(srv, name, len) == 0);
    CHECK(uds_listen(srv, 0) == 0);
    CHECK(uds_getsockname(srv, &a) == 0);
    CHECK(a.kind == UDS_ADDR_ABSTRACT && a.len == len && memcmp(a.name, name, len) == 0);
    CHECK(uds_addr_format(&a, buf, sizeof buf) == (int)strlen(want) && strcmp(buf, want) == 0);
    CHECK(uds_connect_abstract(cli, name, len) == 0);
    CHECK(uds_getpeername(cli, &p) == 0 && p.kind == UDS_ADDR_ABSTRACT && p.len == len &&
          memcmp(p.name, name, len) == 0);
    conn = uds_accept(srv, 0);
    CHECK(conn >= 0);
    CHECK(uds_getsockname(conn, &p) == 0 && p.kind == UDS_ADDR_ABSTRACT && p.len == len);
    CHECK(uds_getpeername(conn, &p) == 0 && p.kind == UDS_ADDR_UNNAMED);
    CHECK(uds_close(conn) == 0 && uds_close(cli) == 0 && uds_close(srv) == 0);

    /* 1 and 107 bytes fit, 108 does not, 0 is no name. */
    for (i = 0; i < 107; i++)
        max[i] = (char)(i % 7 == 0 ? 0 : 'a' + i % 26);
    memcpy(max + 1, pid, strlen(pid));
    srv = uds_socket(SOCK_DGRAM);
    CHECK(uds_bind_abstract(srv, max, 107) == 0);
    CHECK(uds_getsockname(srv, &a) == 0 && a.kind == UDS_ADDR_ABSTRACT && a.len == 107 &&
          memcmp(a.name, max, 107) == 0);
    CHECK(uds_close(srv) == 0);
    srv = uds_socket(SOCK_DGRAM);
    CHECK(uds_bind_abstract(srv, pid, 1) == 0 || errno == EADDRINUSE);
    EXPECT_ERR(uds_bind_abstract(srv, max, 108), ENAMETOOLONG, "uds_bind_abstract");
    EXPECT_ERR(uds_bind_abstract(srv, max, 0), EINVAL, "uds_bind_abstract");
    EXPECT_ERR(uds_bind_abstract(srv, NULL, 0), EINVAL, "uds_bind_abstract");
    EXPECT_ERR(uds_bind_abstract(srv, NULL, 4), EINVAL, "uds_bind_abstract");
    CHECK(uds_close(srv) == 0);
}

static void test_autobind(void) {
    uds_addr a;
    unsigned i;
    int fd = uds_socket(SOCK_DGRAM);

    CHECK(uds_autobind(fd) == 0);
    CHECK(uds_getsockname(fd, &a) == 0 && a.kind == UDS_ADDR_ABSTRACT && a.len == 5);
    for (i = 0; i < a.len; i++)
        CHECK(strchr("0123456789abcdef", a.name[i]) != NULL && a.name[i] != '\0');
    EXPECT_ERR(uds_autobind(fd), EINVAL, "uds_autobind");
    CHECK(uds_close(fd) == 0);
}

/* A socket bound by the library to a path of `len` bytes reads back that
   path; so does an accepted connection and (for the short ones) a peer. */
static void test_path_length(size_t len) {
    char *path = malloc(len + 1), want[200];
    uds_addr a;
    int fd, cli, conn;

    if (len == 1) {
        CHECK(chdir(dir) == 0);
        strcpy(path, "s");
    } else {
        CHECK(long_path(path, dir, len, 60) == 0);
    }
    fd = uds_socket(SOCK_STREAM);
    CHECK(uds_bind(fd, path) == 0);
    CHECK(uds_listen(fd, 0) == 0);
    CHECK(uds_getsockname(fd, &a) == 0 && names_path(&a, path));
    if (len <= 108) {
        CHECK(uds_addr_format(&a, NULL, 0) == (int)len);
        CHECK(uds_addr_format(&a, want, sizeof want) == (int)len && strcmp(want, path) == 0);
    } else {
        /* Cut to the 108 bytes uds_addr holds, and marked. */
        CHECK(uds_addr_format(&a, want, sizeof want) == 111);
        CHECK(memcmp(want, path, 108) == 0 && strcmp(want + 108, "...") == 0);
    }
    cli = uds_socket(SOCK_STREAM);
    CHECK(uds_connect(cli, path) == 0);
    conn = uds_accept(fd, 0);
    CHECK(conn >= 0);
    if (len <= 107) {
        /* What the kernel reports for a path that was used directly. */
        CHECK(uds_getpeername(cli, &a) == 0 && names_path(&a, path));
        CHECK(uds_getsockname(conn, &a) == 0 && names_path(&a, path));
    }
    CHECK(uds_close(conn) == 0 && uds_close(cli) == 0);
    CHECK(uds_close(fd) == 0);
    CHECK(!exists(path));
    if (len == 1)
        CHECK(chdir("/") == 0);
    free(path);
}

/* Someone else bound all 108 bytes of sun_path, with no terminator. */
static void test_raw_108(void) {
    char path[109], got[120];
    /* Zeroed bytes after sun_path, so that a checker reading the path as a
       string (valgrind does) stops there; the kernel is given only the
       108 bytes. */
    struct {
        struct sockaddr_un sun;
        char after[8];
    } raw_addr;
    struct sockaddr_un *sun = &raw_addr.sun;
    uds_addr a;
    int raw = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0), tx, conn;
    int lis = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

    CHECK(long_path(path, dir, 108, 20) == 0);
    memset(&raw_addr, 0, sizeof raw_addr);
    sun->sun_family = AF_UNIX;
    memcpy(sun->sun_path, path, 108);
    CHECK(bind(raw, (struct sockaddr *)sun, sizeof *sun) == 0);
    memset(&a, 0x55, sizeof a);
    CHECK(uds_getsockname(raw, &a) == 0 && names_path(&a, path));
    CHECK(uds_addr_format(&a, got, sizeof got) == 108 && strcmp(got, path) == 0);

    /* The same name as the sender of a datagram. */
    tx = uds_socket(SOCK_DGRAM);
    CHECK(uds_autobind(tx) == 0);
    CHECK(uds_getsockname(tx, &a) == 0);
    {
        char to[8], buf[4];
        uds_addr from;
        snprintf(to, sizeof to, "@%.5s", a.name);
        CHECK(uds_sendto(raw, "hi", 2, to) == 2);
        CHECK(uds_recvfrom(tx, buf, sizeof buf, &from) == 2 && names_path(&from, path));
    }
    CHECK(uds_close(tx) == 0);
    CHECK(close(raw) == 0 && unlink(path) == 0);

    /* And as the peer of a stream connection. */
    CHECK(bind(lis, (struct sockaddr *)sun, sizeof *sun) == 0 && listen(lis, 1) == 0);
    tx = uds_dial(path, SOCK_STREAM);
    CHECK(tx >= 0);
    CHECK(uds_getpeername(tx, &a) == 0 && names_path(&a, path));
    conn = uds_accept(lis, 0);
    CHECK(uds_getsockname(conn, &a) == 0 && names_path(&a, path));
    CHECK(uds_close(conn) == 0 && uds_close(tx) == 0);
    CHECK(close(lis) == 0 && uds_unlink_path(path) == 0);
}

static void test_format(void) {
    uds_addr a;
    char buf[16];

    memset(&a, 0, sizeof a);
    a.kind = UDS_ADDR_PATHNAME;
    a.len = 9;
    memcpy(a.name, "/tmp/long", 9);
    /* Like snprintf: the length needed, truncated safely, NUL always. */
    memset(buf, 'x', sizeof buf);
    CHECK(uds_addr_format(&a, buf, 5) == 9 && strcmp(buf, "/tmp") == 0 && buf[5] == 'x');
    CHECK(uds_addr_format(&a, buf, 1) == 9 && buf[0] == '\0');
    CHECK(uds_addr_format(&a, NULL, 0) == 9);
    CHECK(uds_addr_format(&a, buf, 10) == 9 && strcmp(buf, "/tmp/long") == 0);

    /* A relative path that starts with '@' is not an abstract name. */
    a.len = 3;
    memcpy(a.name, "@ab", 4);
    CHECK(uds_addr_format(&a, buf, sizeof buf) == 5 && strcmp(buf, "./@ab") == 0);

    a.kind = UDS_ADDR_ABSTRACT;
    a.len = 2;
    memcpy(a.name, "\0\x7f", 2);
    CHECK(uds_addr_format(&a, buf, sizeof buf) == 9 && strcmp(buf, "@\\x00\\x7f") == 0);
    a.len = 0;
    CHECK(uds_addr_format(&a, buf, sizeof buf) == 1 && strcmp(buf, "@") == 0);

    a.len = 108;
    EXPECT_ERR(uds_addr_format(&a, buf, sizeof buf), EINVAL, "uds_addr_format");
    a.kind = 3;
    a.len = 1;
    EXPECT_ERR(uds_addr_format(&a, buf, sizeof buf), EINVAL, "uds_addr_format");
    a.kind = UDS_ADDR_UNNAMED;
    EXPECT_ERR(uds_addr_format(NULL, buf, sizeof buf), EINVAL, "uds_addr_format");
    EXPECT_ERR(uds_addr_format(&a, NULL, 4), EINVAL, "uds_addr_format");
}

static void test_errors(void) {
    uds_addr a;
    char file[80];
    int reg, fd = uds_socket(SOCK_STREAM);

    snprintf(file, sizeof file, "%s/regular", dir);
    reg = open(file, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    CHECK(reg >= 0);
    EXPECT_ERR(uds_getsockname(-1, &a), EBADF, "uds_getsockname");
    EXPECT_ERR(uds_getsockname(fd, NULL), EINVAL, "uds_getsockname");
    EXPECT_ERR(uds_getsockname(reg, &a), ENOTSOCK, "uds_getsockname");
    EXPECT_ERR(uds_getsockname(1000000, &a), EBADF, "uds_getsockname");
    EXPECT_ERR(uds_getpeername(-1, &a), EBADF, "uds_getpeername");
    EXPECT_ERR(uds_getpeername(fd, NULL), EINVAL, "uds_getpeername");
    EXPECT_ERR(uds_getpeername(reg, &a), ENOTSOCK, "uds_getpeername");
    CHECK(close(reg) == 0 && unlink(file) == 0);
    CHECK(uds_close(fd) == 0);
    {
        /* A socket of another family has no uds_addr: never a made-up one. */
        struct sockaddr_in in;
        int inet = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        memset(&in, 0, sizeof in);
        in.sin_family = AF_INET;
        in.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        CHECK(inet >= 0);
        EXPECT_ERR(uds_getsockname(inet, &a), EAFNOSUPPORT, "uds_getsockname");
        CHECK(strstr(uds_last_error(), "not a Unix-domain socket") != NULL);
        EXPECT_ERR(uds_autobind(inet), EAFNOSUPPORT, "uds_autobind");
        CHECK(bind(inet, (struct sockaddr *)&in, sizeof in) == 0);
        EXPECT_ERR(uds_getsockname(inet, &a), EAFNOSUPPORT, "uds_getsockname");
        EXPECT_ERR(uds_getpeername(inet, &a), ENOTCONN, "uds_getpeername");
        CHECK(close(inet) == 0);
    }
}

int main(void) {
    static const size_t lengths[] = TEST_PATH_LENGTHS;
    size_t i;
    int fds;

    CHECK(make_tmpdir(dir, sizeof dir, "addr") == 0);
    fds = count_fds();
    test_unnamed();
    test_abstract();
    test_autobind();
    for (i = 0; i < N_TEST_PATH_LENGTHS; i++)
        test_path_length(lengths[i]);
    test_raw_108();
    test_format();
    test_errors();
    CHECK(count_fds() == fds);
    CHECK(rm_tree(dir) == 0);
    DONE();
}
