/* What the library remembers about its sockets, tried as a hostile tester
   would: reused fd numbers, fork() while other threads use the library,
   signals during a stale-socket check, the fd limit, plain close(2), moved
   directories, and final path components up to the kernel's 107 bytes. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>
#include <udsock.h>
#include "check.h"
#include "util.h"

static char dir[256];
static int slow; /* under valgrind: fewer rounds */

/* Waits for a child for at most `secs` seconds; a child still running then
   is hung: it is killed and reported as -1. Returns its exit status. */
static int reap(pid_t pid, int secs) {
    int status, i;
    for (i = 0; i < secs * 1000; i++) {
        pid_t r = waitpid(pid, &status, WNOHANG);
        if (r == pid)
            return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
        if (r < 0)
            return -1;
        usleep(1000);
    }
    kill(pid, SIGKILL);
    waitpid(pid, &status, 0);
    return -1;
}

static ino_t inode_of(const char *path) {
    struct stat st;
    return lstat(path, &st) == 0 ? st.st_ino : 0;
}

/* 1. A reused fd number is never taken for the socket that had it. */
static void test_reused_fd(void) {
    char srv_path[600], reply[300], buf[8];
    int srv, s, d, fresh;

    CHECK(long_path(srv_path, dir, 500, 20) == 0);
    snprintf(reply, sizeof reply, "%s/reply.sock", dir);
    srv = uds_socket(SOCK_DGRAM);
    CHECK(srv >= 0 && uds_bind(srv, srv_path) == 0);
    s = uds_socket(SOCK_DGRAM);
    CHECK(s >= 0 && uds_connect(s, srv_path) == 0 && uds_bind(s, reply) == 0);
    d = dup(s);
    CHECK(d >= 0 && close(s) == 0);
    fresh = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0); /* never bound */
    CHECK(fresh == s);
    EXPECT_ERR(uds_unlink(fresh), EINVAL, "uds_unlink");
    CHECK(is_socket_file(reply));
    CHECK(uds_sendto(srv, "pong", 4, reply) == 4 && uds_recv(d, buf, sizeof buf, 0) == 4);
    CHECK(uds_close(fresh) == 0 && is_socket_file(reply));
    CHECK(close(d) == 0 && uds_unlink_path(reply) == 0);
    CHECK(uds_close(srv) == 0 && !exists(srv_path));
}

/* 2a. fork() while another thread works the table: no child hangs. */
static volatile int churn_stop;

static void *churn(void *arg) {
    (void)arg;
    while (!churn_stop) {
        int sv[2];
        if (uds_socketpair(SOCK_STREAM, sv) == 0) {
            uds_close(sv[0]);
            uds_close(sv[1]);
        }
    }
    return NULL;
}

static void test_fork_while_busy(void) {
    pthread_t t;
    int i, hung = 0, failed = 0, rounds = slow ? 100 : 1500;

    churn_stop = 0;
    CHECK(pthread_create(&t, NULL, churn, NULL) == 0);
    for (i = 0; i < rounds && !hung; i++) {
        pid_t pid = fork();
        if (pid == 0) {
            int sv[2];
            alarm(10);
            _exit(uds_socketpair(SOCK_DGRAM, sv) == 0 && uds_close(sv[0]) == 0 && uds_close(sv[1]) == 0 ? 0 : 1);
        }
        switch (reap(pid, 20)) {
        case 0: break;
        case -1: hung++; break;
        default: failed++;
        }
    }
    churn_stop = 1;
    CHECK(pthread_join(t, NULL) == 0);
    CHECK(hung == 0 && failed == 0);
}

/* 2b and 3. Socket activation across fork: a child is told 0, never the
   parent's fds, and never waits for a first call running in the parent. */
static volatile int activation_done;

static void *first_listen_fds(void *arg) {
    *(int *)arg = uds_listen_fds(0);
    activation_done = 1;
    return NULL;
}

