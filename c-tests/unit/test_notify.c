/* uds_notify, uds_notify_fds and uds_watchdog_enabled against libsystemd
   itself (sd_pid_notify_with_fds, sd_watchdog_enabled, loaded with
   dlopen): every case runs once with each library, each time in a fresh
   child with the environment set as the case says, and the outcomes are
   compared: the return value (or -errno), the datagram's bytes, the
   descriptors that came with it (how many, and that they are the very
   files sent), and what the call left of the environment.

   Where the contract deliberately differs from libsystemd, the expected
   result is ours and libsystemd's is only printed: a NOTIFY_SOCKET path
   longer than 107 bytes or an abstract name of 107 bytes (libsystemd:
   EINVAL; here the datagram arrives, with the very bytes libsystemd sends
   to a short path), an empty state (libsystemd sends an empty datagram),
   a vsock address (EAFNOSUPPORT here).

   Without libsystemd.so.0 the cases are still checked against the
   expected results, and the test then exits 77 (skipped): the comparison
   it exists for could not be made. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <udsock.h>
#include "check.h"
#include "util.h"

#define BIG (300 * 1000)       /* a state larger than the default send buffer takes */
#define RBUF (4 * 1024 * 1024) /* receive buffer */
#define MAXF 260

typedef int (*sd_notify_fds_fn)(pid_t, int, const char *, const int *, unsigned);
typedef int (*sd_watchdog_fn)(int, uint64_t *);
static sd_notify_fds_fn sd_notify_fds;
static sd_watchdog_fn sd_watchdog;

/* What one call did. */
typedef struct {
    int ret;           /* the return value, or -errno */
    int env_left;      /* NOTIFY_SOCKET still set afterwards */
    int leaked;        /* descriptors the call left open in the child */
    int got;           /* a datagram arrived at the case's receiver */
    int stray;         /* datagrams that arrived anywhere else */
    size_t len;        /* its length */
    unsigned char *data;
    int nfds;          /* descriptors that came with it */
    int same_files;    /* each is the file sent in its place */
    int all_cloexec;
} outcome;

/* The receivers. */
enum { R_SHORT, R_ABSTRACT, R_LONG200, R_LONG4000, R_P107, R_P108, R_ABS106, R_ABS107, NRECV };
static int recv_fd[NRECV];
static char addr[NRECV][4100];

/* Descriptors the cases pass: a pipe's read end and /dev/null, and 254
   copies of /dev/null for the over-the-limit case. */
static int pass2[2], many[254];
static struct stat pass_st[2];

typedef struct {
    const char *label;
    const char *socket;  /* NOTIFY_SOCKET, NULL: unset */
    const char *state;   /* NULL passed as is */
    const int *fds;
    size_t nfds;
    int unset;
    int want;            /* our result: 1, 0, or -errno */
    int target;          /* the receiver that should get it, or -1 */
    int differs;         /* libsystemd's result differs by contract */
} notify_case;

static unsigned char *rbuf;

/* Takes whatever is queued at receiver r (non-blocking), into o. */
static void take(int r, outcome *o, const int *sent, size_t nsent) {
    union {
        struct cmsghdr h;
        char buf[CMSG_SPACE(MAXF * sizeof(int)) + CMSG_SPACE(sizeof(struct ucred))];
    } control;
    struct iovec iov = {rbuf, RBUF};
    struct msghdr m;
    struct cmsghdr *c;
    ssize_t n;
    memset(&m, 0, sizeof m);
    m.msg_iov = &iov;
    m.msg_iovlen = 1;
    m.msg_control = control.buf;
    m.msg_controllen = sizeof control.buf;
    n = recvmsg(recv_fd[r], &m, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
    if (n < 0)
        return;
    o->got = 1;
    o->len = (size_t)n;
    o->data = malloc(n > 0 ? (size_t)n : 1);
    memcpy(o->data, rbuf, (size_t)n);
    o->same_files = 1;
    o->all_cloexec = 1;
    for (c = CMSG_FIRSTHDR(&m); c; c = CMSG_NXTHDR(&m, c)) {
        size_t i, k;
        if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
            continue;
        k = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
        for (i = 0; i < k; i++) {
            int fd;
            struct stat a, b;
            memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof fd);
            if ((size_t)o->nfds >= nsent || fstat(fd, &a) != 0 || fstat(sent[o->nfds], &b) != 0 ||
                a.st_dev != b.st_dev || a.st_ino != b.st_ino)
                o->same_files = 0;
            if (!is_cloexec(fd))
                o->all_cloexec = 0;
            close(fd);
            o->nfds++;
        }
    }
}

