/*
 * w_data.c - the workloads that need only the first half of the API:
 *   1. send+recv 1 byte, SOCK_STREAM           (uds_send/uds_recv)
 *   2. send+recv 64 bytes, SOCK_SEQPACKET      (uds_send/uds_recv)
 *   3. 64 KiB writes on a stream               (uds_send_all/uds_recv_exact)
 *   4. frames of 64 B and 64 KiB               (uds_send_frame/uds_recv_frame)
 *   8. connect + accept + close, pathname      (uds_dial/uds_accept)
 * The raw variants are what a careful C programmer writes: MSG_NOSIGNAL,
 * EINTR retried, short transfers continued, close-on-exec everywhere.
 */
#include "harness.h"

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#define BIG 65536
#define FRAME_CAP (BIG + 64)

/* ---- buffers -------------------------------------------------------- */

static int bufs(bstate *s, size_t len, size_t cap)
{
    s->len = len;
    s->sbuf = calloc(1, cap);
    s->rbuf = calloc(1, cap);
    if (s->sbuf == NULL || s->rbuf == NULL)
        return bench_fail(s, "calloc");
    for (size_t i = 0; i < cap; i++)
        s->sbuf[i] = (unsigned char)(i * 7);
    return 0;
}

static int setup_1(bstate *s) { return bufs(s, 1, 1); }
static int setup_64(bstate *s) { return bufs(s, 64, 64); }
static int setup_big(bstate *s) { return bufs(s, BIG, BIG); }
static int setup_frame64(bstate *s) { return bufs(s, 64, FRAME_CAP); }
static int setup_frame_big(bstate *s) { return bufs(s, BIG, FRAME_CAP); }

static void free_bufs(bstate *s)
{
    free(s->sbuf);
    free(s->rbuf);
    s->sbuf = s->rbuf = NULL;
}

/* ---- 1, 2: one send, one receive ------------------------------------ */

static int raw_send(bstate *s, int fd)
{
    ssize_t r;
    stamp(s->sbuf, s->len, ++s->sseq);
    do
        r = send(fd, s->sbuf, s->len, MSG_NOSIGNAL);
    while (r < 0 && errno == EINTR);
    if (r != (ssize_t)s->len)
        return bench_fail(s, "send: %zd of %zu", r, s->len);
    return 0;
}

static int raw_recv(bstate *s, int fd)
{
    ssize_t r;
    do
        r = recv(fd, s->rbuf, s->len, 0);
    while (r < 0 && errno == EINTR);
    if (r != (ssize_t)s->len || !stamp_ok(s->rbuf, s->len, ++s->rseq))
        return bench_fail(s, "recv: %zd of %zu, or wrong bytes", r, s->len);
    return 0;
}

static int lib_send(bstate *s, int fd)
{
    ssize_t r;
    stamp(s->sbuf, s->len, ++s->sseq);
    r = uds_send(fd, s->sbuf, s->len, 0);
    if (r != (ssize_t)s->len)
        return bench_fail(s, "uds_send: %zd of %zu", r, s->len);
    return 0;
}

static int lib_recv(bstate *s, int fd)
{
    ssize_t r = uds_recv(fd, s->rbuf, s->len, 0);
    if (r != (ssize_t)s->len || !stamp_ok(s->rbuf, s->len, ++s->rseq))
        return bench_fail(s, "uds_recv: %zd of %zu, or wrong bytes", r, s->len);
    return 0;
}

/* ---- 3: everything, however many calls it takes --------------------- */

static int send_full(bstate *s, int fd, const void *buf, size_t len)
{
    size_t off = 0;
    while (off < len) {
        ssize_t r = send(fd, (const char *)buf + off, len - off, MSG_NOSIGNAL);
        if (r < 0) {
            if (errno == EINTR)
                continue;
            return bench_fail(s, "send after %zu of %zu", off, len);
        }
        off += (size_t)r;
    }
    return 0;
}

static int recv_full(bstate *s, int fd, void *buf, size_t len)
{
    size_t off = 0;
    while (off < len) {
        ssize_t r = recv(fd, (char *)buf + off, len - off, 0);
        if (r < 0) {
            if (errno == EINTR)
                continue;
            return bench_fail(s, "recv after %zu of %zu", off, len);
        }
        if (r == 0)
            return bench_fail(s, "end of stream after %zu of %zu", off, len);
        off += (size_t)r;
    }
    return 0;
}

static int raw_send_all(bstate *s, int fd)
{
    stamp(s->sbuf, s->len, ++s->sseq);
    return send_full(s, fd, s->sbuf, s->len);
}

