/* The resumable frame reader and writer (uds_reader_*, uds_writer_send)
   on non-blocking stream sockets: frames cut at every split point, with
   and without descriptors; coalesced frames; a raw sender that writes the
   prefix and the body in pieces with an fd on a byte in the middle; one
   byte per write from another process; hostile input (a 4 GiB prefix, the
   end of the stream inside a frame, more fds than the limit); and the
   writer against a socket that takes a frame in parts. Descriptors are
   identified by inode and counted in /proc/self/fd: nothing may be lost,
   misattributed or leaked. */
#define _GNU_SOURCE
#include <poll.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/uio.h>

#include <udsock.h>

#include "check.h"
#include "util.h"

#define NF 4
static int files[NF];          /* distinct files to pass */
static ino_t inodes[NF];

static ino_t ino_of(int fd) {
    struct stat st;
    return fstat(fd, &st) == 0 ? st.st_ino : 0;
}

static void close_all(const int *fds, int n) {
    int i;
    for (i = 0; i < n; i++)
        close(fds[i]);
}

static int nb_pair(int sv[2]) {
    return uds_socketpair(SOCK_STREAM | SOCK_NONBLOCK, sv);
}

/* One raw write of n bytes, with nfds descriptors when nfds > 0: a
   careful hand-written sendmsg. Returns 0 when all of it went. */
static int raw_write(int sock, const void *p, size_t n, const int *fds, int nfds) {
    union { struct cmsghdr h; char buf[CMSG_SPACE(sizeof(int) * NF)]; } u;
    struct iovec iov;
    struct msghdr m;
    ssize_t r;
    memset(&m, 0, sizeof m);
    memset(&u, 0, sizeof u);
    iov.iov_base = (void *)p;
    iov.iov_len = n;
    m.msg_iov = &iov;
    m.msg_iovlen = 1;
    if (nfds > 0) {
        struct cmsghdr *c;
        m.msg_control = u.buf;
        m.msg_controllen = CMSG_SPACE(sizeof(int) * (size_t)nfds);
        c = CMSG_FIRSTHDR(&m);
        c->cmsg_level = SOL_SOCKET;
        c->cmsg_type = SCM_RIGHTS;
        c->cmsg_len = CMSG_LEN(sizeof(int) * (size_t)nfds);
        memcpy(CMSG_DATA(c), fds, sizeof(int) * (size_t)nfds);
    }
    for (;;) {
        r = sendmsg(sock, &m, MSG_NOSIGNAL);
        if (r >= 0 || errno != EAGAIN)
            break;
        {
            struct pollfd pf;
            pf.fd = sock;
            pf.events = POLLOUT;
            poll(&pf, 1, 10000);
        }
    }
    return r == (ssize_t)n ? 0 : -1;
}

/* The wire bytes of frames given as (pointer, length) pairs. */
static size_t wire(unsigned char *out, const char *const *f, const size_t *len, int n, size_t *starts) {
    size_t at = 0;
    int i;
    for (i = 0; i < n; i++) {
        uint32_t l = (uint32_t)len[i];
        starts[i] = at;
        memcpy(out + at, &l, 4);
        memcpy(out + at + 4, f[i], len[i]);
        at += 4 + len[i];
    }
    return at;
}

/* What came out of the reader. */
typedef struct got {
    int n;                      /* frames */
    size_t len[16];
    unsigned char data[16][400];
    int nfds[16];
    ino_t ino[16][NF];
    int eof;
} got;

/* Reads until EAGAIN (returns 0) or the end (1); -1 on anything else. */
static int drain(uds_reader *r, int sock, got *g) {
    for (;;) {
        const void *p = NULL;
        size_t len = 0, nfds = NF;
        int fds[NF];
        int rc = uds_reader_read(r, sock, &p, &len, fds, &nfds);
        if (rc == 1) {
            size_t i;
            if (g->n >= 16 || len > 400)
                return -1;
            g->len[g->n] = len;
            memcpy(g->data[g->n], p, len);
            g->nfds[g->n] = (int)nfds;
            for (i = 0; i < nfds; i++) {
                if (!is_cloexec(fds[i]))
                    return -1;
                g->ino[g->n][i] = ino_of(fds[i]);
                close(fds[i]);
            }
            g->n++;
        } else if (rc == 0) {
            g->eof = 1;
            return 1;
        } else if (errno == EAGAIN) {
            return 0;
        } else if (errno != EINPROGRESS) {
            return -1;
        }
    }
}