/* Runs the case in a fresh child with libsystemd (sd) or with libudsock,
   and collects what arrived. */
static outcome run_notify(const notify_case *c, int sd) {
    outcome o;
    int p[2], r, res[3];
    pid_t child;
    memset(&o, 0, sizeof o);
    o.ret = -1000000;
    if (pipe2(p, O_CLOEXEC) != 0)
        return o;
    child = fork();
    if (child == 0) {
        int before, ret;
        if (c->socket)
            setenv("NOTIFY_SOCKET", c->socket, 1);
        else
            unsetenv("NOTIFY_SOCKET");
        before = count_fds();
        errno = 0;
        if (sd) {
            ret = sd_notify_fds(0, c->unset, c->state, c->fds, (unsigned)c->nfds);
        } else {
            if (c->fds == NULL && c->nfds == 0 && !strstr(c->label, "fds"))
                ret = uds_notify(c->unset, c->state);
            else
                ret = uds_notify_fds(c->unset, c->state, c->fds, c->nfds);
            if (ret < 0)
                ret = -errno;
        }
        res[0] = ret;
        res[1] = getenv("NOTIFY_SOCKET") != NULL;
        res[2] = count_fds() - before;
        _exit(write(p[1], res, sizeof res) == sizeof res ? 0 : 1);
    }
    close(p[1]);
    if (read(p[0], res, sizeof res) == sizeof res) {
        o.ret = res[0];
        o.env_left = res[1];
        o.leaked = res[2];
    }
    close(p[0]);
    waitpid(child, NULL, 0);
    /* The child has returned from the call: what it sent is queued. */
    for (r = 0; r < NRECV; r++) {
        if (r == c->target) {
            take(r, &o, c->fds, c->nfds);
        } else {
            outcome other;
            memset(&other, 0, sizeof other);
            take(r, &other, NULL, 0);
            o.stray += other.got;
            free(other.data);
        }
    }
    return o;
}

static int same_datagram(const outcome *a, const outcome *b) {
    return a->got == b->got && a->len == b->len && (!a->got || memcmp(a->data, b->data, a->len) == 0) &&
           a->nfds == b->nfds && a->same_files == b->same_files;
}

static void report(const char *label, const char *who, const outcome *o) {
    fprintf(stderr, "  %s (%s): ret %d, env_left %d, got %d (%zu bytes, %d fds, same files %d), stray %d, leaked %d\n",
            label, who, o->ret, o->env_left, o->got, o->len, o->nfds, o->same_files, o->stray, o->leaked);
}

static int bind_receiver(int r, int abstract) {
    int fd = uds_socket(SOCK_DGRAM);
    if (fd < 0)
        return -1;
    if ((abstract ? uds_bind_abstract(fd, addr[r] + 1, strlen(addr[r] + 1)) : uds_bind(fd, addr[r])) != 0)
        return -1;
    recv_fd[r] = fd;
    return 0;
}

/* --- the watchdog --------------------------------------------------------- */

typedef struct {
    const char *usec; /* WATCHDOG_USEC, NULL: unset */
    const char *pid;  /* printf format for WATCHDOG_PID (%d: the child's pid), NULL: unset */
    int want;         /* 1, 0, or -errno */
    uint64_t usec_want;
} watchdog_case;

