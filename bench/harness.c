/*
 * harness.c - times each row of bench_rows[] the raw way and the libudsock
 * way, alternating, and prints one CSV line per row and composition.
 *
 *   prog [--reps N] [--ms MS] [--xreps N] [--xms MS] [--only ID] [--link L]
 *        [--no-cross] [--header]        full measurement, CSV on stdout
 *   prog --smoke                        a few iterations of everything,
 *                                       checked; "ok -"/"not ok -" lines
 *   prog --instr ID [N]                 the paths run under callgrind
 *   prog --list                         the row ids
 *
 * Time: CLOCK_MONOTONIC (wall) and CLOCK_PROCESS_CPUTIME_ID (CPU, user +
 * system) around the measured loop only; for two processes the child
 * measures its own CPU time the same way and reports it through a pipe.
 * Heap allocations: this file defines malloc and its relatives (forwarding
 * to glibc's __libc_malloc & co.), which every malloc call in the process,
 * libudsock's included, goes through; the count before and after each
 * measured loop gives allocations per message.
 */
#include "harness.h"

#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* ---- allocation counter --------------------------------------------- */

extern void *__libc_malloc(size_t);
extern void *__libc_calloc(size_t, size_t);
extern void *__libc_realloc(void *, size_t);
extern void *__libc_memalign(size_t, size_t);
extern void __libc_free(void *);

static unsigned long n_allocs;

void *malloc(size_t n)
{
    n_allocs++;
    return __libc_malloc(n);
}

void *calloc(size_t n, size_t m)
{
    n_allocs++;
    return __libc_calloc(n, m);
}

void *realloc(void *p, size_t n)
{
    n_allocs++;
    return __libc_realloc(p, n);
}

void free(void *p)
{
    __libc_free(p);
}

void *memalign(size_t align, size_t n)
{
    n_allocs++;
    return __libc_memalign(align, n);
}

void *aligned_alloc(size_t align, size_t n)
{
    n_allocs++;
    return __libc_memalign(align, n);
}

int posix_memalign(void **out, size_t align, size_t n)
{
    void *p;
    if (align < sizeof(void *) || (align & (align - 1)) != 0)
        return EINVAL;
    n_allocs++;
    p = __libc_memalign(align, n);
    if (p == NULL)
        return ENOMEM;
    *out = p;
    return 0;
}

unsigned long bench_allocs(void)
{
    return n_allocs;
}

/* ---- errors and stamps ---------------------------------------------- */

static char fail_msg[512];

int bench_fail(const bstate *s, const char *what, ...)
{
    int e = errno;
    va_list ap;
    int n;
    va_start(ap, what);
    n = vsnprintf(fail_msg, sizeof fail_msg, what, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= sizeof fail_msg)
        return -1;
    if (e != 0)
        n += snprintf(fail_msg + n, sizeof fail_msg - n, " (errno %d: %s)", e, strerror(e));
    if (s != NULL && s->variant == LIB && (size_t)n < sizeof fail_msg && uds_last_error()[0] != '\0')
        snprintf(fail_msg + n, sizeof fail_msg - n, " [uds_last_error: %s]", uds_last_error());
    errno = e;
    return -1;
}

void stamp(unsigned char *p, size_t len, uint32_t seq)
{
    unsigned char b[4];
    memcpy(b, &seq, 4);
    memcpy(p, b, len < 4 ? len : 4);
    if (len >= 8)
        memcpy(p + len - 4, b, 4);
}

int stamp_ok(const unsigned char *p, size_t len, uint32_t seq)
{
    unsigned char b[4];
    memcpy(b, &seq, 4);
    if (memcmp(p, b, len < 4 ? len : 4) != 0)
        return 0;
    return len < 8 || memcmp(p + len - 4, b, 4) == 0;
}

/* ---- shared by the raw variants ------------------------------------ */

void bench_skip_sent(struct msghdr *m, size_t n)
{
    while (n > 0 && m->msg_iovlen > 0) {
        if (n >= m->msg_iov->iov_len) {
            n -= m->msg_iov->iov_len;
            m->msg_iov++;
            m->msg_iovlen--;
        } else {
            m->msg_iov->iov_base = (char *)m->msg_iov->iov_base + n;
            m->msg_iov->iov_len -= n;
            n = 0;
        }
    }
}