/* Frames f[0..n) cut at cuts[0..ncuts), each piece one write (with file
   i on piece i when with_fds); reads after every write. 1 when every
   frame came whole, in order, with the fds of exactly the pieces whose
   first byte it holds, and nothing leaked. */
static int split_case(const char *const *f, const size_t *len, int n, const size_t *cuts, int ncuts, int with_fds) {
    unsigned char bytes[1024];
    size_t starts[16], bounds[8];
    ino_t want[16][NF];
    int nwant[16] = {0};
    size_t total = wire(bytes, f, len, n, starts);
    int sv[2], i, ok = 1, before = count_fds();
    uds_reader *r = uds_reader_new(400, NF);
    got *g = calloc(1, sizeof *g);

    if (r == NULL || g == NULL || nb_pair(sv) != 0)
        return 0;
    bounds[0] = 0;
    for (i = 0; i < ncuts; i++)
        bounds[i + 1] = cuts[i];
    bounds[ncuts + 1] = total;
    for (i = 0; i <= ncuts; i++) {
        if (with_fds) {
            int owner = n - 1;
            while (starts[owner] > bounds[i])
                owner--;
            want[owner][nwant[owner]++] = inodes[i];
        }
        if (raw_write(sv[0], bytes + bounds[i], bounds[i + 1] - bounds[i], &files[i], with_fds) != 0 ||
            drain(r, sv[1], g) != 0)
            ok = 0;
    }
    close(sv[0]);
    if (drain(r, sv[1], g) != 1 || g->n != n)
        ok = 0;
    for (i = 0; ok && i < n; i++) {
        int k;
        if (g->len[i] != len[i] || memcmp(g->data[i], f[i], len[i]) != 0 || g->nfds[i] != nwant[i])
            ok = 0;
        for (k = 0; ok && k < nwant[i]; k++)
            if (g->ino[i][k] != want[i][k])
                ok = 0;
    }
    uds_reader_free(r);
    close(sv[1]);
    free(g);
    if (count_fds() != before)
        ok = 0;
    if (!ok)
        fprintf(stderr, "split case failed: %d cuts from %zu, fds %d\n", ncuts, ncuts ? cuts[0] : 0, with_fds);
    return ok;
}

static void test_splits(void) {
    static char big[300];
    const char *f[4] = {"", "a", big, "tail!"};
    size_t len[4] = {0, 1, sizeof big, 5};
    const char *f2[4] = {"", "ab", "xyz", "0123456789"};
    size_t len2[4] = {0, 2, 3, 10};
    size_t k, j, total = 4 * 4 + 1 + sizeof big + 5, total2 = 4 * 4 + 15;
    int bad = 0, with_fds;
    memset(big, 'z', sizeof big);
    for (with_fds = 0; with_fds <= 1; with_fds++)
        for (k = 1; k < total; k++)
            bad += !split_case(f, len, 4, &k, 1, with_fds);
    for (k = 1; k < total2; k++)
        for (j = k + 1; j < total2; j++) {
            size_t cuts[2];
            cuts[0] = k;
            cuts[1] = j;
            bad += !split_case(f2, len2, 4, cuts, 2, 1);
        }
    CHECK(bad == 0);
}

/* Frames coalesced in one write with fds (they belong to the first), and
   a frame written in pieces (prefix cut too) with an fd on a body byte. */
