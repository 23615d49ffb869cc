/* One-call servers and clients: uds_listener and uds_dial on pathnames of
   1, 107, 108, 200 and 4000 bytes and on abstract names; `mode` under
   umask 022 and 077 (exact bits, umask unchanged); UDS_REPLACE_STALE
   (only a socket nobody listens on is replaced; live sockets, regular
   files, symlinks and directories are left alone; the lock file lives as
   long as the listener; two servers started at once on one stale path:
   exactly one binds, over 200 rounds); close-on-exec; error paths, with
   nothing left behind. */
#define _GNU_SOURCE
#include <signal.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <udsock.h>
#include "check.h"
#include "util.h"

static char dir[64];

/* A socket file at `path` that nobody listens on, as a crashed server
   leaves it (bound with a raw bind(), so the library knows nothing of it). */
static void make_stale(const char *path, int type) {
    struct sockaddr_un sun;
    int fd = socket(AF_UNIX, type | SOCK_CLOEXEC, 0);
    memset(&sun, 0, sizeof sun);
    sun.sun_family = AF_UNIX;
    CHECK(strlen(path) < sizeof sun.sun_path);
    strcpy(sun.sun_path, path);
    CHECK(bind(fd, (struct sockaddr *)&sun, sizeof sun) == 0);
    CHECK(close(fd) == 0 && is_socket_file(path));
}

static int lock_exists(const char *path) {
    char lock[200];
    snprintf(lock, sizeof lock, "%s.lock", path);
    return exists(lock);
}

static void test_length(size_t len) {
    char *path = malloc(len + 1), *lock = malloc(len + 6);
    static const int types[] = {SOCK_STREAM, SOCK_SEQPACKET, SOCK_DGRAM};
    int t;

    if (len == 1) {
        CHECK(chdir(dir) == 0);
        strcpy(path, "s");
    } else {
        CHECK(long_path(path, dir, len, len >= 108 ? 70 : 30) == 0);
    }
    snprintf(lock, len + 6, "%s.lock", path);
    for (t = 0; t < 3; t++) {
        int srv = uds_listener(path, types[t], 0, 0640, UDS_REPLACE_STALE), cli, conn;
        struct stat st;
        uds_addr a;
        char c = 0;

        CHECK(srv >= 0 && is_cloexec(srv));
        CHECK(lstat(path, &st) == 0 && S_ISSOCK(st.st_mode) && (st.st_mode & 07777) == 0640);
        CHECK(exists(lock));
        CHECK(uds_getsockname(srv, &a) == 0 && a.kind == UDS_ADDR_PATHNAME && a.len == len);
        cli = uds_dial(path, types[t]);
        CHECK(cli >= 0 && is_cloexec(cli));
        if (types[t] == SOCK_DGRAM) {
            CHECK(uds_send(cli, "d", 1, 0) == 1 && uds_recv(srv, &c, 1, 0) == 1 && c == 'd');
        } else {
            conn = uds_accept(srv, 0);
            CHECK(conn >= 0);
            CHECK(uds_send(cli, "s", 1, 0) == 1 && uds_recv(conn, &c, 1, 0) == 1 && c == 's');
            CHECK(uds_close(conn) == 0);
        }
        CHECK(uds_close(cli) == 0);
        /* The type must match. */
        EXPECT_ERR(uds_dial(path, types[(t + 1) % 3]), EPROTOTYPE, "uds_dial");
        CHECK(uds_close(srv) == 0);
        CHECK(!exists(path) && !exists(lock));
        EXPECT_ERR(uds_dial(path, types[t]), ENOENT, "uds_dial");
    }
    /* Without a flag: no lock file; uds_unlink removes the socket file. */
    {
        int srv = uds_listener(path, SOCK_STREAM, 1, -1, 0), cli;
        CHECK(srv >= 0 && is_socket_file(path) && !exists(lock));
        EXPECT_ERR(uds_listener(path, SOCK_STREAM, 1, -1, 0), EADDRINUSE, "uds_listener");
        CHECK(uds_unlink(srv) == 0 && !exists(path));
        EXPECT_ERR(uds_dial(path, SOCK_STREAM), ENOENT, "uds_dial");
        CHECK(uds_close(srv) == 0);
        /* A stale file left by a plain close(2), then replaced. */
        srv = uds_listener(path, SOCK_SEQPACKET, 1, -1, 0);
        CHECK(srv >= 0 && close(srv) == 0 && is_socket_file(path));
        EXPECT_ERR(uds_dial(path, SOCK_SEQPACKET), ECONNREFUSED, "uds_dial");
        EXPECT_ERR(uds_listener(path, SOCK_STREAM, 1, -1, 0), EADDRINUSE, "uds_listener");
        srv = uds_listener(path, SOCK_STREAM, 1, -1, UDS_REPLACE_STALE);
        CHECK(srv >= 0);
        cli = uds_dial(path, SOCK_STREAM);
        CHECK(cli >= 0 && uds_close(cli) == 0);
        CHECK(uds_close(srv) == 0 && !exists(path) && !exists(lock));
    }
    if (len == 1)
        CHECK(chdir("/") == 0);
    free(path);
    free(lock);
}

