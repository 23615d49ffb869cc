/* uds_listen_fds reads LISTEN_PID and LISTEN_FDS exactly as libsystemd's
   sd_listen_fds does, and uds_listen_fd_by_name LISTEN_FDNAMES as
   sd_listen_fds_with_names does: every case below is run in a fresh child
   (the variables are read once per process) with fds 3 and 4 open, and
   the result compared with the expected one (what libsystemd 252 returns:
   the count or fd, or -errno) and, where libsystemd.so.0 can be loaded,
   with what it returns in the same situation. */
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

/* LISTEN_FDS, LISTEN_FDNAMES (NULL: unset), the name looked up, and the
   fd it should give (or -errno). */
typedef struct {
    const char *fds, *names, *lookup;
    int want;
} named;

static const named named_cases[] = {
    {"2", "a:b", "b", 4},
    {"2", "a:a", "a", 3},        /* the first of two */
    {"1", NULL, "unknown", 3},   /* no names: every fd is "unknown" */
    {"2", "a::b", "b", -EINVAL}, /* three names for two fds */
    {"2", ":b", "", 3},          /* empty names count */
    {"1", "", "", 3},
    {"1", "a\\:b", "a:b", 3},  /* a backslash takes the next byte as is */
    {"2", "a\\:b", "b", -EINVAL},
    {"1", "a\\b", "ab", 3},
    {"1", "a\\\\b", "a\\b", 3},
    {"1", "\\x41", "x41", 3},
    {"1", "a\\", "a", -EINVAL}, /* a lone backslash at the end */
    {"1", "a b=c", "a b=c", 3},
    {"1", "a", "b", -ENOENT},
};

typedef int (*listen_fds_fn)(int);
typedef int (*with_names_fn)(int, char ***);
static with_names_fn sd_names;

/* The fd libsystemd gives for `lookup`, or -errno. */
static int sd_fd_by_name(const char *lookup) {
    char **names = NULL;
    int n = sd_names(0, &names), i, fd = -ENOENT;
    if (n < 0)
        return n;
    for (i = 0; i < n; i++) {
        if (fd == -ENOENT && strcmp(names[i], lookup) == 0)
            fd = 3 + i;
        free(names[i]);
    }
    free(names);
    return fd;
}

/* Runs body(arg) in a fresh child with LISTEN_PID set from pid_format
   (printf of the child's pid) and LISTEN_FDS, LISTEN_FDNAMES (NULL:
   unset) as given; returns what body returned (a count or fd, or -errno),
   or -1000000 if the child failed. The pipe stays clear of fd 5, which
   must stay closed. */
static int in_child(const char *pid_format, const char *fds, const char *names, int (*body)(const void *),
                    const void *arg) {
    int p[2], r = -1000000, i;
    pid_t child;
    if (pipe(p) != 0)
        return r;
    for (i = 0; i < 2; i++) {
        int high = fcntl(p[i], F_DUPFD_CLOEXEC, 20);
        close(p[i]);
        p[i] = high;
    }
    child = fork();
    if (child == 0) {
        char pid[64];
        snprintf(pid, sizeof pid, pid_format, (int)getpid());
        setenv("LISTEN_PID", pid, 1);
        setenv("LISTEN_FDS", fds, 1);
        if (names)
            setenv("LISTEN_FDNAMES", names, 1);
        else
            unsetenv("LISTEN_FDNAMES");
        errno = 0;
        r = body(arg);
        _exit(write(p[1], &r, sizeof r) == sizeof r ? 0 : 1);
    }
    close(p[1]);
    if (read(p[0], &r, sizeof r) != sizeof r)
        r = -1000000;
    close(p[0]);
    waitpid(child, NULL, 0);
    return r;
}

static int uds_count(const void *unused) {
    int r = uds_listen_fds(0);
    (void)unused;
    return r < 0 ? -errno : r;
}

static listen_fds_fn sd_count_fn;
static int sd_count(const void *unused) {
    (void)unused;
    return sd_count_fn(0);
}

static int uds_by_name(const void *lookup) {
    int r = uds_listen_fd_by_name(lookup);
    return r < 0 ? -errno : r;
}

static int sd_by_name(const void *lookup) {
    return sd_fd_by_name(lookup);
}

int main(void) {
    void *libsystemd = dlopen("libsystemd.so.0", RTLD_NOW | RTLD_LOCAL);
    int sv[2], compared = 0;
    size_t i;

    if (libsystemd) {
        *(void **)&sd_count_fn = dlsym(libsystemd, "sd_listen_fds");
        *(void **)&sd_names = dlsym(libsystemd, "sd_listen_fds_with_names");
    }
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
        int got = in_child(c->pid, c->fds, NULL, uds_count, NULL);
        CHECK(got == c->want);
        if (got != c->want)
            fprintf(stderr, "LISTEN_PID=\"%s\" LISTEN_FDS=\"%s\": got %d, want %d\n", c->pid, c->fds, got, c->want);
        if (sd_count_fn) {
            int theirs = in_child(c->pid, c->fds, NULL, sd_count, NULL);
            CHECK(got == theirs);
            if (got != theirs)
                fprintf(stderr, "LISTEN_PID=\"%s\" LISTEN_FDS=\"%s\": got %d, sd_listen_fds %d\n", c->pid, c->fds, got, theirs);
            compared++;
        }
    }
    for (i = 0; i < sizeof named_cases / sizeof named_cases[0]; i++) {
        const named *c = &named_cases[i];
        int got = in_child("%d", c->fds, c->names, uds_by_name, c->lookup);
        CHECK(got == c->want);
        if (got != c->want)
            fprintf(stderr, "LISTEN_FDNAMES=\"%s\" lookup \"%s\": got %d, want %d\n", c->names ? c->names : "(unset)", c->lookup, got, c->want);
        if (sd_names) {
            int theirs = in_child("%d", c->fds, c->names, sd_by_name, c->lookup);
            CHECK(got == theirs);
            if (got != theirs)
                fprintf(stderr, "LISTEN_FDNAMES=\"%s\" lookup \"%s\": got %d, sd_listen_fds_with_names %d\n", c->names ? c->names : "(unset)", c->lookup, got, theirs);
            compared++;
        }
    }
    if (!sd_count_fn)
        printf("libsystemd.so.0 not found, compared with the expected results only; ");
    else
        printf("%d cases also compared with libsystemd (sd_listen_fds, sd_listen_fds_with_names); ", compared);
    DONE();
}