static void test_coalesced_and_pieces(void) {
    unsigned char w[64];
    size_t starts[4];
    const char *three[3] = {"first", "second", ""};
    size_t len3[3] = {5, 6, 0};
    const char *hello[1] = {"hello world"};
    size_t lenh[1] = {11};
    size_t n;
    int sv[2], before = count_fds();
    uds_reader *r = uds_reader_new(64, NF);
    got g;
    memset(&g, 0, sizeof g);
    CHECK(r != NULL && nb_pair(sv) == 0);
    n = wire(w, three, len3, 3, starts);
    CHECK(raw_write(sv[0], w, n, files, 2) == 0);
    n = wire(w, hello, lenh, 1, starts);
    CHECK(raw_write(sv[0], w, 2, NULL, 0) == 0);
    CHECK(raw_write(sv[0], w + 2, 2, NULL, 0) == 0);
    CHECK(raw_write(sv[0], w + 4, 5, NULL, 0) == 0);
    CHECK(raw_write(sv[0], w + 9, 1, &files[2], 1) == 0);
    CHECK(raw_write(sv[0], w + 10, n - 10, NULL, 0) == 0);
    CHECK(drain(r, sv[1], &g) == 0);
    CHECK(g.n == 4);
    CHECK(g.len[0] == 5 && memcmp(g.data[0], "first", 5) == 0);
    CHECK(g.nfds[0] == 2 && g.ino[0][0] == inodes[0] && g.ino[0][1] == inodes[1]);
    CHECK(g.len[1] == 6 && g.nfds[1] == 0 && g.len[2] == 0 && g.nfds[2] == 0);
    CHECK(g.len[3] == 11 && memcmp(g.data[3], "hello world", 11) == 0);
    CHECK(g.nfds[3] == 1 && g.ino[3][0] == inodes[2]);
    uds_reader_free(r);
    close(sv[0]);
    close(sv[1]);
    CHECK(count_fds() == before);
}

/* Another process writes 12 frames one byte per write, each frame's
   first byte with an fd; the parent reads in a poll loop. */
static void test_one_byte_per_write_from_a_child(void) {
    unsigned char w[1024];
    char bodies[12][40];
    const char *f[12];
    size_t len[12], starts[12], n;
    int sv[2], i, before = count_fds(), status = 0, done = 0;
    pid_t child;
    uds_reader *r = uds_reader_new(64, NF);
    got *g = calloc(1, sizeof *g);
    for (i = 0; i < 12; i++) {
        memset(bodies[i], 'a' + i, sizeof bodies[i]);
        f[i] = bodies[i];
        len[i] = (size_t)i * 3;
    }
    n = wire(w, f, len, 12, starts);
    CHECK(r != NULL && g != NULL && nb_pair(sv) == 0);
    child = fork();
    if (child == 0) {
        size_t k;
        int next = 0;
        close(sv[1]);
        for (k = 0; k < n; k++) {
            int with = next < 12 && starts[next] == k;
            if (raw_write(sv[0], w + k, 1, &files[next % 2], with) != 0)
                _exit(1);
            next += with;
        }
        _exit(0);
    }
    close(sv[0]);
    while (!done) {
        struct pollfd pf;
        int rc = drain(r, sv[1], g);
        if (rc != 0) {
            done = 1;
            CHECK(rc == 1);
            break;
        }
        pf.fd = sv[1];
        pf.events = POLLIN;
        if (poll(&pf, 1, 10000) != 1) {
            CHECK(!"poll timed out");
            break;
        }
    }
    CHECK(waitpid(child, &status, 0) == child && WIFEXITED(status) && WEXITSTATUS(status) == 0);
    CHECK(g->n == 12);
    for (i = 0; i < g->n; i++) {
        CHECK(g->len[i] == len[i] && memcmp(g->data[i], bodies[i], len[i]) == 0);
        CHECK(g->nfds[i] == 1 && g->ino[i][0] == inodes[i % 2]);
    }
    uds_reader_free(r);
    close(sv[1]);
    free(g);
    CHECK(count_fds() == before);
}