/* mode: exact permission bits whatever the umask; -1 keeps what the umask
   gives; the process umask is never changed. */
static void test_mode(mode_t um) {
    static const int modes[] = {0600, 0660, 0666, 0777, 0640, 0700, 0, -1};
    char path[100], *deep = malloc(4001);
    unsigned i;
    mode_t old = umask(um);

    snprintf(path, sizeof path, "%s/mode.sock", dir);
    CHECK(long_path(deep, dir, 4000, 60) == 0);
    for (i = 0; i < sizeof modes / sizeof modes[0]; i++) {
        mode_t want = modes[i] < 0 ? (0777 & ~um) : (mode_t)modes[i];
        struct stat st;
        int srv = uds_listener(path, SOCK_STREAM, 0, modes[i], 0), d;

        CHECK(srv >= 0);
        CHECK(lstat(path, &st) == 0 && (st.st_mode & 07777) == want);
        CHECK(umask(um) == um);
        CHECK(uds_close(srv) == 0);
        srv = uds_listener(deep, SOCK_DGRAM, 0, modes[i], UDS_REPLACE_STALE);
        CHECK(srv >= 0);
        CHECK(lstat(deep, &st) == 0 && (st.st_mode & 07777) == want);
        CHECK(umask(um) == um);
        d = uds_dial(deep, SOCK_DGRAM);
        CHECK(d >= 0 && uds_close(d) == 0);
        CHECK(uds_close(srv) == 0 && !exists(deep));
    }
    /* Abstract names have no permissions: mode is ignored. */
    {
        char name[40];
        uds_addr a;
        int srv;
        snprintf(name, sizeof name, "@udsock-listener-%d", (int)getpid());
        srv = uds_listener(name, SOCK_STREAM, 0, 0600, UDS_REPLACE_STALE);
        CHECK(srv >= 0 && uds_getsockname(srv, &a) == 0 && a.kind == UDS_ADDR_ABSTRACT &&
              a.len == strlen(name) - 1 && memcmp(a.name, name + 1, a.len) == 0);
        EXPECT_ERR(uds_listener(name, SOCK_STREAM, 0, 0600, UDS_REPLACE_STALE), EADDRINUSE, "uds_listener");
        CHECK(umask(um) == um);
        CHECK(uds_close(srv) == 0);
    }
    CHECK(umask(old) == um);
    free(deep);
}

/* UDS_REPLACE_STALE never removes anything but a socket nobody listens on,
   and a failed call leaves nothing behind (no lock file, no descriptor). */
