/* The library's cost per operation as a process holds more connections:
   the table of what it bound, accepted and connected must stay O(1).

   Two operations, each timed with no connection held and with HELD
   connections held (accepted from a listener bound to a path longer than
   sun_path, so every accepted socket has a record):
     dial+accept+close  uds_dial + uds_accept + 2 x uds_close, on that listener
     stale listener     uds_listener(UDS_REPLACE_STALE) on a stale socket file
                        (left by a plain close(2)) + uds_close
   and reported as the ratio of the two (targets: <= 1.1 and <= 1.5).

     scale [--held N] [--reps R] [--iters I]   markdown rows on stdout
     scale --smoke                             a small run, TAP-like lines */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <udsock.h>

static char dir[64], longp[600], stale[128];
static int listener = -1;

static double now_ns(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1e9 + t.tv_nsec;
}

static void die(const char *what) {
    fprintf(stderr, "scale: %s: %s\n", what, uds_last_error());
    exit(1);
}

/* A path of `total` bytes under dir, its directories made. */
static void make_long_path(size_t total) {
    size_t at = strlen(dir);
    memcpy(longp, dir, at);
    while (total - at > 60) {
        longp[at] = '/';
        memset(longp + at + 1, 'd', 50);
        longp[at + 51] = '\0';
        if (mkdir(longp, 0700) != 0 && errno != EEXIST)
            die("mkdir");
        at += 51;
    }
    snprintf(longp + at, sizeof longp - at, "/listener.sock");
}

static void dial_accept_close(void) {
    int c = uds_dial(longp, SOCK_STREAM), a;
    if (c < 0)
        die("uds_dial");
    a = uds_accept(listener, 0);
    if (a < 0)
        die("uds_accept");
    if (uds_close(a) != 0 || uds_close(c) != 0)
        die("uds_close");
}

static void stale_listener(void) {
    int fd = uds_listener(stale, SOCK_STREAM, 0, -1, UDS_REPLACE_STALE);
    if (fd < 0)
        die("uds_listener");
    close(fd); /* plain close(2): the file stays, stale, for the next round */
}

static int cmp(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Median ns per operation over `reps` repetitions of `iters` each. */
static double measure(void (*op)(void), int reps, int iters) {
    double t[64];
    int r, i;
    for (i = 0; i < iters / 4 + 1; i++)
        op(); /* warm up */
    for (r = 0; r < reps; r++) {
        double t0 = now_ns();
        for (i = 0; i < iters; i++)
            op();
        t[r] = (now_ns() - t0) / iters;
    }
    qsort(t, (size_t)reps, sizeof t[0], cmp);
    return t[reps / 2];
}

int main(int argc, char **argv) {
    int held = 9000, reps = 9, iters = 2000, smoke = 0, i, *fds;
    double d0, d1, l0, l1, dr, lr;
    struct rlimit rl;

    for (i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--smoke") == 0) {
            smoke = 1, held = 200, reps = 3, iters = 50;
        } else if (i + 1 < argc && strcmp(argv[i], "--held") == 0) {
            held = atoi(argv[++i]);
        } else if (i + 1 < argc && strcmp(argv[i], "--reps") == 0) {
            reps = atoi(argv[++i]);
        } else if (i + 1 < argc && strcmp(argv[i], "--iters") == 0) {
            iters = atoi(argv[++i]);
        } else {
            fprintf(stderr, "usage: scale [--smoke] [--held N] [--reps R] [--iters I]\n");
            return 2;
        }
    }
    if (reps < 1 || reps > 64 || iters < 1 || held < 0)
        return 2;
    /* Two fds per connection held: raise the soft limit as far as allowed. */
    if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
        die("getrlimit");
    rl.rlim_cur = rl.rlim_max;
    setrlimit(RLIMIT_NOFILE, &rl);
    if ((rlim_t)held * 2 + 64 > rl.rlim_cur)
        held = (int)((rl.rlim_cur - 64) / 2);

    snprintf(dir, sizeof dir, "/tmp/udsock-scale-XXXXXX");
    if (!mkdtemp(dir))
        die("mkdtemp");
    make_long_path(300);
    snprintf(stale, sizeof stale, "%s/stale.sock", dir);
    listener = uds_listener(longp, SOCK_STREAM, 0, -1, 0);
    if (listener < 0)
        die("uds_listener");
    stale_listener(); /* leaves the stale file each round replaces */

    d0 = measure(dial_accept_close, reps, iters);
    l0 = measure(stale_listener, reps, iters);
    fds = malloc(sizeof *fds * 2 * (size_t)held);
    for (i = 0; i < held; i++) {
        fds[2 * i] = uds_dial(longp, SOCK_STREAM);
        fds[2 * i + 1] = uds_accept(listener, 0);
        if (fds[2 * i] < 0 || fds[2 * i + 1] < 0)
            die("holding connections");
    }
    d1 = measure(dial_accept_close, reps, iters);
    l1 = measure(stale_listener, reps, iters);
    for (i = 0; i < 2 * held; i++)
        uds_close(fds[i]);
    free(fds);
    uds_close(listener);
    uds_unlink_path(stale);
    {
        char lock[160];
        snprintf(lock, sizeof lock, "%s.lock", stale);
        unlink(lock);
    }

    dr = d1 / d0;
    lr = l1 / l0;
    if (smoke) {
        /* No timing claims from a smoke run: only that it works. */
        printf("ok - scale: dial+accept+close and a stale-replacing listener with %d connections held\n", held);
        return 0;
    }
    printf("| operation | 0 held (ns/op) | %d held (ns/op) | ratio | target |\n|---|---|---|---|---|\n", held);
    printf("| uds_dial + uds_accept + 2 x uds_close (long-path listener) | %.0f | %.0f | %.3f | <= 1.1: %s |\n",
           d0, d1, dr, dr <= 1.1 ? "met" : "**missed**");
    printf("| uds_listener(UDS_REPLACE_STALE) over a stale file + close | %.0f | %.0f | %.3f | <= 1.5: %s |\n",
           l0, l1, lr, lr <= 1.5 ? "met" : "**missed**");
    return 0;
}