static void test_hostile(void) {
    const void *p;
    size_t len, nfds;
    int fds[NF], sv[2], before = count_fds();
    uint32_t huge = 0xffffffffu;
    unsigned char junk[5000], w[16];
    uds_reader *r = uds_reader_new(1024, 2);

    CHECK(r != NULL && nb_pair(sv) == 0);
    /* A 4 GiB prefix with an fd: EMSGSIZE at once, *len its size, the fd
       closed; its bytes are dropped as they come; the end inside it is
       ECONNRESET, then a clean 0. */
    CHECK(raw_write(sv[0], &huge, 4, files, 1) == 0);
    nfds = NF;
    len = 0;
    EXPECT_ERR(uds_reader_read(r, sv[1], &p, &len, fds, &nfds), EMSGSIZE, "uds_reader_read");
    CHECK(len == 0xffffffffu && nfds == 0);
    CHECK(count_fds() == before + 2);
    memset(junk, 7, sizeof junk);
    CHECK(raw_write(sv[0], junk, sizeof junk, files, 2) == 0);
    nfds = NF;
    EXPECT_ERR(uds_reader_read(r, sv[1], &p, &len, fds, &nfds), EAGAIN, "uds_reader_read");
    CHECK(count_fds() == before + 2);
    close(sv[0]);
    EXPECT_ERR(uds_reader_read(r, sv[1], &p, &len, fds, &nfds), ECONNRESET, "uds_reader_read");
    nfds = NF;
    CHECK(uds_reader_read(r, sv[1], &p, &len, fds, &nfds) == 0 && p == NULL && len == 0 && nfds == 0);
    close(sv[1]);

    /* The end inside a frame that holds fds: ECONNRESET, fds closed. */
    CHECK(nb_pair(sv) == 0);
    huge = 10;
    memcpy(w, &huge, 4);
    memcpy(w + 4, "0123", 4);
    CHECK(raw_write(sv[0], w, 8, files, 2) == 0);
    nfds = NF;
    EXPECT_ERR(uds_reader_read(r, sv[1], &p, &len, fds, &nfds), EAGAIN, "uds_reader_read");
    CHECK(count_fds() == before + 4);
    close(sv[0]);
    EXPECT_ERR(uds_reader_read(r, sv[1], &p, &len, fds, &nfds), ECONNRESET, "uds_reader_read");
    CHECK(count_fds() == before + 1);
    close(sv[1]);

    /* More fds than the limit (2): EXFULL once the frame is complete,
       all closed, the next frame fine. More than the caller's array
       holds: EXFULL too. */
    CHECK(nb_pair(sv) == 0);
    huge = 3;
    memcpy(w, &huge, 4);
    memcpy(w + 4, "abc", 3);
    CHECK(raw_write(sv[0], w, 5, files, 3) == 0);
    nfds = NF;
    EXPECT_ERR(uds_reader_read(r, sv[1], &p, &len, fds, &nfds), EAGAIN, "uds_reader_read");
    CHECK(count_fds() == before + 2);
    CHECK(raw_write(sv[0], w + 5, 2, NULL, 0) == 0);
    CHECK(raw_write(sv[0], w, 7, files, 2) == 0);
    nfds = NF;
    EXPECT_ERR(uds_reader_read(r, sv[1], &p, &len, fds, &nfds), EXFULL, "uds_reader_read");
    CHECK(nfds == 0);
    nfds = 1;
    EXPECT_ERR(uds_reader_read(r, sv[1], &p, &len, fds, &nfds), EXFULL, "uds_reader_read");
    CHECK(raw_write(sv[0], w, 7, files, 2) == 0);
    nfds = NF;
    CHECK(uds_reader_read(r, sv[1], &p, &len, fds, &nfds) == 1 && len == 3 && memcmp(p, "abc", 3) == 0);
    CHECK(nfds == 2 && ino_of(fds[0]) == inodes[0] && ino_of(fds[1]) == inodes[1]);
    close_all(fds, 2);
    close(sv[0]);
    close(sv[1]);
    uds_reader_free(r);
    CHECK(count_fds() == before);
}

/* The writer: a 1 MB frame with 3 fds through a socket that takes it in
   parts, read by a reader in the same loop; then a frame that
   uds_recv_frame reads. */