static void test_replace_stale(void) {
    char path[100], target[100], lock[110];
    struct stat st, st2;
    int fds = count_fds(), live, again, fd;

    snprintf(path, sizeof path, "%s/stale.sock", dir);
    snprintf(lock, sizeof lock, "%s.lock", path);
    snprintf(target, sizeof target, "%s/target", dir);

    /* A stale socket of each type, replaced by a listener of another. */
    make_stale(path, SOCK_DGRAM);
    EXPECT_ERR(uds_listener(path, SOCK_STREAM, 0, -1, 0), EADDRINUSE, "uds_listener");
    live = uds_listener(path, SOCK_STREAM, 0, -1, UDS_REPLACE_STALE);
    CHECK(live >= 0 && lstat(path, &st2) == 0 && S_ISSOCK(st2.st_mode));

    /* Live and holding the lock: EADDRINUSE, untouched. */
    EXPECT_ERR(uds_listener(path, SOCK_STREAM, 0, -1, UDS_REPLACE_STALE), EADDRINUSE, "uds_listener");
    EXPECT_ERR(uds_listener(path, SOCK_DGRAM, 0, -1, UDS_REPLACE_STALE), EADDRINUSE, "uds_listener");
    CHECK(lstat(path, &st) == 0 && st.st_ino == st2.st_ino && exists(lock));
    fd = uds_dial(path, SOCK_STREAM);
    CHECK(fd >= 0 && uds_close(fd) == 0);
    CHECK(uds_close(live) == 0 && !exists(path) && !exists(lock));

    /* Live without a lock (another library, or no flag): still EADDRINUSE,
       untouched, and no lock file left behind. */
    live = uds_listener(path, SOCK_STREAM, 0, -1, 0);
    CHECK(live >= 0 && lstat(path, &st) == 0);
    EXPECT_ERR(uds_listener(path, SOCK_STREAM, 0, -1, UDS_REPLACE_STALE), EADDRINUSE, "uds_listener");
    CHECK(strstr(uds_last_error(), path) != NULL);
    CHECK(lstat(path, &st2) == 0 && st.st_ino == st2.st_ino && !exists(lock));
    fd = uds_dial(path, SOCK_STREAM);
    CHECK(fd >= 0 && uds_close(fd) == 0);
    CHECK(uds_close(live) == 0 && !exists(path));
    /* A live datagram socket answers the probe too. */
    live = uds_listener(path, SOCK_DGRAM, 0, -1, 0);
    EXPECT_ERR(uds_listener(path, SOCK_DGRAM, 0, -1, UDS_REPLACE_STALE), EADDRINUSE, "uds_listener");
    CHECK(is_socket_file(path) && !exists(lock));
    CHECK(uds_close(live) == 0 && !exists(path));

    /* A regular file: EEXIST, contents intact. */
    fd = open(path, O_CREAT | O_WRONLY | O_CLOEXEC, 0600);
    CHECK(fd >= 0 && write(fd, "data", 4) == 4 && close(fd) == 0);
    EXPECT_ERR(uds_listener(path, SOCK_STREAM, 0, -1, UDS_REPLACE_STALE), EEXIST, "uds_listener");
    CHECK(lstat(path, &st) == 0 && S_ISREG(st.st_mode) && st.st_size == 4 && !exists(lock));
    CHECK(unlink(path) == 0);

    /* A symlink to a stale socket, and a dangling one: EEXIST, untouched. */
    make_stale(target, SOCK_STREAM);
    CHECK(symlink(target, path) == 0);
    EXPECT_ERR(uds_listener(path, SOCK_STREAM, 0, -1, UDS_REPLACE_STALE), EEXIST, "uds_listener");
    CHECK(lstat(path, &st) == 0 && S_ISLNK(st.st_mode) && is_socket_file(target) && !exists(lock));
    CHECK(unlink(target) == 0);
    EXPECT_ERR(uds_listener(path, SOCK_STREAM, 0, -1, UDS_REPLACE_STALE), EEXIST, "uds_listener");
    CHECK(lstat(path, &st) == 0 && S_ISLNK(st.st_mode) && !exists(lock));
    EXPECT_ERR(uds_unlink_path(path), ENOTSOCK, "uds_unlink_path");
    CHECK(unlink(path) == 0);

    /* A directory. */
    CHECK(mkdir(path, 0700) == 0);
    EXPECT_ERR(uds_listener(path, SOCK_STREAM, 0, -1, UDS_REPLACE_STALE), EEXIST, "uds_listener");
    CHECK(rmdir(path) == 0 && !exists(lock));

    /* The lock file of a crashed listener does not stop a new one, and
       uds_unlink releases it while the socket stays open. */
    make_stale(path, SOCK_STREAM);
    fd = open(lock, O_CREAT | O_WRONLY | O_CLOEXEC, 0600);
    CHECK(fd >= 0 && close(fd) == 0);
    again = uds_listener(path, SOCK_STREAM, 0, -1, UDS_REPLACE_STALE);
    CHECK(again >= 0 && exists(lock));
    CHECK(uds_unlink(again) == 0 && !exists(path) && !exists(lock));
    CHECK(uds_close(again) == 0);
    CHECK(count_fds() == fds);
}

/* Two servers started at once on one stale path: exactly one binds. Two
   children are released together through a pipe; each reports its result
   and stays alive (holding what it got) until both have reported. */
