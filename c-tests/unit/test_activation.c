/* Socket activation: uds_listen_fds and uds_listen_fd_by_name behave as
   sd_listen_fds(3) and sd_listen_fds_with_names(3) document. The library
   reads the variables once per process, so every scenario runs in a fresh
   process: this program runs itself (fork, then exec of its own path with
   the scenario's name as its argument) with the environment and fds a
   service manager would set. Last, the real systemd-socket-activate starts
   it, if it is on PATH (skipped with a message if not). */
#define _GNU_SOURCE
#include <sys/socket.h>
#include <udsock.h>
#include "check.h"
#include "util.h"

static char dir[64];
/* This program's absolute path, from argv[0] (under valgrind,
   /proc/self/exe is valgrind itself). */
static char self_path[4096];

static int unset(const char *name) {
    return getenv(name) == NULL;
}

static int all_unset(void) {
    return unset("LISTEN_PID") && unset("LISTEN_FDS") && unset("LISTEN_FDNAMES");
}

static int all_set(void) {
    return !unset("LISTEN_PID") && !unset("LISTEN_FDS");
}

/* The scenarios, each run in its own process. Returns the failure count. */
static int scenario(const char *name) {
    if (strcmp(name, "none") == 0) {
        CHECK(uds_listen_fds(0) == 0);
        EXPECT_ERR(uds_listen_fd_by_name("x"), ENOENT, "uds_listen_fd_by_name");
        CHECK(uds_listen_fds(1) == 0);
    } else if (strcmp(name, "other-pid") == 0) {
        /* Meant for another process: 0, the fds untouched; the variables
           go only when asked. */
        CHECK(uds_listen_fds(0) == 0 && !is_cloexec(3) && all_set());
        EXPECT_ERR(uds_listen_fd_by_name("x"), ENOENT, "uds_listen_fd_by_name");
        CHECK(uds_listen_fds(1) == 0 && all_unset());
        CHECK(fcntl(3, F_GETFD) == 0);
    } else if (strcmp(name, "two") == 0) {
        uds_addr a;
        int conn;
        CHECK(uds_listen_fds(0) == 2);
        CHECK(is_cloexec(3) && is_cloexec(4) && all_set());
        CHECK(uds_listen_fd_by_name("alpha") == 3 && uds_listen_fd_by_name("beta") == 4);
        EXPECT_ERR(uds_listen_fd_by_name("gamma"), ENOENT, "uds_listen_fd_by_name");
        CHECK(strstr(uds_last_error(), "gamma") != NULL);
        EXPECT_ERR(uds_listen_fd_by_name(""), ENOENT, "uds_listen_fd_by_name");
        EXPECT_ERR(uds_listen_fd_by_name(NULL), EINVAL, "uds_listen_fd_by_name");
        CHECK(uds_listen_fds(1) == 2 && all_unset());
        /* Read once: the names outlive the variables. */
        CHECK(uds_listen_fd_by_name("beta") == 4);
        CHECK(uds_listen_fds(0) == 2);
        /* They are the sockets the parent made: a connection is waiting. */
        CHECK(uds_getsockname(3, &a) == 0 && a.kind == UDS_ADDR_PATHNAME);
        conn = uds_accept(3, 0);
        CHECK(conn >= 0 && uds_send_all(conn, "!", 1) == 0 && uds_close(conn) == 0);
    } else if (strcmp(name, "names-first") == 0) {
        /* uds_listen_fd_by_name first: it reads the variables too. */
        CHECK(uds_listen_fd_by_name("beta") == 4 && all_set() && is_cloexec(4));
        CHECK(uds_listen_fds(1) == 2 && all_unset());
        CHECK(uds_listen_fd_by_name("alpha") == 3);
    } else if (strcmp(name, "no-names") == 0) {
        /* Without LISTEN_FDNAMES every fd is called "unknown". */
        CHECK(uds_listen_fds(1) == 1 && all_unset() && is_cloexec(3));
        CHECK(uds_listen_fd_by_name("unknown") == 3);
    } else if (strcmp(name, "names-mismatch") == 0) {
        /* sd_listen_fds ignores LISTEN_FDNAMES; only the names are wrong. */
        CHECK(uds_listen_fds(0) == 2 && is_cloexec(3) && is_cloexec(4));
        EXPECT_ERR(uds_listen_fd_by_name("a"), EINVAL, "uds_listen_fd_by_name");
        CHECK(strstr(uds_last_error(), "LISTEN_FDNAMES") != NULL);
        CHECK(uds_listen_fds(1) == 2 && all_unset());
    } else if (strcmp(name, "bad-count") == 0) {
        EXPECT_ERR(uds_listen_fds(1), EINVAL, "uds_listen_fds");
        CHECK(strstr(uds_last_error(), "LISTEN_FDS") != NULL && strstr(uds_last_error(), "two") != NULL);
        CHECK(all_unset()); /* unset even when invalid, as sd_listen_fds */
        EXPECT_ERR(uds_listen_fd_by_name("x"), EINVAL, "uds_listen_fd_by_name");
        EXPECT_ERR(uds_listen_fds(0), EINVAL, "uds_listen_fds");
    } else if (strcmp(name, "bad-pid") == 0) {
        EXPECT_ERR(uds_listen_fds(0), EINVAL, "uds_listen_fds");
        CHECK(strstr(uds_last_error(), "LISTEN_PID") != NULL && all_set());
    } else if (strcmp(name, "closed-fd") == 0) {
        /* LISTEN_FDS=2 but fd 4 is not open. */
        EXPECT_ERR(uds_listen_fds(0), EBADF, "uds_listen_fds");
        CHECK(strstr(uds_last_error(), "4") != NULL);
    } else if (strcmp(name, "activated") == 0) {
        /* Started by systemd-socket-activate --fdname=x: answer the
           connection that woke us with "ok" if all is as documented. */
        int fd, conn, ok;
        char buf[16];
        size_t len = 0;
        ok = uds_listen_fds(1) == 1 && all_unset();
        fd = uds_listen_fd_by_name("x");
        ok = ok && fd == UDS_LISTEN_FDS_START && is_cloexec(fd);
        CHECK(ok);
        conn = uds_accept(UDS_LISTEN_FDS_START, 0);
        CHECK(conn >= 0);
        CHECK(uds_recv_frame(conn, buf, sizeof buf, &len) == 1 && len == 4 && memcmp(buf, "ping", 4) == 0);
        CHECK(uds_send_frame(conn, ok ? "ok" : "no", 2) == 0);
        CHECK(uds_close(conn) == 0);
    } else {
        fprintf(stderr, "unknown scenario %s\n", name);
        return 1;
    }
    return checks_failed;
}

