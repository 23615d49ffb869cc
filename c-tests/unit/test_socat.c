/* Interop with a program nobody here wrote: socat talks to the library's
   sockets, and the library to socat's, over pathname and abstract names,
   stream and datagram; a socket file socat leaves behind when killed is a
   stale socket UDS_REPLACE_STALE replaces. socat runs with its stdin and
   stdout on pipes; where it listens, the test reads its "-d -d" log until
   it says so. Without socat on PATH the test exits 77: skipped. */
#define _GNU_SOURCE
#include <sys/socket.h>
#include <udsock.h>
#include "check.h"
#include "util.h"

static char socat[512];

/* A running socat: its pid and our ends of its stdin, stdout, stderr. */
typedef struct {
    pid_t pid;
    int in, out, err;
} peer;

/* Starts socat with `args` (NULL-terminated, without argv[0]). */
static int start(peer *p, const char *const *args) {
    const char *argv[16] = {socat};
    int in[2], out[2], err[2], i;
    for (i = 0; args[i] && i < 14; i++)
        argv[i + 1] = args[i];
    if (pipe2(in, O_CLOEXEC) || pipe2(out, O_CLOEXEC) || pipe2(err, O_CLOEXEC))
        return -1;
    p->pid = fork();
    if (p->pid == 0) {
        dup2(in[0], 0);
        dup2(out[1], 1);
        dup2(err[1], 2);
        execv(socat, (char *const *)argv);
        _exit(127);
    }
    close(in[0]);
    close(out[1]);
    close(err[1]);
    p->in = in[1];
    p->out = out[0];
    p->err = err[0];
    return p->pid > 0 ? 0 : -1;
}

/* Reads socat's log until `what` appears (or it ends): 1 if it did. */
static int wait_log(peer *p, const char *what) {
    char log[4096];
    size_t used = 0;
    ssize_t n;
    while (used < sizeof log - 1 && (n = read(p->err, log + used, sizeof log - 1 - used)) > 0) {
        used += (size_t)n;
        log[used] = '\0';
        if (strstr(log, what))
            return 1;
    }
    log[used] = '\0';
    fprintf(stderr, "socat did not log \"%s\"; it said:\n%s\n", what, log);
    return 0;
}

/* Reads exactly len bytes of socat's stdout: 1 if they are `want`. */
static int read_out(peer *p, const char *want) {
    char buf[256];
    size_t len = strlen(want), got = 0;
    ssize_t n;
    while (got < len && (n = read(p->out, buf + got, len - got)) > 0)
        got += (size_t)n;
    return got == len && memcmp(buf, want, len) == 0;
}

