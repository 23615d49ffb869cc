/* Helpers the unit tests share: private temporary directories, pathnames
   of an exact length (nested directories where they are longer than
   sun_path), removal of a whole tree, and descriptor bookkeeping.
   Everything is static inline, so a test that uses only part of it
   compiles without unused-function warnings. Needs _POSIX_C_SOURCE
   200809L (or _GNU_SOURCE) before the first #include. */
#ifndef UDS_UTIL_H
#define UDS_UTIL_H

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

/* The pathname lengths the calls that take a path are tested with: a
   relative one-byte name, the longest that fits sun_path with its NUL,
   one byte more, and two that need nested directories. */
#define TEST_PATH_LENGTHS {1, 107, 108, 200, 4000}
#define N_TEST_PATH_LENGTHS 5

/* A fresh private directory "/tmp/udsock-<tag>-XXXXXX" in dir (cap bytes).
   Returns 0, or -1 (nothing created). */
static inline int make_tmpdir(char *dir, size_t cap, const char *tag) {
    if ((size_t)snprintf(dir, cap, "/tmp/udsock-%s-XXXXXX", tag) >= cap)
        return -1;
    return mkdtemp(dir) ? 0 : -1;
}

/* Writes into out (room for total + 1 bytes) a pathname of exactly `total`
   bytes that starts with `base/`, ends with a final component of `name_len`
   bytes ('s' repeated, not created), and creates the directories between
   them (components of at most 200 bytes; existing ones are reused). Returns 0, or -1 when the
   lengths cannot be met or a directory cannot be made. */
static inline int long_path(char *out, const char *base, size_t total, size_t name_len) {
    size_t at = strlen(base), left;
    if (total < at + 1 + name_len || name_len == 0)
        return -1;
    memcpy(out, base, at);
    left = total - at - 1 - name_len; /* bytes for the "/dir" pieces */
    if (left == 1)
        return -1;
    while (left > 0) {
        size_t piece = left > 201 ? 201 : left;
        if (left - piece == 1)
            piece -= 2; /* never leave a 1-byte remainder: "/" needs a name */
        out[at] = '/';
        memset(out + at + 1, 'd', piece - 1);
        out[at + piece] = '\0';
        if (mkdir(out, 0700) != 0 && errno != EEXIST)
            return -1;
        at += piece;
        left -= piece;
    }
    out[at] = '/';
    memset(out + at + 1, 's', name_len);
    out[total] = '\0';
    return 0;
}

/* Removes `name` in directory `dfd`, and everything below it, without
   building long paths. Returns unlinkat's result for `name` itself. */
static inline int rm_at(int dfd, const char *name) {
    int fd = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    DIR *d;
    if (fd < 0)
        return unlinkat(dfd, name, 0);
    d = fdopendir(fd);
    if (!d) {
        close(fd);
        return -1;
    }
    for (;;) { /* again until a pass removes nothing */
        struct dirent *e;
        int removed = 0;
        rewinddir(d);
        while ((e = readdir(d)) != NULL) {
            if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0) {
                if (rm_at(fd, e->d_name) == 0)
                    removed = 1;
            }
        }
        if (!removed)
            break;
    }
    closedir(d);
    return unlinkat(dfd, name, AT_REMOVEDIR);
}

/* Removes the tree at an absolute path. Returns 0 when it is gone. */
static inline int rm_tree(const char *path) {
    return rm_at(AT_FDCWD, path);
}

/* The program `prog` found on PATH, written to buf (cap bytes), or NULL. */
static inline const char *on_path(const char *prog, char *buf, size_t cap) {
    const char *p = getenv("PATH");
    while (p && *p) {
        size_t n = strcspn(p, ":");
        if (n > 0 && (size_t)snprintf(buf, cap, "%.*s/%s", (int)n, p, prog) < cap && access(buf, X_OK) == 0)
            return buf;
        p += n + (p[n] == ':');
    }
    return NULL;
}

/* How many descriptors this process has open. */
static inline int count_fds(void) {
    DIR *d = opendir("/proc/self/fd");
    int n = 0;
    if (!d)
        return -1;
    while (readdir(d) != NULL)
        n++;
    closedir(d);
    return n;
}

/* Whether fd is open and close-on-exec. */
static inline int is_cloexec(int fd) {
    int f = fcntl(fd, F_GETFD);
    return f >= 0 && (f & FD_CLOEXEC);
}

/* Whether something exists at path (not following a final symlink). */
static inline int exists(const char *path) {
    struct stat st;
    return lstat(path, &st) == 0;
}

/* Whether path is a socket file. */
static inline int is_socket_file(const char *path) {
    struct stat st;
    return lstat(path, &st) == 0 && S_ISSOCK(st.st_mode);
}

/* A child that sends `sig` to this process every 2 ms until stop_signaller:
   a way to interrupt a call that blocks, without knowing when exactly it
   starts to block. The first signal goes after a pipe handshake (the child
   is running); the stop is the pipe closing. Returns the child's pid and
   stores the pipe's write end in *stop, or -1. */
static inline pid_t start_signaller(int sig, int *stop) {
    int p[2];
    pid_t child, parent = getpid();
    char c;

    if (pipe(p) != 0)
        return -1;
    child = fork();
    if (child == 0) {
        struct pollfd pf;
        close(p[1]);
        pf.fd = p[0];
        pf.events = POLLIN;
        if (read(p[0], &c, 1) != 1)
            _exit(1);
        for (;;) {
            kill(parent, sig);
            if (poll(&pf, 1, 2) != 0)
                _exit(0); /* EOF: stopped */
        }
    }
    close(p[0]);
    if (child < 0 || write(p[1], "g", 1) != 1) {
        close(p[1]);
        return -1;
    }
    *stop = p[1];
    return child;
}

/* Stops the signaller and reaps it. Returns 0 when it exited cleanly. */
static inline int stop_signaller(pid_t child, int stop) {
    int status;
    pid_t r;
    close(stop);
    /* The child may send one more signal before it sees the pipe close. */
    while ((r = waitpid(child, &status, 0)) == -1 && errno == EINTR)
        ;
    if (r != child)
        return -1;
    return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -1;
}

/* Waits (spinning, never sleeping) until process `pid` is asleep: blocked
   in a system call, which for a test that has nothing else to wait on
   means the call under test. Returns 0, or -1 if it is gone. */
static inline int wait_asleep(pid_t pid) {
    char path[64], buf[512];
    snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
    for (;;) {
        int fd = open(path, O_RDONLY | O_CLOEXEC);
        ssize_t n;
        char *p;
        if (fd < 0)
            return -1;
        n = read(fd, buf, sizeof buf - 1);
        close(fd);
        if (n <= 0)
            return -1;
        buf[n] = '\0';
        p = strrchr(buf, ')'); /* the name in parentheses may hold anything */
        if (p && p[1] == ' ' && p[2] == 'S')
            return 0;
        sched_yield();
    }
}

/* For a child: waits until process `pid` is asleep, sends it `sig`, then
   waits for the handler there to write a byte to the pipe whose read end
   is `note`: the signal was delivered while the call was blocked.
   Returns 0, or -1. */
static inline int interrupt_asleep(pid_t pid, int sig, int note) {
    char c;
    if (wait_asleep(pid) != 0 || kill(pid, sig) != 0)
        return -1;
    return read(note, &c, 1) == 1 ? 0 : -1;
}

/* Installs `handler` for `sig` without SA_RESTART, saving the old action. */
static inline int catch_signal(int sig, void (*handler)(int), struct sigaction *old) {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = handler;
    sigemptyset(&sa.sa_mask);
    return sigaction(sig, &sa, old);
}

#endif