void bench_one_cmsg(struct msghdr *m, void *ctl, int type, const void *data, size_t bytes)
{
    struct cmsghdr *c;
    m->msg_control = ctl;
    m->msg_controllen = CMSG_SPACE(bytes);
    c = CMSG_FIRSTHDR(m);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = type;
    c->cmsg_len = CMSG_LEN(bytes);
    memcpy(CMSG_DATA(c), data, bytes);
    /* The padding after the data goes to the kernel too. */
    memset(CMSG_DATA(c) + bytes, 0, CMSG_SPACE(bytes) - CMSG_LEN(bytes));
}

int bench_close_got(bstate *s, int fd)
{
    (void)fd;
    for (size_t i = 0; i < s->ngot; i++)
        close(s->got[i]);
    s->ngot = 0;
    return 0;
}

/* ---- clocks --------------------------------------------------------- */

static int64_t ns_of(clockid_t c)
{
    struct timespec t;
    clock_gettime(c, &t);
    return (int64_t)t.tv_sec * 1000000000 + t.tv_nsec;
}

static int64_t wall_ns(void) { return ns_of(CLOCK_MONOTONIC); }
static int64_t cpu_ns(void) { return ns_of(CLOCK_PROCESS_CPUTIME_ID); }

/* ---- CPUs ----------------------------------------------------------- */

/* Two-process runs put the two processes on two different CPUs (the first
 * two this process may use), so that every run measures the same thing: a
 * wake-up across CPUs. Left to the scheduler, the pair sometimes shares a
 * CPU (a round trip of a few microseconds) and sometimes not (tens of
 * microseconds), and the medians of two variants would compare different
 * placements. */
static int cpu_a = -1, cpu_b = -1;
static cpu_set_t cpus_all;
/* The placement of the current two-process run: both on cpu_a (each
 * message a context switch on one CPU), or one on each CPU. */
static int two_cpus = 1;

static void find_cpus(void)
{
    if (sched_getaffinity(0, sizeof cpus_all, &cpus_all) != 0)
        return;
    for (int c = 0; c < CPU_SETSIZE; c++) {
        if (!CPU_ISSET(c, &cpus_all))
            continue;
        if (cpu_a < 0)
            cpu_a = c;
        else if (cpu_b < 0)
            cpu_b = c;
    }
}

static void pin(int cpu)
{
    cpu_set_t one;
    if (cpu < 0 || cpu_b < 0)
        return;
    CPU_ZERO(&one);
    CPU_SET(cpu, &one);
    sched_setaffinity(0, sizeof one, &one);
}

static void unpin(void)
{
    if (cpu_b >= 0)
        sched_setaffinity(0, sizeof cpus_all, &cpus_all);
}

/* ---- state ---------------------------------------------------------- */

static int state_open(const row *r, bstate *s, int variant)
{
    memset(s, 0, sizeof *s);
    s->variant = variant;
    s->fd[0] = s->fd[1] = s->listener = s->conn = s->acc = -1;
    if (r->type != 0) {
        int rc = variant == RAW ? socketpair(AF_UNIX, r->type | SOCK_CLOEXEC, 0, s->fd)
                                : uds_socketpair(r->type, s->fd);
        if (rc != 0)
            return bench_fail(s, "%s: socketpair", r->id);
    }
    if (r->setup != NULL && r->setup(s) != 0)
        return -1;
    return 0;
}

static void state_close(const row *r, bstate *s)
{
    if (r->teardown != NULL)
        r->teardown(s);
    if (s->fd[0] >= 0)
        close(s->fd[0]);
    if (s->fd[1] >= 0)
        close(s->fd[1]);
    s->fd[0] = s->fd[1] = -1;
}

/* ---- compositions --------------------------------------------------- */

static int single_loop(const ops *o, bstate *s, long n)
{
    for (long i = 0; i < n; i++) {
        if (o->send(s, s->fd[0]) != 0 || o->recv(s, s->fd[1]) != 0)
            return -1;
        if (o->after != NULL && o->after(s, s->fd[1]) != 0)
            return -1;
    }
    return 0;
}

static int client_loop(const ops *o, unsigned kind, bstate *s, long n)
{
    prim_fn rr = o->reply_recv != NULL ? o->reply_recv : o->recv;
    for (long i = 0; i < n; i++) {
        if (o->send(s, s->fd[0]) != 0)
            return -1;
        if (kind == K_PINGPONG && rr(s, s->fd[0]) != 0)
            return -1;
    }
    return 0;
}