static int raw_recv_exact(bstate *s, int fd)
{
    if (recv_full(s, fd, s->rbuf, s->len) != 0)
        return -1;
    if (!stamp_ok(s->rbuf, s->len, ++s->rseq))
        return bench_fail(s, "wrong bytes");
    return 0;
}

static int lib_send_all(bstate *s, int fd)
{
    stamp(s->sbuf, s->len, ++s->sseq);
    if (uds_send_all(fd, s->sbuf, s->len) != 0)
        return bench_fail(s, "uds_send_all");
    return 0;
}

static int lib_recv_exact(bstate *s, int fd)
{
    ssize_t r = uds_recv_exact(fd, s->rbuf, s->len);
    if (r != (ssize_t)s->len || !stamp_ok(s->rbuf, s->len, ++s->rseq))
        return bench_fail(s, "uds_recv_exact: %zd of %zu, or wrong bytes", r, s->len);
    return 0;
}

/* ---- 4: frames: a 4-byte native-endian length, then the bytes -------- */

static int raw_send_frame(bstate *s, int fd)
{
    uint32_t hdr = (uint32_t)s->len;
    struct iovec iov[2];
    struct msghdr m;
    size_t left = sizeof hdr + s->len;

    stamp(s->sbuf, s->len, ++s->sseq);
    iov[0].iov_base = &hdr;
    iov[0].iov_len = sizeof hdr;
    iov[1].iov_base = s->sbuf;
    iov[1].iov_len = s->len;
    memset(&m, 0, sizeof m);
    m.msg_iov = iov;
    m.msg_iovlen = 2;
    while (left > 0) {
        ssize_t r = sendmsg(fd, &m, MSG_NOSIGNAL);
        if (r < 0) {
            if (errno == EINTR)
                continue;
            return bench_fail(s, "sendmsg frame, %zu bytes left", left);
        }
        left -= (size_t)r;
        /* A short write: skip what went out. */
        bench_skip_sent(&m, (size_t)r);
    }
    return 0;
}

static int raw_recv_frame(bstate *s, int fd)
{
    uint32_t hdr;
    if (recv_full(s, fd, &hdr, sizeof hdr) != 0)
        return -1;
    if (hdr > FRAME_CAP)
        return bench_fail(s, "frame of %u bytes is too large", (unsigned)hdr);
    if (recv_full(s, fd, s->rbuf, hdr) != 0)
        return -1;
    if (hdr != s->len || !stamp_ok(s->rbuf, hdr, ++s->rseq))
        return bench_fail(s, "frame of %u bytes, or wrong bytes", (unsigned)hdr);
    return 0;
}

static int lib_send_frame(bstate *s, int fd)
{
    stamp(s->sbuf, s->len, ++s->sseq);
    if (uds_send_frame(fd, s->sbuf, s->len) != 0)
        return bench_fail(s, "uds_send_frame");
    return 0;
}

static int lib_recv_frame(bstate *s, int fd)
{
    size_t n = 0;
    int r = uds_recv_frame(fd, s->rbuf, FRAME_CAP, &n);
    if (r != 1 || n != s->len || !stamp_ok(s->rbuf, n, ++s->rseq))
        return bench_fail(s, "uds_recv_frame: %d, %zu bytes, or wrong bytes", r, n);
    return 0;
}

/* ---- 8: connect + accept + close on a pathname ---------------------- */

static int setup_listener(bstate *s)
{
    const char *tmp = getenv("TMPDIR");
    char dir[80];
    int n = snprintf(dir, sizeof dir, "%s/udsbench.XXXXXX", tmp != NULL && tmp[0] != '\0' ? tmp : "/tmp");
    if (n < 0 || (size_t)n >= sizeof dir || mkdtemp(dir) == NULL)
        return bench_fail(s, "mkdtemp in %s", tmp != NULL ? tmp : "/tmp");
    snprintf(s->path, sizeof s->path, "%s/s", dir);
    if (s->variant == RAW) {
        struct sockaddr_un a;
        memset(&a, 0, sizeof a);
        a.sun_family = AF_UNIX;
        memcpy(a.sun_path, s->path, strlen(s->path) + 1);
        s->listener = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (s->listener < 0 || bind(s->listener, (struct sockaddr *)&a, sizeof a) != 0 ||
            listen(s->listener, 128) != 0)
            return bench_fail(s, "listener on %s", s->path);
    } else {
        s->listener = uds_listener(s->path, SOCK_STREAM, 128, -1, 0);
        if (s->listener < 0)
            return bench_fail(s, "uds_listener on %s", s->path);
    }
    return 0;
}