static void test_activation_fork(void) {
    char pid_s[32], n_s[32];
    int fds[64], n = 0, i, count = -1, hung = 0, wrong = 0;
    struct rlimit rl;
    pthread_t t;
    int (*sd_listen_fds)(int) = NULL;
    void *sd = dlopen("libsystemd.so.0", RTLD_NOW);

    if (sd)
        *(void **)&sd_listen_fds = dlsym(sd, "sd_listen_fds");
    /* Many passed fds make the first call's walk long. */
    CHECK(getrlimit(RLIMIT_NOFILE, &rl) == 0);
    while (n < 64) {
        int fd = socket(AF_UNIX, SOCK_STREAM, 0);
        if (fd < 0)
            break;
        fds[n++] = fd;
    }
    /* Passed fds are 3, 4, ...: count those that are open in a row. */
    for (i = 3; fcntl(i, F_GETFD) != -1; i++)
        ;
    snprintf(pid_s, sizeof pid_s, "%d", (int)getpid());
    snprintf(n_s, sizeof n_s, "%d", i - 3);
    CHECK(setenv("LISTEN_PID", pid_s, 1) == 0 && setenv("LISTEN_FDS", n_s, 1) == 0);

    activation_done = 0;
    CHECK(pthread_create(&t, NULL, first_listen_fds, &count) == 0);
    /* Fork while the first call may be running, and after it ran. */
    for (i = 0; i < (slow ? 20 : 200); i++) {
        pid_t pid = fork();
        if (pid == 0) {
            alarm(10);
            if (uds_listen_fds(0) != 0)
                _exit(1);
            if (uds_listen_fd_by_name("unknown") != -1 || errno != ENOENT)
                _exit(2);
            if (sd_listen_fds && sd_listen_fds(0) != 0)
                _exit(3);
            _exit(0);
        }
        switch (reap(pid, 20)) {
        case 0: break;
        case -1: hung++; break;
        default: wrong++;
        }
    }
    CHECK(pthread_join(t, NULL) == 0);
    CHECK(hung == 0 && wrong == 0);
    CHECK(count == atoi(n_s) && uds_listen_fds(0) == count);
    CHECK(uds_listen_fd_by_name("unknown") == 3);
    CHECK(unsetenv("LISTEN_PID") == 0 && unsetenv("LISTEN_FDS") == 0);
    while (n > 0)
        close(fds[--n]);
    if (sd)
        dlclose(sd);
}

/* 4. UDS_REPLACE_STALE never removes a socket file that a socket is bound
   to, listening yet or not, here or in another network namespace, with a
   signal landing every 20 microseconds. */
static void on_alarm(int sig) {
    (void)sig;
}

static void test_live_never_stale(void) {
    char path[300];
    int rounds = slow ? 5 : 50, i, refused = 0, intact = 0;
    struct sigaction sa, old;
    struct itimerval tick = {{0, 20}, {0, 20}}, off = {{0, 0}, {0, 0}};

    snprintf(path, sizeof path, "%s/live.sock", dir);
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_alarm; /* no SA_RESTART, as a profiler installs it */
    CHECK(sigaction(SIGALRM, &sa, &old) == 0);
    for (i = 0; i < rounds; i++) {
        int ready[2], go[2], netns = i % 2, fd;
        char c = 0;
        pid_t pid;
        ino_t before;
        CHECK(pipe(ready) == 0 && pipe(go) == 0);
        pid = fork();
        if (pid == 0) {
            /* A plain C server, bound and not listening until told. */
            struct sockaddr_un a = {AF_UNIX, {0}};
            int s;
            if (netns && unshare(CLONE_NEWNET) != 0)
                netns = 0; /* unprivileged: the same namespace */
            s = socket(AF_UNIX, SOCK_STREAM, 0);
            strcpy(a.sun_path, path);
            if (s < 0 || bind(s, (struct sockaddr *)&a, sizeof a) != 0)
                _exit(1);
            c = 'b';
            if (write(ready[1], &c, 1) != 1 || read(go[0], &c, 1) != 1)
                _exit(2);
            _exit(listen(s, 1) == 0 ? 0 : 3);
        }
        CHECK(read(ready[0], &c, 1) == 1);
        before = inode_of(path);
        CHECK(setitimer(ITIMER_REAL, &tick, NULL) == 0);
        errno = 0;
        fd = uds_listener(path, SOCK_STREAM, 0, -1, UDS_REPLACE_STALE);
        if (fd < 0 && errno == EADDRINUSE)
            refused++;
        CHECK(setitimer(ITIMER_REAL, &off, NULL) == 0);
        if (fd >= 0)
            close(fd);
        if (inode_of(path) == before)
            intact++;
        c = 'l';
        CHECK(write(go[1], &c, 1) == 1);
        CHECK(reap(pid, 20) == 0);
        close(ready[0]); close(ready[1]); close(go[0]); close(go[1]);
        CHECK(uds_unlink_path(path) == 0);
        CHECK(!exists(path) && inode_of(path) == 0);
        {
            char lock[320];
            snprintf(lock, sizeof lock, "%s.lock", path);
            CHECK(!exists(lock));
        }
    }
    /* A tick still pending (valgrind delivers late) is dropped, not left
       to the default action. */
    signal(SIGALRM, SIG_IGN);
    CHECK(sigaction(SIGALRM, &old, NULL) == 0);
    CHECK(refused == rounds && intact == rounds);

    /* And a stale file is still replaced under the same signals. */
    {
        int s = uds_socket(SOCK_STREAM), fd;
        CHECK(s >= 0 && uds_bind(s, path) == 0 && close(s) == 0);
        CHECK(sigaction(SIGALRM, &sa, &old) == 0 && setitimer(ITIMER_REAL, &tick, NULL) == 0);
        fd = uds_listener(path, SOCK_STREAM, 0, -1, UDS_REPLACE_STALE);
        CHECK(setitimer(ITIMER_REAL, &off, NULL) == 0 && signal(SIGALRM, SIG_IGN) != SIG_ERR);
        CHECK(sigaction(SIGALRM, &old, NULL) == 0);
        CHECK(fd >= 0 && uds_close(fd) == 0 && !exists(path));
    }
}