/* Moves fd to `to` (3 or 4), inheritable, without disturbing the other. */
static void place_fd(int fd, int to) {
    if (fd != to && dup2(fd, to) != to)
        _exit(100);
    if (fcntl(to, F_SETFD, 0) != 0)
        _exit(100);
}

/* Runs this program as `name` with LISTEN_PID (NULL: unset; "self": the
   new process's pid; else as given), LISTEN_FDS, LISTEN_FDNAMES and the
   first `nfds` of {lis, dg} as fds 3 and 4. Returns its exit status. */
static int run(const char *name, const char *pid, const char *fds, const char *names, int nfds, int lis, int dg) {
    pid_t child = fork();
    int status;

    if (child == 0) {
        char mypid[16];
        char *argv[3];
        int hi_lis = fcntl(lis, F_DUPFD_CLOEXEC, 10), hi_dg = fcntl(dg, F_DUPFD_CLOEXEC, 10);
        unsetenv("LISTEN_PID");
        unsetenv("LISTEN_FDS");
        unsetenv("LISTEN_FDNAMES");
        close(3);
        close(4);
        if (nfds >= 1)
            place_fd(hi_lis, 3);
        if (nfds >= 2)
            place_fd(hi_dg, 4);
        snprintf(mypid, sizeof mypid, "%d", (int)getpid());
        if (pid)
            setenv("LISTEN_PID", strcmp(pid, "self") == 0 ? mypid : pid, 1);
        if (fds)
            setenv("LISTEN_FDS", fds, 1);
        if (names)
            setenv("LISTEN_FDNAMES", names, 1);
        argv[0] = (char *)"test_activation";
        argv[1] = (char *)name;
        argv[2] = NULL;
        execv(self_path, argv);
        _exit(127);
    }
    if (child < 0 || waitpid(child, &status, 0) != child || !WIFEXITED(status))
        return -1;
    if (WEXITSTATUS(status) != 0)
        fprintf(stderr, "scenario %s: %d failed\n", name, WEXITSTATUS(status));
    return WEXITSTATUS(status);
}