static void close_listener(bstate *s)
{
    char dir[108];
    if (s->conn >= 0)
        close(s->conn);
    if (s->acc >= 0)
        close(s->acc);
    s->conn = s->acc = -1;
    if (s->listener >= 0) {
        if (s->variant == LIB)
            uds_close(s->listener);
        else
            close(s->listener);
        s->listener = -1;
    }
    if (s->path[0] != '\0') {
        unlink(s->path);
        snprintf(dir, sizeof dir, "%s", s->path);
        if (strrchr(dir, '/') != NULL)
            *strrchr(dir, '/') = '\0';
        rmdir(dir);
    }
}

static int raw_connect(bstate *s, int fd)
{
    struct sockaddr_un a;
    size_t n = strlen(s->path);
    (void)fd;
    if (n >= sizeof a.sun_path)
        return bench_fail(s, "path too long");
    memset(&a, 0, sizeof a);
    a.sun_family = AF_UNIX;
    memcpy(a.sun_path, s->path, n + 1);
    s->conn = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (s->conn < 0)
        return bench_fail(s, "socket");
    while (connect(s->conn, (struct sockaddr *)&a, (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n + 1)) != 0) {
        if (errno != EINTR)
            return bench_fail(s, "connect %s", s->path);
    }
    return 0;
}

static int raw_accept(bstate *s, int fd)
{
    (void)fd;
    do
        s->acc = accept4(s->listener, NULL, NULL, SOCK_CLOEXEC);
    while (s->acc < 0 && errno == EINTR);
    if (s->acc < 0)
        return bench_fail(s, "accept4");
    return 0;
}

static int lib_dial(bstate *s, int fd)
{
    (void)fd;
    s->conn = uds_dial(s->path, SOCK_STREAM);
    if (s->conn < 0)
        return bench_fail(s, "uds_dial %s", s->path);
    return 0;
}

static int lib_accept(bstate *s, int fd)
{
    (void)fd;
    s->acc = uds_accept(s->listener, 0);
    if (s->acc < 0)
        return bench_fail(s, "uds_accept");
    return 0;
}

static int close_both(bstate *s, int fd)
{
    (void)fd;
    close(s->acc);
    close(s->conn);
    s->acc = s->conn = -1;
    return 0;
}

/* ---- the table ------------------------------------------------------ */

#define OPS(snd, rcv, aft, sname, rname) {snd, rcv, aft, NULL, NULL, sname, rname}

const row bench_rows[] = {
    {"stream-1", "1", "send+recv 1 B SOCK_STREAM", SOCK_STREAM, 1, K_SINGLE | K_PINGPONG, 0,
     setup_1, free_bufs,
     {OPS(raw_send, raw_recv, NULL, "send", "recv"),
      OPS(lib_send, lib_recv, NULL, "uds_send", "uds_recv")}},
    {"seqpacket-64", "2", "send+recv 64 B SOCK_SEQPACKET", SOCK_SEQPACKET, 1, K_SINGLE | K_PINGPONG, 0,
     setup_64, free_bufs,
     {OPS(raw_send, raw_recv, NULL, "send", "recv"),
      OPS(lib_send, lib_recv, NULL, "uds_send", "uds_recv")}},
    {"stream-64k", "3", "64 KiB write+read SOCK_STREAM", SOCK_STREAM, 1, K_SINGLE | K_ONEWAY, 0,
     setup_big, free_bufs,
     {OPS(raw_send_all, raw_recv_exact, NULL, "send loop", "recv loop"),
      OPS(lib_send_all, lib_recv_exact, NULL, "uds_send_all", "uds_recv_exact")}},
    {"frame-64", "4", "frame 64 B", SOCK_STREAM, 1, K_SINGLE | K_PINGPONG, 0,
     setup_frame64, free_bufs,
     {OPS(raw_send_frame, raw_recv_frame, NULL, "sendmsg 2 iovecs", "recv 4 + recv n"),
      OPS(lib_send_frame, lib_recv_frame, NULL, "uds_send_frame", "uds_recv_frame")}},
    {"frame-64k", "4", "frame 64 KiB", SOCK_STREAM, 1, K_SINGLE | K_ONEWAY, 0,
     setup_frame_big, free_bufs,
     {OPS(raw_send_frame, raw_recv_frame, NULL, "sendmsg 2 iovecs", "recv 4 + recv n"),
      OPS(lib_send_frame, lib_recv_frame, NULL, "uds_send_frame", "uds_recv_frame")}},
    {"dial-accept", "8", "connect+accept+close pathname", 0, 1, K_SINGLE, 1,
     setup_listener, close_listener,
     {OPS(raw_connect, raw_accept, close_both, "socket+connect", "accept4"),
      OPS(lib_dial, lib_accept, close_both, "uds_dial", "uds_accept")}},
};

const int bench_nrows = sizeof bench_rows / sizeof bench_rows[0];