/* 5. Near the fd limit: uds_bind either records what it bound, or fails
   with EMFILE and leaves no file. */
static void test_fd_limit(void) {
    char path[300], longp[600];
    struct rlimit old, rl;
    int k, recorded = 0, refused = 0;

    CHECK(getrlimit(RLIMIT_NOFILE, &old) == 0);
    CHECK(long_path(longp, dir, 400, 30) == 0);
    for (k = 1; k <= 4; k++) {
        const char *p = (k % 2) ? longp : path;
        int fd = uds_socket(SOCK_STREAM), r;
        uds_addr a;
        snprintf(path, sizeof path, "%s/limit.sock", dir);
        CHECK(fd >= 0);
        /* k - 1 free slots: every number below the lowest free one is
           taken, and the next k - 1 are free. */
        {
            int lowest = fcntl(0, F_DUPFD_CLOEXEC, 0), j;
            CHECK(lowest >= 0 && close(lowest) == 0);
            for (j = lowest; j < lowest + k - 1; j++)
                CHECK(fcntl(j, F_GETFD) == -1);
            rl = old;
            rl.rlim_cur = (rlim_t)lowest + (rlim_t)k - 1;
        }
        CHECK(setrlimit(RLIMIT_NOFILE, &rl) == 0);
        errno = 0;
        r = uds_bind(fd, p);
        CHECK(setrlimit(RLIMIT_NOFILE, &old) == 0);
        if (r == 0) {
            recorded++;
            CHECK(uds_getsockname(fd, &a) == 0 && a.len == strlen(p));
            CHECK(uds_unlink(fd) == 0 && !exists(p));
        } else {
            int e = errno;
            CHECK(e == EMFILE && !exists(p));
            refused += e == EMFILE;
        }
        CHECK(uds_close(fd) == 0);
    }
    CHECK(recorded + refused == 4);
}