static const watchdog_case watchdog_cases[] = {
    {NULL, NULL, 0, 0},
    {NULL, "%d", 0, 0},
    {"30000000", NULL, 1, 30000000},
    {"30000000", "%d", 1, 30000000},
    {"1", "%d", 1, 1},
    {"30000000", "1", 0, 0}, /* init's, not ours */
    {"30000000", " %d", 1, 30000000},
    {"30000000", "+%d", 1, 30000000},
    {"30000000", "0x%x", 1, 30000000},
    {"30000000", "0o%o", 1, 30000000},
    {"30000000", "%d ", -EINVAL, 0},
    {"30000000", "x%d", -EINVAL, 0},
    {"30000000", "", -EINVAL, 0},
    {"30000000", "0", -ERANGE, 0},
    {"30000000", "-1", -ERANGE, 0},
    {"30000000", "2147483648", -ERANGE, 0},
    {"30000000", "4294967297", -ERANGE, 0},
    {"30000000", "99999999999999999999", -ERANGE, 0},
    {"0", "%d", -EINVAL, 0},
    {"0", NULL, -EINVAL, 0},
    {"-0", NULL, -EINVAL, 0},
    {"00", NULL, -EINVAL, 0},
    {"0x0", NULL, -EINVAL, 0},
    {"-1", NULL, -ERANGE, 0},
    {" -1", NULL, -ERANGE, 0},
    {"18446744073709551615", NULL, -EINVAL, 0}, /* "infinity" */
    {"18446744073709551614", NULL, 1, 18446744073709551614u},
    {"18446744073709551616", NULL, -ERANGE, 0},
    {"99999999999999999999999", NULL, -ERANGE, 0},
    {"99999999999999999999999x", NULL, -ERANGE, 0}, /* overflow is seen first */
    {"-18446744073709551615", NULL, -ERANGE, 0},
    {"", NULL, -EINVAL, 0},
    {" ", NULL, -EINVAL, 0},
    {"abc", NULL, -EINVAL, 0},
    {"5s", NULL, -EINVAL, 0},
    {"5 ", NULL, -EINVAL, 0},
    {"1.5", NULL, -EINVAL, 0},
    {"- 5", NULL, -EINVAL, 0},
    {" \t\n\r5", NULL, 1, 5},
    {"+5", NULL, 1, 5},
    {"0x10", NULL, 1, 16},
    {"0X1f", NULL, 1, 31},
    {"010", NULL, 1, 8},
    {"08", NULL, -EINVAL, 0},
    {"0x", NULL, -EINVAL, 0},
    {"0xg", NULL, -EINVAL, 0},
    {"0b101", NULL, 1, 5},
    {"0B11", NULL, 1, 3},
    {"0b", NULL, -EINVAL, 0},
    {"0b2", NULL, -EINVAL, 0},
    {"0o17", NULL, 1, 15},
    {"0o8", NULL, -EINVAL, 0},
    {"0b-1", NULL, -ERANGE, 0},
    {"0b 1", NULL, 1, 1},
    {"\v5", NULL, 1, 5},
    {"\v-5", NULL, 1, 18446744073709551611u}, /* strtoull's -5, unnoticed */
    {"5", "1", 0, 0},
};

/* ret (1, 0, -errno), usec, and which variables are left. */
typedef struct {
    int ret, usec_left, pid_left;
    uint64_t usec;
} wd_outcome;

static wd_outcome run_watchdog(const watchdog_case *c, int unset, int sd, int null_usec) {
    wd_outcome o = {-1000000, 0, 0, 0};
    int p[2];
    pid_t child;
    if (pipe2(p, O_CLOEXEC) != 0)
        return o;
    child = fork();
    if (child == 0) {
        char pid[64];
        uint64_t usec = 77;
        wd_outcome r;
        unsetenv("WATCHDOG_USEC");
        unsetenv("WATCHDOG_PID");
        if (c->usec)
            setenv("WATCHDOG_USEC", c->usec, 1);
        if (c->pid) {
            snprintf(pid, sizeof pid, c->pid, (int)getpid());
            setenv("WATCHDOG_PID", pid, 1);
        }
        errno = 0;
        if (sd) {
            r.ret = sd_watchdog(unset, null_usec ? NULL : &usec);
        } else {
            r.ret = uds_watchdog_enabled(unset, null_usec ? NULL : &usec);
            if (r.ret < 0)
                r.ret = -errno;
        }
        r.usec = usec;
        r.usec_left = getenv("WATCHDOG_USEC") != NULL;
        r.pid_left = getenv("WATCHDOG_PID") != NULL;
        _exit(write(p[1], &r, sizeof r) == sizeof r ? 0 : 1);
    }
    close(p[1]);
    if (read(p[0], &o, sizeof o) != sizeof o)
        o.ret = -1000000;
    close(p[0]);
    waitpid(child, NULL, 0);
    return o;
}

