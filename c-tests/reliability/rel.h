/* Helpers the reliability tests share, on top of check.h and util.h from
   c-tests/unit: the size a test runs at (quick or --full), children that
   die with the test, pipe handshakes, a seeded pattern generator and a
   clock for the figures each test prints. Everything is static inline.
   Needs _GNU_SOURCE before the first #include. */
#ifndef UDS_REL_H
#define UDS_REL_H

#include <stdint.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <time.h>
#include <udsock.h>
#include "check.h"
#include "util.h"

/* c-tests/conftest.py sets UDS_REL_FULL=1 for the full-size runs of the issue and
   UDS_TEST_MODE to --sanitize or --valgrind under those tools. */
static inline int rel_full(void) {
    const char *v = getenv("UDS_REL_FULL");
    return v && strcmp(v, "1") == 0;
}

static inline int rel_under(const char *tool) {
    const char *v = getenv("UDS_TEST_MODE");
    return v && strcmp(v, tool) == 0;
}

/* The size of a test: `full` for --full, `quick` by default, and `slow`
   under Valgrind, which runs code some fifty times slower. */
/* The exit status of a test that cannot run here (the automake
   convention); its last line of output says why. */
#define REL_SKIP 77

static inline size_t rel_size(size_t slow, size_t quick, size_t full) {
    return rel_full() ? full : rel_under("--valgrind") ? slow : quick;
}

static inline double now_s(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* Setup that cannot go wrong in a sane environment: on failure the test
   stops with a message rather than counting a failure of the library. */
#define MUST(cond)                                                           \
    do {                                                                     \
        if (!(cond)) {                                                       \
            fprintf(stderr, "%s:%d: setup failed: %s (errno %d: %s)\n",      \
                    __FILE__, __LINE__, #cond, errno, strerror(errno));      \
            exit(2);                                                         \
        }                                                                    \
    } while (0)

/* splitmix64: a seeded, reproducible stream of numbers. */
static inline uint64_t rnd(uint64_t *s) {
    uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

/* The pattern named `seed`: the byte at every offset is fixed, so both
   ends compute it and every byte received is checked without a copy. */
static inline uint64_t pattern_word(uint64_t seed, uint64_t word) {
    uint64_t s = seed * 0x100000001b3ULL ^ word;
    return rnd(&s);
}

static inline void pattern_fill(unsigned char *buf, size_t len, uint64_t seed, uint64_t at) {
    size_t i;
    uint64_t w = pattern_word(seed, at >> 3);
    for (i = 0; i < len; i++) {
        uint64_t o = at + i;
        if ((o & 7) == 0)
            w = pattern_word(seed, o >> 3);
        buf[i] = (unsigned char)(w >> (8 * (o & 7)));
    }
}

/* Offset of the first byte that differs from the pattern, or len. */
static inline size_t pattern_check(const unsigned char *buf, size_t len, uint64_t seed, uint64_t at) {
    unsigned char want[4096];
    size_t done = 0;
    while (done < len) {
        size_t n = len - done < sizeof want ? len - done : sizeof want, i;
        pattern_fill(want, n, seed, at + done);
        if (memcmp(buf + done, want, n) != 0) {
            for (i = 0; buf[done + i] == want[i]; i++)
                ;
            return done + i;
        }
        done += n;
    }
    return len;
}

/* fork() whose child is killed when the test process dies, so a test
   stopped by its timeout leaves nothing running. The child runs fn(arg)
   with fresh CHECK counts and exits with its result (child_result() for
   its own CHECKs). Returns the child's pid. */
static inline pid_t spawn(int (*fn)(void *), void *arg) {
    pid_t parent = getpid(), pid;
    fflush(NULL);
    pid = fork();
    MUST(pid >= 0);
    if (pid == 0) {
        int r;
        if (prctl(PR_SET_PDEATHSIG, SIGKILL) != 0 || getppid() != parent)
            _exit(3);
        checks_passed = checks_failed = 0; /* the child's own verdict */
        r = fn(arg);
        fflush(NULL);
        _exit(r);
    }
    return pid;
}

/* Reaps pid: its exit status, or 128 + the signal that killed it. */
static inline int reap(pid_t pid) {
    int status;
    while (waitpid(pid, &status, 0) != pid)
        MUST(errno == EINTR);
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

/* A child's verdict from its own CHECKs. */
static inline int child_result(void) {
    return checks_failed ? 1 : 0;
}

/* One byte over a pipe or socket, as a handshake. */
static inline void tell(int fd, char c) {
    ssize_t r;
    do
        r = write(fd, &c, 1);
    while (r < 0 && errno == EINTR);
    MUST(r == 1);
}

/* The byte the other side told, or 0 at end of file. */
static inline char heard(int fd) {
    char c;
    ssize_t r;
    do
        r = read(fd, &c, 1);
    while (r < 0 && errno == EINTR);
    MUST(r >= 0);
    return r == 1 ? c : 0;
}

/* Raises the soft RLIMIT_NOFILE to at least `need` (at most the hard
   limit). Returns 0, or -1 when the hard limit is lower. */
static inline int want_nofile(rlim_t need) {
    struct rlimit rl;
    MUST(getrlimit(RLIMIT_NOFILE, &rl) == 0);
    if (rl.rlim_cur >= need)
        return 0;
    if (rl.rlim_max != RLIM_INFINITY && rl.rlim_max < need)
        return -1;
    rl.rlim_cur = need;
    return setrlimit(RLIMIT_NOFILE, &rl);
}

/* The private directory of a test, removed by rel_cleanup(). */
static char rel_dir[64];

static inline void rel_tmpdir(const char *tag) {
    MUST(make_tmpdir(rel_dir, sizeof rel_dir, tag) == 0);
}

static inline void rel_cleanup(void) {
    CHECK(rm_tree(rel_dir) == 0);
}

#endif