static int server_loop(const ops *o, unsigned kind, bstate *s, long n)
{
    prim_fn rs = o->reply_send != NULL ? o->reply_send : o->send;
    for (long i = 0; i < n; i++) {
        if (o->recv(s, s->fd[1]) != 0)
            return -1;
        if (o->after != NULL && o->after(s, s->fd[1]) != 0)
            return -1;
        if (kind == K_PINGPONG && rs(s, s->fd[1]) != 0)
            return -1;
    }
    return 0;
}

/* One-way runs end with one acknowledgement, so that the sender's clock
 * covers the receiver's work. */
static int ack_send(bstate *s, int fd)
{
    char c = 'k';
    if (send(fd, &c, 1, MSG_NOSIGNAL) != 1)
        return bench_fail(s, "ack send");
    return 0;
}

static int ack_recv(bstate *s, int fd)
{
    char c;
    ssize_t r;
    do
        r = recv(fd, &c, 1, 0);
    while (r < 0 && errno == EINTR);
    if (r != 1 || c != 'k')
        return bench_fail(s, "ack recv: got %zd", r);
    return 0;
}

typedef struct sample {
    int64_t wall, cpu;      /* ns over the measured loop */
    unsigned long allocs;   /* allocations over the measured loop */
} sample;

static const char *kind_name(unsigned k)
{
    if (k == K_SINGLE)
        return "single";
    if (k == K_PINGPONG)
        return two_cpus ? "ping-pong 2 CPUs" : "ping-pong 1 CPU";
    return two_cpus ? "one-way 2 CPUs" : "one-way 1 CPU";
}

/* The placements two-process runs are measured in: 1 CPU, and 2 CPUs when
 * this process may use two. */
static int placements(void)
{
    return cpu_b >= 0 ? 2 : 1;
}

/* Runs one variant of one row in one composition: warm iterations, then n
 * measured. Returns 0 or -1 (fail_msg says why). */
static int run(const row *r, unsigned kind, int variant, long warm, long n, sample *out)
{
    const ops *o = &r->v[variant];
    bstate s;
    int rc = 0;

    fail_msg[0] = '\0';
    if (state_open(r, &s, variant) != 0) {
        state_close(r, &s);
        return -1;
    }
    if (kind == K_SINGLE) {
        int64_t w0, c0;
        unsigned long a0;
        if (single_loop(o, &s, warm) != 0) {
            state_close(r, &s);
            return -1;
        }
        a0 = bench_allocs();
        w0 = wall_ns();
        c0 = cpu_ns();
        rc = single_loop(o, &s, n);
        out->cpu = cpu_ns() - c0;
        out->wall = wall_ns() - w0;
        out->allocs = bench_allocs() - a0;
        state_close(r, &s);
        return rc;
    }

    /* Two processes. */
    struct {
        int64_t cpu;
        unsigned long allocs;
        int ok;
        char msg[400];
    } res;
    int pfd[2];
    pid_t pid;
    int64_t w0, c0;
    unsigned long a0;
    int status;

    if (pipe(pfd) != 0) {
        state_close(r, &s);
        return bench_fail(NULL, "pipe");
    }
    fflush(stdout);
    fflush(stderr);
    pid = fork();
    if (pid < 0) {
        state_close(r, &s);
        return bench_fail(NULL, "fork");
    }
    if (pid == 0) {
        int64_t cc;
        unsigned long ca;
        close(pfd[0]);
        close(s.fd[0]);
        s.fd[0] = -1;
        pin(two_cpus ? cpu_b : cpu_a);
        memset(&res, 0, sizeof res);
        res.ok = server_loop(o, kind, &s, warm) == 0;
        ca = bench_allocs();
        cc = cpu_ns();
        if (res.ok)
            res.ok = server_loop(o, kind, &s, n) == 0;
        if (res.ok && kind == K_ONEWAY)
            res.ok = ack_send(&s, s.fd[1]) == 0;
        res.cpu = cpu_ns() - cc;
        res.allocs = bench_allocs() - ca;
        if (!res.ok)
            snprintf(res.msg, sizeof res.msg, "receiver: %s", fail_msg);
        if (write(pfd[1], &res, sizeof res) != (ssize_t)sizeof res)
            _exit(3);
        _exit(res.ok ? 0 : 1);
    }
    close(pfd[1]);
    close(s.fd[1]);
    s.fd[1] = -1;
    pin(cpu_a);
    rc = client_loop(o, kind, &s, warm);
    a0 = bench_allocs();
    w0 = wall_ns();
    c0 = cpu_ns();
    if (rc == 0)
        rc = client_loop(o, kind, &s, n);
    if (rc == 0 && kind == K_ONEWAY)
        rc = ack_recv(&s, s.fd[0]);
    out->cpu = cpu_ns() - c0;
    out->wall = wall_ns() - w0;
    out->allocs = bench_allocs() - a0;
    if (rc != 0) {
        /* Unblock the child before waiting for it. */
        close(s.fd[0]);
        s.fd[0] = -1;
    }
    memset(&res, 0, sizeof res);
    if (read(pfd[0], &res, sizeof res) != (ssize_t)sizeof res) {
        res.ok = 0;
        snprintf(res.msg, sizeof res.msg, "receiver died without a result");
    }
    close(pfd[0]);
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
        ;
    unpin();
    state_close(r, &s);
    if (rc != 0)
        return -1;
    if (!res.ok || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        snprintf(fail_msg, sizeof fail_msg, "%s", res.msg[0] ? res.msg : "receiver failed");
        return -1;
    }
    out->cpu += res.cpu;
    out->allocs += res.allocs;
    return 0;
}