int main(void) {
    void *libsystemd = dlopen("libsystemd.so.0", RTLD_NOW | RTLD_LOCAL);
    char dir[64], missing[4200], file[4200], stream[4200], rel[] = "relative/notify.sock";
    char *big = malloc(BIG + 1), abs107[110], abs106[110];
    int compared = 0, i, s, fd, diffs = 0;
    size_t k, n;
    outcome sd_short_plain, sd_short_fds;

    memset(&sd_short_plain, 0, sizeof sd_short_plain);
    memset(&sd_short_fds, 0, sizeof sd_short_fds);

    rbuf = malloc(RBUF);
    CHECK(rbuf && big);
    if (libsystemd) {
        *(void **)&sd_notify_fds = dlsym(libsystemd, "sd_pid_notify_with_fds");
        *(void **)&sd_watchdog = dlsym(libsystemd, "sd_watchdog_enabled");
        if (!sd_notify_fds || !sd_watchdog)
            sd_notify_fds = NULL, sd_watchdog = NULL;
    }
    CHECK(make_tmpdir(dir, sizeof dir, "notify") == 0);

    /* Receivers. */
    snprintf(addr[R_SHORT], sizeof addr[0], "%s/n.sock", dir);
    snprintf(addr[R_ABSTRACT], sizeof addr[0], "@udsock-test-notify-%d", (int)getpid());
    CHECK(long_path(addr[R_LONG200], dir, 200, 20) == 0);
    CHECK(long_path(addr[R_LONG4000], dir, 4000, 30) == 0);
    CHECK(long_path(addr[R_P107], dir, 107, 7) == 0);
    CHECK(long_path(addr[R_P108], dir, 108, 8) == 0);
    n = (size_t)snprintf(abs106, sizeof abs106, "@udsock-test-notify-%d-", (int)getpid());
    memset(abs106 + n, 'a', 107 - n);
    abs106[107] = '\0'; /* "@" and 106 bytes */
    memcpy(abs107, abs106, 107);
    abs107[107] = 'b';
    abs107[108] = '\0'; /* "@" and 107 bytes */
    strcpy(addr[R_ABS106], abs106);
    strcpy(addr[R_ABS107], abs107);
    for (i = 0; i < NRECV; i++)
        CHECK(bind_receiver(i, addr[i][0] == '@') == 0);

    /* Places that are not notification sockets. */
    snprintf(missing, sizeof missing, "%s/missing.sock", dir);
    snprintf(file, sizeof file, "%s/file", dir);
    fd = open(file, O_CREAT | O_WRONLY | O_CLOEXEC, 0600);
    CHECK(fd >= 0);
    close(fd);
    snprintf(stream, sizeof stream, "%s/stream.sock", dir);
    s = uds_listener(stream, SOCK_STREAM, 0, 0600, 0);
    CHECK(s >= 0);

    /* What is passed. */
    {
        int pp[2];
        CHECK(pipe2(pp, O_CLOEXEC) == 0);
        pass2[0] = pp[0];
        close(pp[1]);
        pass2[1] = open("/dev/null", O_RDONLY | O_CLOEXEC);
        CHECK(pass2[1] >= 0);
        for (k = 0; k < 2; k++)
            CHECK(fstat(pass2[k], &pass_st[k]) == 0);
        for (k = 0; k < 254; k++)
            many[k] = pass2[1];
    }
    memcpy(big, "STATUS=", 7);
    memset(big + 7, 'x', BIG - 7);
    big[BIG] = '\0';

    {
        static const int bad_fd[1] = {-1};
        static const int closed_fd[1] = {999};
        const char *st = "READY=1";
        const char *multi = "READY=1\nSTATUS=serving\nMAINPID=1";
        const char *store = "FDSTORE=1\nFDNAME=conn";
        const notify_case cases[] = {
            {"unset", NULL, st, NULL, 0, 0, 0, -1, 0},
            {"short", addr[R_SHORT], st, NULL, 0, 0, 1, R_SHORT, 0},
            {"short, multi-line", addr[R_SHORT], multi, NULL, 0, 0, 1, R_SHORT, 0},
            {"short, trailing newline", addr[R_SHORT], "READY=1\n", NULL, 0, 0, 1, R_SHORT, 0},
            {"short, 300 kB state", addr[R_SHORT], big, NULL, 0, 0, 1, R_SHORT, 0},
            {"short, 2 fds", addr[R_SHORT], store, pass2, 2, 0, 1, R_SHORT, 0},
            {"short, fds NULL, nfds 0", addr[R_SHORT], st, NULL, 0, 0, 1, R_SHORT, 0},
            {"short, unset", addr[R_SHORT], st, NULL, 0, 1, 1, R_SHORT, 0},
            {"abstract", addr[R_ABSTRACT], st, NULL, 0, 0, 1, R_ABSTRACT, 0},
            {"abstract, 2 fds", addr[R_ABSTRACT], store, pass2, 2, 0, 1, R_ABSTRACT, 0},
            {"abstract, 106-byte name", addr[R_ABS106], st, NULL, 0, 0, 1, R_ABS106, 0},
            {"path of 107 bytes", addr[R_P107], st, NULL, 0, 0, 1, R_P107, 0},
            {"missing", missing, st, NULL, 0, 0, -ENOENT, -1, 0},
            {"missing, unset", missing, st, NULL, 0, 1, -ENOENT, -1, 0},
            {"regular file", file, st, NULL, 0, 0, -ECONNREFUSED, -1, 0},
            {"stream listener", stream, st, NULL, 0, 0, -EPROTOTYPE, -1, 0},
            {"\"/\"", "/", st, NULL, 0, 0, -EINVAL, -1, 0},
            {"\"@\"", "@", st, NULL, 0, 0, -EINVAL, -1, 0},
            {"\"@\", unset", "@", st, NULL, 0, 1, -EINVAL, -1, 0},
            {"state NULL", addr[R_SHORT], NULL, NULL, 0, 0, -EINVAL, -1, 0},
            {"state NULL, unset", addr[R_SHORT], NULL, NULL, 0, 1, -EINVAL, -1, 0},
            {"state NULL, no socket", NULL, NULL, NULL, 0, 0, -EINVAL, -1, 0},
            {"fds NULL, nfds 1", addr[R_SHORT], st, NULL, 1, 0, -EINVAL, -1, 0},
            {"fd -1", addr[R_SHORT], store, bad_fd, 1, 0, -EBADF, -1, 0},
            {"fd not open", addr[R_SHORT], store, closed_fd, 1, 0, -EBADF, -1, 0},
            {"fd -1, unset socket", NULL, store, bad_fd, 1, 0, 0, -1, 0},
            {"fd -1, missing socket", missing, store, bad_fd, 1, 0, -EBADF, -1, 0},
            {"254 fds", addr[R_SHORT], store, many, 254, 0, -EINVAL, -1, 0},
            {"253 fds", addr[R_SHORT], store, many, 253, 0, 1, R_SHORT, 0},
            {"empty", "", st, NULL, 0, 0, -EINVAL, -1, 0},
            {"relative", rel, st, NULL, 0, 0, -EINVAL, -1, 0},
            {"relative, unset", rel, st, NULL, 0, 1, -EINVAL, -1, 0},
            /* Where the contract differs from libsystemd. */
            {"path of 108 bytes", addr[R_P108], st, NULL, 0, 0, 1, R_P108, 1},
            {"path of 200 bytes, 2 fds", addr[R_LONG200], store, pass2, 2, 0, 1, R_LONG200, 1},
            {"path of 4000 bytes", addr[R_LONG4000], st, NULL, 0, 0, 1, R_LONG4000, 1},
            {"abstract, 107-byte name", addr[R_ABS107], st, NULL, 0, 0, 1, R_ABS107, 1},
            {"empty state", addr[R_SHORT], "", NULL, 0, 0, -EINVAL, -1, 1},
            {"vsock", "vsock:2:1234", st, NULL, 0, 0, -EAFNOSUPPORT, -1, 1},
        };
        const notify_case short_plain = {"", addr[R_SHORT], st, NULL, 0, 0, 1, R_SHORT, 0};
        const notify_case short_fds = {"", addr[R_SHORT], store, pass2, 2, 0, 1, R_SHORT, 0};

        if (sd_notify_fds) {
            sd_short_plain = run_notify(&short_plain, 1);
            sd_short_fds = run_notify(&short_fds, 1);
            CHECK(sd_short_plain.got && sd_short_fds.got && sd_short_fds.nfds == 2);
        }
        for (k = 0; k < sizeof cases / sizeof cases[0]; k++) {
            const notify_case *c = &cases[k];
            outcome ours = run_notify(c, 0);
            int ok = ours.ret == c->want && ours.env_left == (c->socket != NULL && !c->unset) && ours.leaked == 0 &&
                     ours.stray == 0 && ours.got == (c->want == 1);
            if (ours.got)
                ok = ok && ours.len == strlen(c->state) && memcmp(ours.data, c->state, ours.len) == 0 &&
                     ours.nfds == (int)c->nfds && ours.same_files && ours.all_cloexec;
            CHECK(ok);
            if (!ok)
                report(c->label, "uds", &ours);
            if (sd_notify_fds) {
                outcome theirs = run_notify(c, 1);
                if (!c->differs) {
                    int same = ours.ret == theirs.ret && ours.env_left == theirs.env_left && ours.stray == theirs.stray &&
                               same_datagram(&ours, &theirs);
                    CHECK(same);
                    if (!same) {
                        report(c->label, "uds", &ours);
                        report(c->label, "libsystemd", &theirs);
                    }
                    compared++;
                } else {
                    /* A long path gets what libsystemd sends to a short one. */
                    if (ours.got) {
                        const outcome *ref = c->nfds ? &sd_short_fds : &sd_short_plain;
                        CHECK(same_datagram(&ours, ref));
                        compared++;
                    }
                    CHECK(ours.env_left == theirs.env_left);
                    if (ours.ret != theirs.ret) {
                        printf("# differs by contract: %s: uds %d, libsystemd %d\n", c->label, ours.ret, theirs.ret);
                        diffs++;
                    }
                }
                free(theirs.data);
            }
            free(ours.data);
        }
        free(sd_short_plain.data);
        free(sd_short_fds.data);
    }

    /* The watchdog: every case with unset_environment 0 and 1, and usec NULL. */
    for (k = 0; k < sizeof watchdog_cases / sizeof watchdog_cases[0]; k++) {
        const watchdog_case *c = &watchdog_cases[k];
        int unset, null_usec;
        for (unset = 0; unset < 2; unset++) {
            for (null_usec = 0; null_usec < 2; null_usec++) {
                wd_outcome ours = run_watchdog(c, unset, 0, null_usec);
                uint64_t usec_want = c->want == 1 && !null_usec ? c->usec_want : 77;
                int ok = ours.ret == c->want && ours.usec == usec_want &&
                         ours.usec_left == (c->usec != NULL && !unset) && ours.pid_left == (c->pid != NULL && !unset);
                CHECK(ok);
                if (!ok)
                    fprintf(stderr, "  WATCHDOG_USEC=\"%s\" WATCHDOG_PID=\"%s\" unset %d: got %d usec %llu left %d %d, want %d\n",
                            c->usec ? c->usec : "(unset)", c->pid ? c->pid : "(unset)", unset, ours.ret,
                            (unsigned long long)ours.usec, ours.usec_left, ours.pid_left, c->want);
                if (sd_watchdog) {
                    wd_outcome theirs = run_watchdog(c, unset, 1, null_usec);
                    int same = ours.ret == theirs.ret && ours.usec == theirs.usec && ours.usec_left == theirs.usec_left &&
                               ours.pid_left == theirs.pid_left;
                    CHECK(same);
                    if (!same)
                        fprintf(stderr, "  WATCHDOG_USEC=\"%s\" WATCHDOG_PID=\"%s\" unset %d: uds %d usec %llu left %d %d, libsystemd %d usec %llu left %d %d\n",
                                c->usec ? c->usec : "(unset)", c->pid ? c->pid : "(unset)", unset, ours.ret,
                                (unsigned long long)ours.usec, ours.usec_left, ours.pid_left, theirs.ret,
                                (unsigned long long)theirs.usec, theirs.usec_left, theirs.pid_left);
                    compared++;
                }
            }
        }
    }

    /* The error line names the call and the value. */
    setenv("NOTIFY_SOCKET", missing, 1);
    EXPECT_ERR(uds_notify(0, "READY=1"), ENOENT, "uds_notify");
    CHECK(strstr(uds_last_error(), "missing.sock") != NULL);
    setenv("WATCHDOG_USEC", "abc", 1);
    EXPECT_ERR(uds_watchdog_enabled(0, NULL), EINVAL, "uds_watchdog_enabled");
    CHECK(strstr(uds_last_error(), "WATCHDOG_USEC=\"abc\"") != NULL);
    unsetenv("NOTIFY_SOCKET");
    unsetenv("WATCHDOG_USEC");

    for (i = 0; i < NRECV; i++)
        close(recv_fd[i]);
    uds_close(s);
    close(pass2[0]);
    close(pass2[1]);
    CHECK(rm_tree(dir) == 0);
    free(rbuf);
    free(big);
    if (!sd_notify_fds) {
        printf("libsystemd.so.0 not found: checked against the expected results only, not compared\n");
        return checks_failed ? 1 : 77;
    }
    printf("%d outcomes compared with libsystemd, %d differ by contract; ", compared, diffs);
    DONE();
}