static void test_scenarios(void) {
    char path[80], parent[16], c = 0;
    int lis, dg, cli;

    snprintf(path, sizeof path, "%s/act.sock", dir);
    snprintf(parent, sizeof parent, "%d", (int)getpid());
    lis = uds_listener(path, SOCK_STREAM, 0, 0600, 0);
    dg = uds_socket(SOCK_DGRAM);
    CHECK(lis >= 0 && dg >= 0);
    CHECK(run("none", NULL, NULL, NULL, 0, lis, dg) == 0);
    CHECK(run("other-pid", parent, "1", "x", 1, lis, dg) == 0);
    cli = uds_dial(path, SOCK_STREAM);
    CHECK(cli >= 0);
    CHECK(run("two", "self", "2", "alpha:beta", 2, lis, dg) == 0);
    /* The scenario has ended: its byte is there, or it never will be. */
    CHECK(uds_recv(cli, &c, 1, MSG_DONTWAIT) == 1 && c == '!');
    CHECK(uds_close(cli) == 0);
    CHECK(run("names-first", "self", "2", "alpha:beta", 2, lis, dg) == 0);
    CHECK(run("no-names", "self", "1", NULL, 1, lis, dg) == 0);
    CHECK(run("names-mismatch", "self", "2", "a", 2, lis, dg) == 0);
    CHECK(run("bad-count", "self", "two", NULL, 2, lis, dg) == 0);
    CHECK(run("bad-pid", "12abc", "1", NULL, 1, lis, dg) == 0);
    CHECK(run("closed-fd", "self", "2", NULL, 1, lis, dg) == 0);
    CHECK(uds_close(dg) == 0 && uds_close(lis) == 0);
}

/* systemd-socket-activate -l <path> --fdname=x <this program> activated:
   it listens, logs "Listening on ..." to stderr (read here through a pipe,
   so the connection is made only once it listens), and on the first
   connection execs us with the socket as fd 3. Returns 0 where the tool
   is not installed. */
static int test_systemd_socket_activate(void) {
    char tool[512], path[80], arg[100], log[4096], buf[8];
    size_t used = 0, len = 0;
    ssize_t n;
    int err[2], status, cli;
    pid_t child;

    if (!on_path("systemd-socket-activate", tool, sizeof tool)) {
        return 0;
    }
    snprintf(path, sizeof path, "%s/ssa.sock", dir);
    snprintf(arg, sizeof arg, "-l%s", path);
    CHECK(pipe(err) == 0);
    child = fork();
    if (child == 0) {
        /* It gives the program a fresh environment: pass on where the
           library is, if the loader is told so. */
        char keep[] = "-ELD_LIBRARY_PATH";
        char *argv[] = {tool, arg, (char *)"--fdname=x", keep, self_path, (char *)"activated", NULL};
        if (!getenv("LD_LIBRARY_PATH"))
            argv[3] = argv[2];
        dup2(err[1], 2);
        close(err[0]);
        close(err[1]);
        unsetenv("LISTEN_PID");
        unsetenv("LISTEN_FDS");
        unsetenv("LISTEN_FDNAMES");
        execv(tool, argv);
        _exit(127);
    }
    close(err[1]);
    /* Until it says it listens (or exits). */
    while (used < sizeof log - 1 && (n = read(err[0], log + used, sizeof log - 1 - used)) > 0) {
        used += (size_t)n;
        log[used] = '\0';
        if (strstr(log, "Listening on") && strchr(strstr(log, "Listening on"), '\n'))
            break;
    }
    log[used] = '\0';
    CHECK(strstr(log, "Listening on") != NULL);
    cli = uds_dial(path, SOCK_STREAM);
    CHECK(cli >= 0);
    CHECK(uds_send_frame(cli, "ping", 4) == 0);
    CHECK(uds_recv_frame(cli, buf, sizeof buf, &len) == 1 && len == 2 && memcmp(buf, "ok", 2) == 0);
    CHECK(uds_close(cli) == 0);
    /* The rest of its stderr (ours, after the exec), then its status. */
    while (used < sizeof log - 1 && (n = read(err[0], log + used, sizeof log - 1 - used)) > 0)
        used += (size_t)n;
    close(err[0]);
    CHECK(waitpid(child, &status, 0) == child && WIFEXITED(status) && WEXITSTATUS(status) == 0);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        log[used] = '\0';
        fprintf(stderr, "systemd-socket-activate said:\n%s\n", log);
    }
    CHECK(unlink(path) == 0);
    return 1;
}

int main(int argc, char **argv) {
    int fds, ran_tool;

    if (argc > 1)
        return scenario(argv[1]) ? 1 : 0;
    CHECK(argc == 1 && realpath(argv[0], self_path) != NULL);
    CHECK(make_tmpdir(dir, sizeof dir, "activation") == 0);
    fds = count_fds();
    /* This process was not socket-activated. */
    CHECK(uds_listen_fds(0) == 0);
    test_scenarios();
    ran_tool = test_systemd_socket_activate();
    CHECK(count_fds() == fds);
    CHECK(rm_tree(dir) == 0);
    /* On the summary line, which pytest shows (c-tests/conftest.py). */
    if (!ran_tool)
        printf("systemd-socket-activate not on PATH, its test skipped; ");
    DONE();
}