/* 6. Plain close(2), a changed working directory, a moved directory. */
static void test_left_behind(void) {
    char path[400], lock[420], moved[300], sub[300];
    int fd, fd2, fds = count_fds();

    snprintf(path, sizeof path, "%s/plain.sock", dir);
    snprintf(lock, sizeof lock, "%s.lock", path);
    /* A plain close(2) of a listener: the library releases its lock when
       it next creates a descriptor at that number. */
    fd = uds_listener(path, SOCK_STREAM, 0, -1, UDS_REPLACE_STALE);
    CHECK(fd >= 0 && exists(lock) && close(fd) == 0);
    fd2 = uds_socket(SOCK_STREAM);
    CHECK(fd2 == fd && !exists(lock) && uds_close(fd2) == 0);
    CHECK(count_fds() == fds);
    /* ... and the next listener on the path replaces the stale file. */
    fd = uds_listener(path, SOCK_STREAM, 0, -1, UDS_REPLACE_STALE);
    CHECK(fd >= 0 && close(fd) == 0);
    fd2 = open("/dev/null", O_RDONLY | O_CLOEXEC); /* the number, taken outside the library */
    fd = uds_listener(path, SOCK_STREAM, 0, -1, UDS_REPLACE_STALE);
    CHECK(fd >= 0 && exists(lock) && uds_close(fd) == 0 && !exists(path) && !exists(lock));
    CHECK(close(fd2) == 0 && count_fds() == fds);
    /* A plain uds_bind keeps no descriptor: a plain close(2) leaks none. */
    fd = uds_socket(SOCK_DGRAM);
    CHECK(fd >= 0 && uds_bind(fd, path) == 0 && count_fds() == fds + 1 && close(fd) == 0);
    CHECK(count_fds() == fds && uds_unlink_path(path) == 0);

    /* A relative path, and the working directory changes: uds_close still
       removes the socket file and its lock. */
    CHECK(chdir(dir) == 0);
    fd = uds_listener("rel.sock", SOCK_STREAM, 0, -1, UDS_REPLACE_STALE);
    CHECK(fd >= 0 && chdir("/") == 0);
    snprintf(path, sizeof path, "%s/rel.sock", dir);
    snprintf(lock, sizeof lock, "%s/rel.sock.lock", dir);
    CHECK(exists(path) && exists(lock));
    CHECK(uds_close(fd) == 0 && !exists(path) && !exists(lock));

    /* The directory is moved: the path no longer leads to the file, so
       nothing is removed by it (header: uds_unlink); uds_close closes. */
    snprintf(sub, sizeof sub, "%s/sub", dir);
    snprintf(moved, sizeof moved, "%s/moved", dir);
    snprintf(path, sizeof path, "%s/s.sock", sub);
    CHECK(mkdir(sub, 0700) == 0);
    fd = uds_listener(path, SOCK_STREAM, 0, -1, UDS_REPLACE_STALE);
    CHECK(fd >= 0 && rename(sub, moved) == 0);
    EXPECT_ERR(uds_unlink(fd), ENOENT, "uds_unlink");
    CHECK(uds_close(fd) == 0 && count_fds() == fds);
    snprintf(path, sizeof path, "%s/s.sock", moved);
    CHECK(is_socket_file(path));
    CHECK(rm_tree(moved) == 0);
}

/* A listener's lock inherited across fork(2): a child that closed its
   copy of a listener the parent still serves can never take the path; a
   child whose parent closed the listener (plain close(2)) before the fork
   takes the lock over and replaces the stale file. */
static void test_inherited_lock(void) {
    char path[300];
    int srv, status;
    pid_t pid;
    ino_t ino;

    snprintf(path, sizeof path, "%s/inherit.sock", dir);
    srv = uds_listener(path, SOCK_STREAM, 0, -1, UDS_REPLACE_STALE);
    CHECK(srv >= 0);
    ino = inode_of(path);
    pid = fork();
    if (pid == 0) {
        int fd;
        close(srv);
        fd = uds_socket(SOCK_STREAM); /* likely srv's number: its record is reaped */
        uds_close(fd);
        fd = uds_listener(path, SOCK_STREAM, 0, -1, UDS_REPLACE_STALE);
        _exit(fd < 0 && errno == EADDRINUSE ? 0 : 1);
    }
    CHECK(waitpid(pid, &status, 0) == pid && WIFEXITED(status) && WEXITSTATUS(status) == 0);
    CHECK(inode_of(path) == ino);
    CHECK(close(srv) == 0); /* the parent's listener is gone, its lock still held here */
    pid = fork();
    if (pid == 0) {
        int fd = uds_socket(SOCK_STREAM), ok, cli;
        uds_close(fd);
        fd = uds_listener(path, SOCK_STREAM, 0, -1, UDS_REPLACE_STALE);
        if (fd < 0)
            fprintf(stderr, "child: %s\n", uds_last_error());
        cli = uds_dial(path, SOCK_STREAM); /* it is this listener that serves now */
        ok = fd >= 0 && cli >= 0 && uds_close(cli) == 0 && uds_close(fd) == 0 && !exists(path);
        _exit(ok ? 0 : 1);
    }
    CHECK(waitpid(pid, &status, 0) == pid && WIFEXITED(status) && WEXITSTATUS(status) == 0);
    CHECK(!exists(path));
    srv = uds_socket(SOCK_STREAM); /* the parent's stale record goes */
    CHECK(srv >= 0 && uds_close(srv) == 0);
}

