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
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
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

#endif