static void test_race(int rounds) {
    char path[100];
    int r, bad = 0;

    snprintf(path, sizeof path, "%s/race.sock", dir);
    make_stale(path, SOCK_STREAM);
    for (r = 0; r < rounds && !bad; r++) {
        int go[2], res[2], hold[2], i, wins = 0, busy = 0, cli;
        pid_t kids[2];
        char out[2][2];

        CHECK(pipe(go) == 0 && pipe(res) == 0 && pipe(hold) == 0);
        for (i = 0; i < 2; i++) {
            kids[i] = fork();
            if (kids[i] == 0) {
                char c, msg[2];
                int fd;
                close(go[1]);
                close(res[0]);
                close(hold[1]);
                if (read(go[0], &c, 1) != 1)
                    _exit(2);
                fd = uds_listener(path, SOCK_STREAM, 0, 0600, UDS_REPLACE_STALE);
                msg[0] = fd >= 0 ? 'W' : errno == EADDRINUSE ? 'A' : 'X';
                msg[1] = (char)(fd >= 0 ? 0 : errno);
                if (write(res[1], msg, 2) != 2)
                    _exit(2);
                (void)!read(hold[0], &c, 1); /* until the parent closes it */
                _exit(0); /* a crash: the socket file stays, stale */
            }
        }
        close(go[0]);
        close(res[1]);
        close(hold[0]);
        CHECK(write(go[1], "gg", 2) == 2);
        for (i = 0; i < 2; i++) {
            CHECK(read(res[0], out[i], 2) == 2);
            wins += out[i][0] == 'W';
            busy += out[i][0] == 'A';
        }
        if (wins != 1 || busy != 1) {
            fprintf(stderr, "round %d: results %c(%d) %c(%d)\n", r, out[0][0], out[0][1], out[1][0],
                    out[1][1]);
            bad = 1;
        }
        /* The winner really listens. */
        cli = uds_dial(path, SOCK_STREAM);
        if (cli < 0)
            bad = 1;
        else
            close(cli);
        close(hold[1]);
        for (i = 0; i < 2; i++) {
            int status;
            CHECK(waitpid(kids[i], &status, 0) == kids[i] && WIFEXITED(status) && WEXITSTATUS(status) == 0);
        }
        close(go[1]);
        close(res[0]);
    }
    CHECK(!bad && r == rounds);
    CHECK(is_socket_file(path) && uds_unlink_path(path) == 0);
    CHECK(lock_exists(path));
}

static void test_errors(void) {
    char path[100], file[100];
    int fds = count_fds();

    snprintf(path, sizeof path, "%s/err.sock", dir);
    snprintf(file, sizeof file, "%s/nodir/x.sock", dir);
    EXPECT_ERR(uds_listener(NULL, SOCK_STREAM, 0, -1, 0), EINVAL, "uds_listener");
    EXPECT_ERR(uds_listener("", SOCK_STREAM, 0, -1, 0), EINVAL, "uds_listener");
    EXPECT_ERR(uds_listener("@", SOCK_STREAM, 0, -1, 0), EINVAL, "uds_listener");
    EXPECT_ERR(uds_listener(path, SOCK_RAW, 0, -1, 0), EINVAL, "uds_listener");
    EXPECT_ERR(uds_listener(path, 0, 0, -1, 0), EINVAL, "uds_listener");
    EXPECT_ERR(uds_listener(path, SOCK_STREAM | SOCK_CLOEXEC, 0, -1, 0), EINVAL, "uds_listener");
    EXPECT_ERR(uds_listener(path, SOCK_STREAM, 0, 010000, 0), EINVAL, "uds_listener");
    EXPECT_ERR(uds_listener(path, SOCK_STREAM, 0, -2, 0), EINVAL, "uds_listener");
    EXPECT_ERR(uds_listener(path, SOCK_STREAM, 0, -1, 2), EINVAL, "uds_listener");
    CHECK(strstr(uds_last_error(), "0x2") != NULL);
    EXPECT_ERR(uds_listener(file, SOCK_STREAM, 0, -1, 0), ENOENT, "uds_listener");
    EXPECT_ERR(uds_listener(file, SOCK_STREAM, 0, 0600, UDS_REPLACE_STALE), ENOENT, "uds_listener");
    CHECK(!exists(path));
    snprintf(path + strlen(path), 4, "/");
    EXPECT_ERR(uds_listener(path, SOCK_STREAM, 0, -1, 0), EINVAL, "uds_listener");
    EXPECT_ERR(uds_dial(NULL, SOCK_STREAM), EINVAL, "uds_dial");
    EXPECT_ERR(uds_dial("", SOCK_STREAM), EINVAL, "uds_dial");
    EXPECT_ERR(uds_dial("@", SOCK_STREAM), EINVAL, "uds_dial");
    EXPECT_ERR(uds_dial(file, SOCK_STREAM), ENOENT, "uds_dial");
    EXPECT_ERR(uds_dial(dir, SOCK_STREAM), ECONNREFUSED, "uds_dial");
    EXPECT_ERR(uds_dial(dir, 77), EINVAL, "uds_dial");
    EXPECT_ERR(uds_dial("@udsock-nobody-listens-here", SOCK_STREAM), ECONNREFUSED, "uds_dial");
    CHECK(count_fds() == fds);
}

int main(void) {
    static const size_t lengths[] = TEST_PATH_LENGTHS;
    size_t i;
    int fds;

    signal(SIGPIPE, SIG_DFL);
    CHECK(make_tmpdir(dir, sizeof dir, "listener") == 0);
    fds = count_fds();
    for (i = 0; i < N_TEST_PATH_LENGTHS; i++)
        test_length(lengths[i]);
    test_mode(022);
    test_mode(077);
    test_replace_stale();
    test_race(200);
    test_errors();
    CHECK(count_fds() == fds);
    CHECK(rm_tree(dir) == 0);
    DONE();
}