static void test_writer(void) {
    size_t big = 1000000, i, len, nfds;
    unsigned char *buf = malloc(big);
    const void *p;
    int sv[2], fds[NF], before = count_fds(), partial = 0, rc;
    uds_writer w = {0, 0};
    uds_reader *r = uds_reader_new(big, NF);
    char small[16];

    CHECK(buf != NULL && r != NULL && nb_pair(sv) == 0);
    for (i = 0; i < big; i++)
        buf[i] = (unsigned char)(i * 31 % 251);
    for (;;) {
        rc = uds_writer_send(&w, sv[0], buf, big, files, 3);
        if (rc == 0 || errno != EAGAIN)
            break;
        partial++;
        CHECK(w.total == big + 4 && w.sent < w.total);
        EXPECT_ERR(uds_writer_send(&w, sv[0], "x", 1, NULL, 0), EINVAL, "uds_writer_send");
        nfds = NF;
        rc = uds_reader_read(r, sv[1], &p, &len, fds, &nfds);
        CHECK(rc == -1 && errno == EAGAIN);
    }
    CHECK(rc == 0 && partial > 0 && w.sent == 0 && w.total == 0);
    nfds = NF;
    CHECK(uds_reader_read(r, sv[1], &p, &len, fds, &nfds) == 1 && len == big && memcmp(p, buf, big) == 0);
    CHECK(nfds == 3 && ino_of(fds[0]) == inodes[0] && ino_of(fds[2]) == inodes[2]);
    close_all(fds, (int)nfds);
    /* The bytes are uds_send_frame's: uds_recv_frame reads them. */
    CHECK(uds_writer_send(&w, sv[0], "plain", 5, NULL, 0) == 0);
    CHECK(uds_recv_frame(sv[1], small, sizeof small, &len) == 1 && len == 5 && memcmp(small, "plain", 5) == 0);
    /* Bad arguments. */
    EXPECT_ERR(uds_writer_send(NULL, sv[0], "x", 1, NULL, 0), EINVAL, "uds_writer_send");
    EXPECT_ERR(uds_writer_send(&w, sv[0], "x", 1, NULL, 1), EINVAL, "uds_writer_send");
    EXPECT_ERR(uds_writer_send(&w, sv[0], "x", 1, files, 254), EINVAL, "uds_writer_send");
    EXPECT_ERR(uds_writer_send(&w, -1, "x", 1, NULL, 0), EBADF, "uds_writer_send");
    w.sent = 9;
    w.total = 5;
    EXPECT_ERR(uds_writer_send(&w, sv[0], "x", 1, NULL, 0), EINVAL, "uds_writer_send");
    close(sv[0]);
    close(sv[1]);
    uds_reader_free(r);
    free(buf);
    CHECK(count_fds() == before);
}

static void test_arguments(void) {
    const void *p;
    size_t len, nfds = 0;
    int sv[2];
    uds_reader *r;
    errno = 0;
    CHECK(uds_reader_new((size_t)UINT32_MAX + 1, 0) == NULL && errno == EINVAL);
    CHECK(strncmp(uds_last_error(), "uds_reader_new: ", 16) == 0);
    CHECK(uds_reader_new(0, 65537) == NULL && errno == EINVAL);
    r = uds_reader_new(16, 1);
    CHECK(r != NULL && uds_socketpair(SOCK_SEQPACKET | SOCK_NONBLOCK, sv) == 0);
    EXPECT_ERR(uds_reader_read(NULL, sv[1], &p, &len, NULL, &nfds), EINVAL, "uds_reader_read");
    EXPECT_ERR(uds_reader_read(r, sv[1], NULL, &len, NULL, &nfds), EINVAL, "uds_reader_read");
    EXPECT_ERR(uds_reader_read(r, sv[1], &p, &len, NULL, NULL), EINVAL, "uds_reader_read");
    nfds = 1;
    EXPECT_ERR(uds_reader_read(r, sv[1], &p, &len, NULL, &nfds), EINVAL, "uds_reader_read");
    EXPECT_ERR(uds_reader_read(r, -1, &p, &len, NULL, &nfds), EBADF, "uds_reader_read");
    CHECK(uds_send_frame(sv[0], "hello", 5) == 0);
    EXPECT_ERR(uds_reader_read(r, sv[1], &p, &len, NULL, &nfds), EPROTOTYPE, "uds_reader_read");
    uds_reader_free(r);
    uds_reader_free(NULL);
    close(sv[0]);
    close(sv[1]);
}

int main(void) {
    char dir[64], path[128];
    int i;
    if (make_tmpdir(dir, sizeof dir, "reader") != 0) {
        perror("mkdtemp");
        return 1;
    }
    for (i = 0; i < NF; i++) {
        snprintf(path, sizeof path, "%s/f%d", dir, i);
        files[i] = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
        inodes[i] = ino_of(files[i]);
    }
    test_splits();
    test_coalesced_and_pieces();
    test_one_byte_per_write_from_a_child();
    test_hostile();
    test_writer();
    test_arguments();
    for (i = 0; i < NF; i++)
        close(files[i]);
    rm_tree(dir);
    DONE();
}
