/* Helpers for the descriptor and credential tests, on top of util.h:
   sets of files to pass, checking that a received descriptor is the
   sender's open file description, and child processes. Include check.h
   first. */
#ifndef UDS_ANC_H
#define UDS_ANC_H

#include "util.h"

#define NFILES 253

/* A raw sendmsg(2) of len bytes with nfds (0..NFILES) descriptors as one
   SCM_RIGHTS block: what a program that does not use the library sends. */
static inline ssize_t raw_sendmsg(int sock, const void *buf, size_t len, const int *fds, size_t nfds) {
    union { char b[CMSG_SPACE(NFILES * sizeof(int))]; struct cmsghdr align; } u;
    struct iovec iov;
    struct msghdr m;
    iov.iov_base = (void *)buf;
    iov.iov_len = len;
    memset(&m, 0, sizeof m);
    memset(&u, 0, sizeof u);
    m.msg_iov = &iov;
    m.msg_iovlen = 1;
    if (nfds) {
        struct cmsghdr *c;
        m.msg_control = u.b;
        m.msg_controllen = CMSG_SPACE(nfds * sizeof(int));
        c = CMSG_FIRSTHDR(&m);
        c->cmsg_level = SOL_SOCKET;
        c->cmsg_type = SCM_RIGHTS;
        c->cmsg_len = CMSG_LEN(nfds * sizeof(int));
        memcpy(CMSG_DATA(c), fds, nfds * sizeof(int));
    }
    return sendmsg(sock, &m, MSG_NOSIGNAL);
}

/* The highest descriptor number open. */
static inline int highest_fd(void) {
    int max = -1, fd;
    struct dirent *e;
    DIR *d = opendir("/proc/self/fd");
    if (d == NULL) return -1;
    while ((e = readdir(d)) != NULL)
        if (e->d_name[0] != '.' && (fd = atoi(e->d_name)) > max) max = fd;
    closedir(d);
    return max;
}

/* Creates f0..f<n-1> in dir. */
static inline int make_files(const char *dir, int n) {
    char path[256];
    int i, fd;
    for (i = 0; i < n; i++) {
        snprintf(path, sizeof path, "%s/f%d", dir, i);
        fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
        if (fd < 0) return -1;
        close(fd);
    }
    return 0;
}

/* Opens f0..f<n-1> of dir into fds[], file i at offset base + i: a
   received descriptor at that offset is this open file description (a
   fresh open of the same file would be at 0). */
static inline int open_files(const char *dir, int *fds, int n, int base) {
    char path[256];
    int i;
    for (i = 0; i < n; i++) {
        snprintf(path, sizeof path, "%s/f%d", dir, i);
        fds[i] = open(path, O_RDWR | O_CLOEXEC);
        if (fds[i] < 0 || lseek(fds[i], base + i, SEEK_SET) != base + i) return -1;
    }
    return 0;
}

static inline void close_all(const int *fds, int n) {
    int i;
    for (i = 0; i < n; i++) close(fds[i]);
}

/* 1 when got[i] is file i of dir, at offset base + i, close-on-exec. */
static inline int same_files(const char *dir, const int *got, int n, int base) {
    char path[256];
    struct stat a, b;
    int i;
    for (i = 0; i < n; i++) {
        snprintf(path, sizeof path, "%s/f%d", dir, i);
        if (stat(path, &a) != 0 || fstat(got[i], &b) != 0) return 0;
        if (a.st_dev != b.st_dev || a.st_ino != b.st_ino) {
            fprintf(stderr, "fd %d of %d: another file\n", i, n);
            return 0;
        }
        if (lseek(got[i], 0, SEEK_CUR) != base + i) {
            fprintf(stderr, "fd %d of %d: another open file description\n", i, n);
            return 0;
        }
        if (!is_cloexec(got[i])) {
            fprintf(stderr, "fd %d of %d: not close-on-exec\n", i, n);
            return 0;
        }
    }
    return 1;
}

/* A number from /proc/self/fdinfo/<fd>, on the line starting with key. */
static inline long fdinfo(int fd, const char *key) {
    char path[64], line[256];
    long v = -2;
    size_t k = strlen(key);
    FILE *f;
    snprintf(path, sizeof path, "/proc/self/fdinfo/%d", fd);
    f = fopen(path, "r");
    if (f == NULL) return -3;
    while (fgets(line, sizeof line, f) != NULL)
        if (strncmp(line, key, k) == 0) v = strtol(line + k, NULL, 10);
    fclose(f);
    return v;
}

/* Forks; the child runs body(arg) and exits 0 when all its checks held. */
static inline pid_t spawn(void (*body)(void *), void *arg) {
    pid_t pid;
    fflush(stdout);
    fflush(stderr);
    pid = fork();
    if (pid == 0) {
        body(arg);
        fflush(stderr);
        _exit(checks_failed ? 1 : 0);
    }
    return pid;
}

/* 0 when the child exited 0. */
static inline int reap(pid_t pid) {
    int status;
    if (waitpid(pid, &status, 0) != pid) return -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

#endif