/* Copies of a listener's lock across fork(2), found by a hostile review:
   a child that closed its copy never removes the live parent's lock file,
   a worker that closed its copy does not block a restart after its parent
   died, and a record dropped by uds_connect releases its lock file. */
static void test_lock_copies(void) {
    char path[300], lock[320], far[600];
    int srv, status, ready[2], hold[2], fd, s, d;
    pid_t pid, worker;
    char c;

    snprintf(path, sizeof path, "%s/copies.sock", dir);
    snprintf(lock, sizeof lock, "%s.lock", path);
    /* 1. uds_close of the inherited copy, then a listener on the path. */
    srv = uds_listener(path, SOCK_STREAM, 0, -1, UDS_REPLACE_STALE);
    CHECK(srv >= 0);
    pid = fork();
    if (pid == 0) {
        int ok = uds_close(srv) == 0;
        ok &= uds_listener(path, SOCK_STREAM, 0, -1, UDS_REPLACE_STALE) == -1 && errno == EADDRINUSE;
        _exit(ok ? 0 : 1);
    }
    CHECK(waitpid(pid, &status, 0) == pid && WIFEXITED(status) && WEXITSTATUS(status) == 0);
    CHECK(exists(lock) && is_socket_file(path));
    /* The same after a plain close(2) and a reaped record in the child. */
    pid = fork();
    if (pid == 0) {
        int ok, n;
        close(srv);
        n = uds_socket(SOCK_STREAM); /* srv's number: its record is reaped */
        ok = uds_listener(path, SOCK_STREAM, 0, -1, UDS_REPLACE_STALE) == -1 && errno == EADDRINUSE;
        uds_close(n);
        _exit(ok ? 0 : 1);
    }
    CHECK(waitpid(pid, &status, 0) == pid && WIFEXITED(status) && WEXITSTATUS(status) == 0);
    CHECK(exists(lock) && is_socket_file(path));
    CHECK(uds_close(srv) == 0 && !exists(path) && !exists(lock));

    /* 2. A server forks a worker that closes its copy with uds_close; the
       server dies: a new listener takes the path while the worker lives. */
    CHECK(pipe(ready) == 0 && pipe(hold) == 0);
    pid = fork();
    if (pid == 0) {
        int l = uds_listener(path, SOCK_STREAM, 0, -1, UDS_REPLACE_STALE);
        worker = fork();
        if (worker == 0) {
            close(ready[0]);
            close(hold[1]);
            c = l >= 0 && uds_close(l) == 0 ? 'w' : 'x';
            (void)!write(ready[1], &c, 1);
            (void)!read(hold[0], &c, 1); /* until the test closes its end */
            _exit(0);
        }
        close(ready[1]);
        close(hold[0]);
        close(hold[1]);
        for (;;)
            pause(); /* killed below */
    }
    close(ready[1]);
    close(hold[0]);
    CHECK(read(ready[0], &c, 1) == 1 && c == 'w');
    CHECK(kill(pid, SIGKILL) == 0 && waitpid(pid, &status, 0) == pid);
    fd = uds_listener(path, SOCK_STREAM, 0, -1, UDS_REPLACE_STALE);
    CHECK(fd >= 0);
    CHECK(uds_close(fd) == 0 && !exists(path) && !exists(lock));
    close(ready[0]);
    close(hold[1]); /* the worker (orphaned) sees EOF and exits */

    /* 3. A plain-closed listener's number reused by a socket that
       uds_connect records (a long path): the lock file goes too. */
    CHECK(long_path(far, dir, 400, 20) == 0);
    d = uds_socket(SOCK_DGRAM);
    CHECK(d >= 0 && uds_bind(d, far) == 0);
    srv = uds_listener(path, SOCK_STREAM, 0, -1, UDS_REPLACE_STALE);
    CHECK(srv >= 0 && exists(lock) && close(srv) == 0);
    s = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0); /* outside the library */
    CHECK(s == srv && uds_connect(s, far) == 0);
    CHECK(!exists(lock));
    CHECK(close(s) == 0 && uds_unlink_path(path) == 0 && uds_close(d) == 0);
}

/* Final components of 92..107 bytes (more than fit behind
   /proc/self/fd/N/) work for bind, connect, sendto, UDS_REPLACE_STALE,
   getsockname and unlink; the process's working directory never moves. */