/* ---- statistics ----------------------------------------------------- */

static int cmp_d(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double median(const double *v, int n)
{
    double t[256];
    memcpy(t, v, n * sizeof *v);
    qsort(t, n, sizeof *t, cmp_d);
    return n % 2 ? t[n / 2] : (t[n / 2 - 1] + t[n / 2]) / 2;
}

static double minv(const double *v, int n)
{
    double m = v[0];
    for (int i = 1; i < n; i++)
        if (v[i] < m)
            m = v[i];
    return m;
}

static double maxv(const double *v, int n)
{
    double m = v[0];
    for (int i = 1; i < n; i++)
        if (v[i] > m)
            m = v[i];
    return m;
}

/* ---- modes ---------------------------------------------------------- */

static const char *prog_name = "bench";
static const char *link_label = "dynamic";

static void csv_header(void)
{
    printf("program,link,workload,id,kind,operation,raw_call,lib_call,reps,iters,per_iter,"
           "raw_ns,raw_min,raw_max,lib_ns,lib_min,lib_max,ratio,"
           "raw_cpu_ns,lib_cpu_ns,cpu_ratio,raw_allocs_per_msg,lib_allocs_per_msg\n");
}

/* Iterations so that the raw variant runs about ms milliseconds. */
static long calibrate(const row *r, unsigned kind, double ms)
{
    long n = kind == K_SINGLE ? 16 : 8;
    for (;;) {
        sample sm;
        if (run(r, kind, RAW, n / 4 + 1, n, &sm) != 0)
            return -1;
        if (sm.wall >= 8000000 || n >= (1L << 26)) {
            double want = ms * 1e6 / (double)sm.wall * (double)n;
            return want < 5 ? 5 : (long)want;
        }
        n *= 4;
    }
}

static int measure(const row *r, unsigned kind, int reps, double ms)
{
    double w[2][256], c[2][256], ratio[256], cratio[256];
    unsigned long allocs[2] = {0, 0};
    long n = calibrate(r, kind, ms);
    double per;

    if (n < 0) {
        fprintf(stderr, "%s: %s %s: calibration failed: %s\n", prog_name, r->id, kind_name(kind), fail_msg);
        return -1;
    }
    if (reps > 256)
        reps = 256;
    per = (double)n * r->per_iter;
    for (int i = 0; i < reps; i++) {
        for (int j = 0; j < 2; j++) {
            int v = (i % 2 == 0) ? j : 1 - j;   /* alternate which goes first */
            sample sm;
            if (run(r, kind, v, n / 10 + 2, n, &sm) != 0) {
                fprintf(stderr, "%s: %s %s %s: %s\n", prog_name, r->id, kind_name(kind),
                        v == RAW ? "raw" : "libudsock", fail_msg);
                return -1;
            }
            w[v][i] = (double)sm.wall / per;
            c[v][i] = (double)sm.cpu / per;
            if (sm.allocs > allocs[v])
                allocs[v] = sm.allocs;
        }
        ratio[i] = w[LIB][i] / w[RAW][i];
        cratio[i] = c[LIB][i] / c[RAW][i];
    }
    printf("%s,%s,%s,%s,%s,%s,%s,%s,%d,%ld,%d,"
           "%.1f,%.1f,%.1f,%.1f,%.1f,%.1f,%.4f,"
           "%.1f,%.1f,%.4f,%.4f,%.4f\n",
           prog_name, link_label, r->workload, r->id, kind_name(kind), r->op,
           r->v[RAW].send_call, r->v[LIB].send_call, reps, n, r->per_iter,
           median(w[RAW], reps), minv(w[RAW], reps), maxv(w[RAW], reps),
           median(w[LIB], reps), minv(w[LIB], reps), maxv(w[LIB], reps), median(ratio, reps),
           median(c[RAW], reps), median(c[LIB], reps), median(cratio, reps),
           allocs[RAW] / per, allocs[LIB] / per);
    fflush(stdout);
    fprintf(stderr, "  %-14s %-16s ratio %.3f  cpu ratio %.3f\n", r->id, kind_name(kind),
            median(ratio, reps), median(cratio, reps));
    return 0;
}

/* Every composition and placement a row is measured in. */
static const struct combo {
    unsigned kind;
    int two_cpus;
} combos[] = {{K_SINGLE, 0}, {K_PINGPONG, 0}, {K_PINGPONG, 1}, {K_ONEWAY, 0}, {K_ONEWAY, 1}};
#define NCOMBOS (int)(sizeof combos / sizeof combos[0])

/* Whether row r is measured in combination c; sets the placement. */
static int combo_applies(const row *r, int c)
{
    if (!(r->kinds & combos[c].kind) || combos[c].two_cpus >= placements())
        return 0;
    two_cpus = combos[c].two_cpus;
    return 1;
}

static int smoke(void)
{
    int pass = 0, failed = 0;
    unsigned long a0 = bench_allocs();
    char *probe = NULL;

    /* The counter must see allocations made inside shared libraries (as
     * libudsock's are): asprintf allocates inside libc. */
    if (asprintf(&probe, "%d", bench_nrows) < 0 || bench_allocs() == a0) {
        printf("not ok - allocation counter: a malloc inside libc went uncounted\n");
        failed++;
    } else {
        printf("ok - allocation counter sees allocations made inside shared libraries\n");
        pass++;
    }
    free(probe);
    for (int i = 0; i < bench_nrows; i++) {
        const row *r = &bench_rows[i];
        for (int c = 0; c < NCOMBOS; c++) {
            unsigned kind = combos[c].kind;
            if (!combo_applies(r, c))
                continue;
            for (int v = 0; v < 2; v++) {
                sample sm;
                long n = kind == K_SINGLE ? 40 : 12;
                const char *vn = v == RAW ? "raw" : "libudsock";
                if (run(r, kind, v, 4, n, &sm) != 0) {
                    printf("not ok - %s %s %s: %s\n", r->id, kind_name(kind), vn, fail_msg);
                    failed++;
                } else if (sm.allocs != 0 && !r->may_alloc) {
                    printf("not ok - %s %s %s: %lu heap allocations in %ld iterations\n", r->id,
                           kind_name(kind), vn, sm.allocs, n);
                    failed++;
                } else {
                    printf("ok - %s %s %s (%lu allocations)\n", r->id, kind_name(kind), vn, sm.allocs);
                    pass++;
                }
            }
        }
    }
    fflush(stdout);
    return failed;
}

/* The measured paths under callgrind: run.sh passes
 * --toggle-collect=instr_* so that only what these four functions do
 * (inclusive of everything they call) is counted. Not static, never
 * inlined, so that callgrind sees them under these names. */
__attribute__((noinline)) int instr_raw_send(prim_fn f, bstate *s, int fd) { return f(s, fd); }
__attribute__((noinline)) int instr_raw_recv(prim_fn f, bstate *s, int fd) { return f(s, fd); }
__attribute__((noinline)) int instr_lib_send(prim_fn f, bstate *s, int fd) { return f(s, fd); }
__attribute__((noinline)) int instr_lib_recv(prim_fn f, bstate *s, int fd) { return f(s, fd); }

static int instr(const char *id, long n)
{
    for (int i = 0; i < bench_nrows; i++) {
        const row *r = &bench_rows[i];
        if (strcmp(r->id, id) != 0)
            continue;
        for (int v = 0; v < 2; v++) {
            const ops *o = &r->v[v];
            bstate s;
            int (*isend)(prim_fn, bstate *, int) = v == RAW ? instr_raw_send : instr_lib_send;
            int (*irecv)(prim_fn, bstate *, int) = v == RAW ? instr_raw_recv : instr_lib_recv;
            if (state_open(r, &s, v) != 0 || single_loop(o, &s, 20) != 0)
                goto fail;
            for (long k = 0; k < n; k++) {
                if (isend(o->send, &s, s.fd[0]) != 0 || irecv(o->recv, &s, s.fd[1]) != 0)
                    goto fail;
                if (o->after != NULL && o->after(&s, s.fd[1]) != 0)
                    goto fail;
            }
            state_close(r, &s);
            continue;
        fail:
            fprintf(stderr, "%s: instr %s: %s\n", prog_name, id, fail_msg);
            return 1;
        }
        printf("%s,%ld,%d,%s,%s,%s,%s\n", r->id, n, r->per_iter, r->v[RAW].send_call,
               r->v[LIB].send_call, r->v[RAW].recv_call, r->v[LIB].recv_call);
        return 0;
    }
    fprintf(stderr, "%s: no row %s\n", prog_name, id);
    return 2;
}

static void usage(void)
{
    fprintf(stderr, "usage: %s [--smoke | --instr ID [N] | --list | [--reps N] [--ms MS] "
                    "[--xreps N] [--xms MS] [--only ID] [--link LABEL] [--no-cross] [--header]]\n",
            prog_name);
    exit(2);
}

/* The labels go into CSV lines unquoted: a comma or a quote in one would
   shift every column after it. Refused at start, so --smoke catches it. */
static int labels_ok(void)
{
    for (int k = 0; k < bench_nrows; k++) {
        const row *r = &bench_rows[k];
        const char *labels[] = {r->id, r->op, r->v[RAW].send_call, r->v[RAW].recv_call,
                                r->v[LIB].send_call, r->v[LIB].recv_call};
        for (size_t i = 0; i < sizeof labels / sizeof labels[0]; i++)
            if (labels[i] != NULL && strpbrk(labels[i], ",\"\n") != NULL) {
                fprintf(stderr, "%s: row %s: label \"%s\" has a comma, quote or newline (the CSV is not quoted)\n",
                        prog_name, r->id, labels[i]);
                return 0;
            }
    }
    return 1;
}

int main(int argc, char **argv)
{
    int reps = 31, xreps = 11, cross = 1, header = 0;
    double ms = 20, xms = 150;
    const char *only = NULL;
    const char *p = strrchr(argv[0], '/');

    prog_name = p ? p + 1 : argv[0];
    signal(SIGPIPE, SIG_IGN);
    if (!labels_ok())
        return 2;
    find_cpus();
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *val = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(a, "--smoke") == 0)
            return smoke() == 0 ? 0 : 1;
        if (strcmp(a, "--list") == 0) {
            for (int k = 0; k < bench_nrows; k++)
                printf("%s\n", bench_rows[k].id);
            return 0;
        }
        if (strcmp(a, "--instr") == 0 && val != NULL)
            return instr(val, i + 2 < argc ? atol(argv[i + 2]) : 200);
        if (strcmp(a, "--no-cross") == 0) { cross = 0; continue; }
        if (strcmp(a, "--header") == 0) { header = 1; continue; }
        if (val == NULL)
            usage();
        if (strcmp(a, "--reps") == 0) reps = atoi(val);
        else if (strcmp(a, "--ms") == 0) ms = atof(val);
        else if (strcmp(a, "--xreps") == 0) xreps = atoi(val);
        else if (strcmp(a, "--xms") == 0) xms = atof(val);
        else if (strcmp(a, "--only") == 0) only = val;
        else if (strcmp(a, "--link") == 0) link_label = val;
        else usage();
        i++;
    }
    if (reps < 1 || xreps < 1)
        usage();
    if (header)
        csv_header();
    int bad = 0;
    for (int i = 0; i < bench_nrows; i++) {
        const row *r = &bench_rows[i];
        if (only != NULL && strcmp(only, r->id) != 0)
            continue;
        for (int c = 0; c < NCOMBOS; c++) {
            unsigned kind = combos[c].kind;
            if ((kind != K_SINGLE && !cross) || !combo_applies(r, c))
                continue;
            if (measure(r, kind, kind == K_SINGLE ? reps : xreps, kind == K_SINGLE ? ms : xms) != 0)
                bad++;
        }
    }
    return bad ? 1 : 0;
}