/* Closes socat's stdin and waits for it: 1 if it exited with status 0. */
static int finish(peer *p) {
    int status;
    close(p->in);
    close(p->out);
    close(p->err);
    return waitpid(p->pid, &status, 0) == p->pid && WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

/* socat connects to a listener of ours (`addr` as the library takes it,
   `target` as socat does); a line each way, socat's pid as the peer, and
   its end of input as the end of the stream. */
static void socat_connects(const char *addr, const char *target) {
    const char *args[] = {"STDIO", target, NULL};
    char buf[16];
    uds_cred cred;
    peer p;
    int lis = uds_listener(addr, SOCK_STREAM, 0, 0600, 0), conn;

    CHECK(lis >= 0);
    CHECK(start(&p, args) == 0);
    CHECK(write(p.in, "hello\n", 6) == 6);
    conn = uds_accept(lis, 0);
    CHECK(conn >= 0);
    CHECK(uds_recv_exact(conn, buf, 6) == 6 && memcmp(buf, "hello\n", 6) == 0);
    CHECK(uds_peer_cred(conn, &cred) == 0 && cred.pid == p.pid);
    CHECK(uds_send_all(conn, "world\n", 6) == 0);
    CHECK(read_out(&p, "world\n"));
    /* socat's stdin ends: it shuts the socket down for writing. */
    close(p.in);
    p.in = -1;
    CHECK(uds_recv(conn, buf, sizeof buf, 0) == 0);
    CHECK(uds_close(conn) == 0);
    CHECK(finish(&p));
    CHECK(uds_close(lis) == 0);
}

/* We dial socat's listener; `listen` as socat takes it, `addr` as the
   library does. */
static void we_connect(const char *listen, const char *addr) {
    const char *args[] = {"-d", "-d", listen, "STDIO", NULL};
    char buf[16], shown[128];
    uds_addr peer_addr;
    peer p;
    int c;

    CHECK(start(&p, args) == 0);
    CHECK(wait_log(&p, "listening on"));
    c = uds_dial(addr, SOCK_STREAM);
    CHECK(c >= 0);
    CHECK(uds_send_all(c, "ping\n", 5) == 0);
    CHECK(read_out(&p, "ping\n"));
    CHECK(write(p.in, "pong\n", 5) == 5);
    CHECK(uds_recv_exact(c, buf, 5) == 5 && memcmp(buf, "pong\n", 5) == 0);
    /* The peer's name reads back as the address we dialled. */
    CHECK(uds_getpeername(c, &peer_addr) == 0);
    CHECK(uds_addr_format(&peer_addr, shown, sizeof shown) == (int)strlen(addr) && strcmp(shown, addr) == 0);
    CHECK(uds_close(c) == 0);
    CHECK(finish(&p));
}

/* Datagrams from socat to a socket of ours, and from us to socat's. */
static void datagrams(const char *dir) {
    char path[128], target[160], buf[64];
    const char *send_args[] = {"-u", "STDIN", target, NULL};
    const char *recv_args[] = {"-d", "-d", "-u", target, "STDOUT", NULL};
    uds_addr from;
    peer p;
    int s;

    snprintf(path, sizeof path, "%s/dgram.sock", dir);
    s = uds_listener(path, SOCK_DGRAM, 0, -1, 0);
    CHECK(s >= 0);
    snprintf(target, sizeof target, "UNIX-SENDTO:%s", path);
    CHECK(start(&p, send_args) == 0);
    CHECK(write(p.in, "one datagram", 12) == 12);
    CHECK(uds_recvfrom(s, buf, sizeof buf, &from) == 12 && memcmp(buf, "one datagram", 12) == 0);
    CHECK(finish(&p));
    CHECK(uds_close(s) == 0 && !exists(path));

    snprintf(target, sizeof target, "UNIX-RECV:%s", path);
    CHECK(start(&p, recv_args) == 0);
    CHECK(wait_log(&p, "starting data transfer loop"));
    s = uds_socket(SOCK_DGRAM);
    CHECK(s >= 0 && uds_sendto(s, "to socat\n", 9, path) == 9);
    CHECK(read_out(&p, "to socat\n"));
    CHECK(uds_close(s) == 0);
    kill(p.pid, SIGTERM);
    finish(&p);
}

/* socat killed while it listens leaves its socket file: stale, replaced
   only when asked, and never while socat still listens. */
static void stale_after_kill(const char *dir) {
    char path[128], listen[160];
    const char *args[] = {"-d", "-d", listen, "STDIO", NULL};
    peer p;
    int status, lis;

    snprintf(path, sizeof path, "%s/killed.sock", dir);
    snprintf(listen, sizeof listen, "UNIX-LISTEN:%s", path);
    CHECK(start(&p, args) == 0);
    CHECK(wait_log(&p, "listening on"));
    EXPECT_ERR(uds_listener(path, SOCK_STREAM, 0, -1, UDS_REPLACE_STALE), EADDRINUSE, "uds_listener");
    CHECK(kill(p.pid, SIGKILL) == 0 && waitpid(p.pid, &status, 0) == p.pid);
    close(p.in);
    close(p.out);
    close(p.err);
    CHECK(is_socket_file(path));
    EXPECT_ERR(uds_listener(path, SOCK_STREAM, 0, -1, 0), EADDRINUSE, "uds_listener");
    lis = uds_listener(path, SOCK_STREAM, 0, -1, UDS_REPLACE_STALE);
    CHECK(lis >= 0);
    CHECK(uds_close(lis) == 0 && !exists(path));
}

int main(void) {
    char dir[64], path[128], target[160], abstract[64], at[80];
    int fds;

    if (!on_path("socat", socat, sizeof socat)) {
        printf("socat is not on PATH\n");
        return 77;
    }
    /* A peer that goes away must not kill us with SIGPIPE on a pipe. */
    signal(SIGPIPE, SIG_IGN);
    fds = count_fds();
    CHECK(make_tmpdir(dir, sizeof dir, "socat") == 0);
    snprintf(abstract, sizeof abstract, "udsock-socat-%ld", (long)getpid());
    snprintf(at, sizeof at, "@%s", abstract);

    snprintf(path, sizeof path, "%s/ours.sock", dir);
    snprintf(target, sizeof target, "UNIX-CONNECT:%s", path);
    socat_connects(path, target);
    snprintf(target, sizeof target, "ABSTRACT-CONNECT:%s", abstract);
    socat_connects(at, target);

    snprintf(path, sizeof path, "%s/socat.sock", dir);
    snprintf(target, sizeof target, "UNIX-LISTEN:%s", path);
    we_connect(target, path);
    CHECK(!exists(path)); /* socat removes its socket file */
    snprintf(target, sizeof target, "ABSTRACT-LISTEN:%s", abstract);
    we_connect(target, at);

    datagrams(dir);
    stale_after_kill(dir);

    CHECK(count_fds() == fds);
    CHECK(rm_tree(dir) == 0);
    DONE();
}
