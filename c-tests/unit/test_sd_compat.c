/* uds_listen_fds reads LISTEN_PID and LISTEN_FDS exactly as libsystemd's
   sd_listen_fds does: every case below is run in a fresh child (the
   variables are read once per process) with fds 3 and 4 open, and the
   result compared with the expected one (what libsystemd 252 returns:
   the count, or -errno) and, where libsystemd.so.0 can be loaded, with
   what it returns in the same situation. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <sys/socket.h>
#include <udsock.h>
#include "check.h"
#include "util.h"

typedef struct {
    const char *pid; /* printf format for the child's pid, or a literal */
    const char *fds;
    int want;        /* count, or -errno */
} variant;

static const variant cases[] = {
    {"%d", "1", 1},
    {"%d", "2", 2},
    {"%d", "0", -EINVAL}, /* set but none: not a count */
    {"%d", "-0", -EINVAL},
    {"%d", "-1", -EINVAL},
    {"%d", "", -EINVAL},
    {"%d", "two", -EINVAL},
    {"%d", "1 ", -EINVAL}, /* nothing may follow the number */
    {"%d", "1\n", -EINVAL},
    {"%d", "0x", -EINVAL},
    {"%d", "08", -EINVAL}, /* octal */
    {"%d", " 1", 1},       /* leading whitespace */
    {"%d", "\t2", 2},
    {"%d", "+1", 1},
    {"%d", "0x2", 2}, /* base 0, as strtol */
    {"%d", "02", 2},
    {"%d", "3", -EBADF},          /* fd 5 is not open */
    {"%d", "2147483644", -EBADF}, /* fine as a count; fd 5 is not open */
    {"%d", "2147483645", -EINVAL}, /* the last fd would overflow an int */
    {"%d", "4294967297", -ERANGE},
    {"%d", "99999999999999999999", -ERANGE},
    {" %d", "1", 1},
    {"+%d", "1", 1},
    {"0x%x", "1", 1},
    {"%d ", "1", -EINVAL},
    {"x%d", "1", -EINVAL},
    {"1", "1", 0},     /* another process's: not ours, nothing passed */
    {"0", "1", -ERANGE},
    {"-5", "1", -ERANGE},
    {"4294967296", "1", -ERANGE},
    {"", "1", -EINVAL},
};

typedef int (*listen_fds_fn)(int);

/* Runs f in a child whose environment is case c; returns its result (the
   count or -errno), or -1000000 if the child failed. */
static int in_child(const variant *c, listen_fds_fn f) {
    int p[2], r = -1000000, i;
    pid_t child;
    if (pipe(p) != 0)
        return r;
    /* Out of the way of fd 5, which must stay closed. */
    for (i = 0; i < 2; i++) {
        int high = fcntl(p[i], F_DUPFD_CLOEXEC, 20);
        close(p[i]);
        p[i] = high;
    }
    child = fork();
    if (child == 0) {
        char pid[64];
        snprintf(pid, sizeof pid, c->pid, (int)getpid());
        setenv("LISTEN_PID", pid, 1);
        setenv("LISTEN_FDS", c->fds, 1);
        unsetenv("LISTEN_FDNAMES");
        errno = 0;
        r = f(0);
        if (r < 0)
            r = f == uds_listen_fds ? -errno : r;
        _exit(write(p[1], &r, sizeof r) == sizeof r ? 0 : 1);
    }
    close(p[1]);
    if (read(p[0], &r, sizeof r) != sizeof r)
        r = -1000000;
    close(p[0]);
    waitpid(child, NULL, 0);
    return r;
}

int main(void) {
    listen_fds_fn sd = NULL;
    void *libsystemd = dlopen("libsystemd.so.0", RTLD_NOW | RTLD_LOCAL);
    int sv[2], compared = 0;
    size_t i;

    if (libsystemd)
        *(void **)&sd = dlsym(libsystemd, "sd_listen_fds");
    /* fds 3 and 4 open, 5 not. */
    CHECK(uds_socketpair(SOCK_STREAM, sv) == 0);
    CHECK(dup2(sv[0], 3) == 3 && dup2(sv[1], 4) == 4);
    if (sv[0] != 3 && sv[0] != 4)
        close(sv[0]);
    if (sv[1] != 3 && sv[1] != 4)
        close(sv[1]);
    close(5);

    for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const variant *c = &cases[i];
        int got = in_child(c, uds_listen_fds);
        CHECK(got == c->want);
        if (got != c->want)
            fprintf(stderr, "LISTEN_PID=\"%s\" LISTEN_FDS=\"%s\": got %d, want %d\n", c->pid, c->fds, got, c->want);
        if (sd) {
            int theirs = in_child(c, sd);
            CHECK(got == theirs);
            if (got != theirs)
                fprintf(stderr, "LISTEN_PID=\"%s\" LISTEN_FDS=\"%s\": got %d, sd_listen_fds %d\n", c->pid, c->fds, got, theirs);
            compared++;
        }
    }
    if (!sd)
        printf("libsystemd.so.0 not found, compared with the expected results only; ");
    else
        printf("%d cases also compared with libsystemd's sd_listen_fds; ", compared);
    DONE();
}