static void test_long_names(void) {
    char path[700], cwd_before[300], cwd_after[300], buf[8];
    size_t n;
    int umask_ok = 1;

    CHECK(getcwd(cwd_before, sizeof cwd_before) != NULL);
    for (n = 92; n <= 107; n++) {
        int srv, cli, conn, d, s;
        uds_addr a;
        struct stat st;
        CHECK(long_path(path, dir, 300 + n, n) == 0);
        /* Datagrams: bind, sendto, the sender's name, getsockname. */
        d = uds_socket(SOCK_DGRAM);
        s = uds_socket(SOCK_DGRAM);
        CHECK(d >= 0 && s >= 0 && uds_bind(d, path) == 0 && is_socket_file(path));
        CHECK(lstat(path, &st) == 0);
        umask_ok &= (st.st_mode & 0777 & umask(022)) == 0;
        CHECK(uds_getsockname(d, &a) == 0 && a.len == strlen(path) && memcmp(a.name, path, 108) == 0);
        CHECK(uds_sendto(s, "hi", 2, path) == 2 && uds_recv(d, buf, sizeof buf, 0) == 2);
        CHECK(uds_connect(s, path) == 0 && uds_send(s, "yo", 2, 0) == 2 && uds_recv(d, buf, sizeof buf, 0) == 2);
        CHECK(uds_unlink(d) == 0 && !exists(path));
        CHECK(uds_close(d) == 0 && uds_close(s) == 0);
        /* A stale file replaced, then a stream connection through it. */
        d = uds_socket(SOCK_STREAM);
        CHECK(d >= 0 && uds_bind(d, path) == 0 && close(d) == 0 && is_socket_file(path));
        srv = uds_listener(path, SOCK_STREAM, 0, 0600, UDS_REPLACE_STALE);
        CHECK(srv >= 0 && lstat(path, &st) == 0 && (st.st_mode & 0777) == 0600);
        EXPECT_ERR(uds_listener(path, SOCK_STREAM, 0, -1, UDS_REPLACE_STALE), EADDRINUSE, "uds_listener");
        cli = uds_dial(path, SOCK_STREAM);
        conn = uds_accept(srv, 0);
        CHECK(cli >= 0 && conn >= 0);
        CHECK(uds_getpeername(cli, &a) == 0 && a.kind == UDS_ADDR_PATHNAME);
        CHECK(uds_getsockname(conn, &a) == 0 && a.len == strlen(path) && memcmp(a.name, path, 108) == 0);
        CHECK(uds_send_frame(cli, "ok", 2) == 0);
        {
            size_t got;
            CHECK(uds_recv_frame(conn, buf, sizeof buf, &got) == 1 && got == 2);
        }
        CHECK(uds_close(conn) == 0 && uds_close(cli) == 0);
        CHECK(uds_close(srv) == 0 && !exists(path));
    }
    CHECK(umask_ok);
    CHECK(getcwd(cwd_after, sizeof cwd_after) != NULL && strcmp(cwd_before, cwd_after) == 0);
}

/* With an argument, runs only the test of that name. */
static int want(int argc, char **argv, const char *name) {
    return argc < 2 || strcmp(argv[1], name) == 0;
}

int main(int argc, char **argv) {
    int fds;
    const char *mode = getenv("UDS_TEST_MODE");

    slow = mode && strcmp(mode, "--valgrind") == 0;
    CHECK(make_tmpdir(dir, sizeof dir, "registry") == 0);
    fds = count_fds();
    /* First: before any pathname bind could install a fork handler. */
    if (want(argc, argv, "fork_while_busy"))
        test_fork_while_busy();
    if (want(argc, argv, "reused_fd"))
        test_reused_fd();
    if (want(argc, argv, "live_never_stale"))
        test_live_never_stale();
    if (want(argc, argv, "fd_limit"))
        test_fd_limit();
    if (want(argc, argv, "left_behind"))
        test_left_behind();
    if (want(argc, argv, "inherited_lock"))
        test_inherited_lock();
    if (want(argc, argv, "lock_copies"))
        test_lock_copies();
    if (want(argc, argv, "long_names"))
        test_long_names();
    CHECK(count_fds() == fds);
    if (want(argc, argv, "activation_fork"))
        test_activation_fork();
    CHECK(rm_tree(dir) == 0);
    DONE();
}
