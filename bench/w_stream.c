/*
 * w_stream.c - the resumable frame reader and writer on non-blocking
 * sockets (uds_reader_read / uds_writer_send) against the hand-written
 * non-blocking loop a careful programmer writes for the same wire format
 * and the same guarantee (never read past the frame's last byte, so fds
 * stay with their frame):
 *   send: sendmsg(MSG_DONTWAIT) of the 4-byte length and the 64-byte body
 *         (2 iovecs) with 1 fd (SCM_RIGHTS), continued after a short send;
 *   recv: recvmsg(MSG_DONTWAIT | MSG_CMSG_CLOEXEC) of the prefix, then of
 *         exactly the body, each with room for the fd, MSG_CTRUNC checked,
 *         the partial frame kept between calls.
 * Both wait with poll(2) when the socket says EAGAIN (only in two-process
 * runs). Built only when udsock.h declares uds_reader_read.
 */
#include "harness.h"

#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <sys/uio.h>
#include <unistd.h>

#define LEN 64

static void wait_for(int fd, short events)
{
    struct pollfd p;
    p.fd = fd;
    p.events = events;
    p.revents = 0;
    poll(&p, 1, -1);
}

static int setup(bstate *s)
{
    int fd = open("/dev/null", O_RDWR | O_CLOEXEC);
    if (fd < 0)
        return bench_fail(s, "open /dev/null");
    s->nfds = 1;
    s->fds[0] = fd;
    s->len = LEN;
    s->sbuf = calloc(1, LEN);
    s->rbuf = calloc(1, LEN);
    if (s->sbuf == NULL || s->rbuf == NULL)
        return bench_fail(s, "calloc");
    if (s->variant == LIB && (s->ext = uds_reader_new(LEN, 1)) == NULL)
        return bench_fail(s, "uds_reader_new");
    return 0;
}

static void teardown(bstate *s)
{
    close(s->fds[0]);
    free(s->sbuf);
    free(s->rbuf);
    s->sbuf = s->rbuf = NULL;
    if (s->variant == LIB)
        uds_reader_free(s->ext);
    s->ext = NULL;
}

/* ---- raw: the hand-written non-blocking loop ------------------------ */

static int raw_send(bstate *s, int fd)
{
    union {
        char buf[CMSG_SPACE(sizeof(int))];
        struct cmsghdr align;
    } u;
    uint32_t hdr = LEN;
    struct iovec iov[2];
    struct msghdr m;
    size_t left = sizeof hdr + LEN;

    stamp(s->sbuf, LEN, ++s->sseq);
    iov[0].iov_base = &hdr;
    iov[0].iov_len = sizeof hdr;
    iov[1].iov_base = s->sbuf;
    iov[1].iov_len = LEN;
    memset(&m, 0, sizeof m);
    m.msg_iov = iov;
    m.msg_iovlen = 2;
    bench_one_cmsg(&m, u.buf, SCM_RIGHTS, s->fds, sizeof(int));
    while (left > 0) {
        ssize_t r = sendmsg(fd, &m, MSG_NOSIGNAL | MSG_DONTWAIT);
        if (r < 0) {
            if (errno == EINTR)
                continue;
            if (errno == EAGAIN) {
                wait_for(fd, POLLOUT);
                continue;
            }
            return bench_fail(s, "sendmsg frame, %zu bytes left", left);
        }
        left -= (size_t)r;
        m.msg_control = NULL; /* the fd went with the first byte */
        m.msg_controllen = 0;
        bench_skip_sent(&m, (size_t)r);
    }
    return 0;
}

/* The partial frame between calls: prefix, bytes so far, fds so far. */
static struct {
    uint32_t hdr;
    size_t got;
} raw_rs;

static int raw_recv(bstate *s, int fd)
{
    union {
        char buf[CMSG_SPACE(sizeof(int))];
        struct cmsghdr align;
    } u;
    for (;;) {
        struct msghdr m;
        struct iovec iov;
        struct cmsghdr *c;
        ssize_t r;
        if (raw_rs.got < 4) {
            iov.iov_base = (char *)&raw_rs.hdr + raw_rs.got;
            iov.iov_len = 4 - raw_rs.got;
        } else {
            iov.iov_base = s->rbuf + (raw_rs.got - 4);
            iov.iov_len = raw_rs.hdr - (raw_rs.got - 4);
        }
        memset(&m, 0, sizeof m);
        m.msg_iov = &iov;
        m.msg_iovlen = 1;
        m.msg_control = u.buf;
        m.msg_controllen = sizeof u.buf;
        r = recvmsg(fd, &m, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
        if (r < 0) {
            if (errno == EINTR)
                continue;
            if (errno == EAGAIN) {
                wait_for(fd, POLLIN);
                continue;
            }
            return bench_fail(s, "recvmsg");
        }
        if (r == 0)
            return bench_fail(s, "end of stream");
        for (c = CMSG_FIRSTHDR(&m); c != NULL; c = CMSG_NXTHDR(&m, c)) {
            if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS) {
                size_t n = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
                if (s->ngot + n > BENCH_MAX_FDS)
                    return bench_fail(s, "too many fds");
                memcpy(s->got + s->ngot, CMSG_DATA(c), n * sizeof(int));
                s->ngot += n;
            }
        }
        if (m.msg_flags & MSG_CTRUNC)
            return bench_fail(s, "MSG_CTRUNC");
        raw_rs.got += (size_t)r;
        if (raw_rs.got == 4 && raw_rs.hdr > LEN)
            return bench_fail(s, "frame of %u bytes is too large", (unsigned)raw_rs.hdr);
        if (raw_rs.got >= 4 && raw_rs.got == 4 + raw_rs.hdr)
            break;
    }
    raw_rs.got = 0;
    if (raw_rs.hdr != LEN || s->ngot != 1 || !stamp_ok(s->rbuf, LEN, ++s->rseq))
        return bench_fail(s, "frame of %u bytes, %zu fds, or wrong bytes", (unsigned)raw_rs.hdr, s->ngot);
    return 0;
}

/* ---- libudsock: uds_writer_send / uds_reader_read -------------------- */

static int lib_send(bstate *s, int fd)
{
    uds_writer w = {0, 0};
    stamp(s->sbuf, LEN, ++s->sseq);
    while (uds_writer_send(&w, fd, s->sbuf, LEN, s->fds, 1) != 0) {
        if (errno != EAGAIN)
            return bench_fail(s, "uds_writer_send");
        wait_for(fd, POLLOUT);
    }
    return 0;
}

static int lib_recv(bstate *s, int fd)
{
    const void *p;
    size_t len, nfds;
    int rc;
    for (;;) {
        nfds = BENCH_MAX_FDS;
        rc = uds_reader_read(s->ext, fd, &p, &len, s->got, &nfds);
        if (rc == 1)
            break;
        if (rc < 0 && errno == EAGAIN) {
            wait_for(fd, POLLIN);
            continue;
        }
        if (rc < 0 && errno == EINPROGRESS)
            continue;
        return bench_fail(s, "uds_reader_read: %d", rc);
    }
    s->ngot = nfds;
    if (len != LEN || nfds != 1 || !stamp_ok(p, len, ++s->rseq))
        return bench_fail(s, "frame of %zu bytes, %zu fds, or wrong bytes", len, nfds);
    return 0;
}

/* Ping-pong replies: one plain byte each way, the same in both variants
 * (the child's received fds are closed by bench_close_got; the parent receives
 * none). */
static int reply_send(bstate *s, int fd)
{
    char c = 'r';
    ssize_t r;
    while ((r = send(fd, &c, 1, MSG_NOSIGNAL | MSG_DONTWAIT)) < 0 && (errno == EINTR || errno == EAGAIN))
        if (errno == EAGAIN)
            wait_for(fd, POLLOUT);
    return r == 1 ? 0 : bench_fail(s, "reply send");
}

static int reply_recv(bstate *s, int fd)
{
    char c;
    ssize_t r;
    while ((r = recv(fd, &c, 1, MSG_DONTWAIT)) < 0 && (errno == EINTR || errno == EAGAIN))
        if (errno == EAGAIN)
            wait_for(fd, POLLIN);
    return r == 1 && c == 'r' ? 0 : bench_fail(s, "reply recv: %zd", r);
}

#define OPS(snd, rcv, aft, sname, rname) {snd, rcv, aft, reply_send, reply_recv, sname, rname}

const row bench_rows[] = {
    {"reader-fds-1", "2b", "frame 64 B + 1 fd non-blocking resumable", SOCK_STREAM | SOCK_NONBLOCK, 1,
     K_SINGLE | K_PINGPONG, 0, setup, teardown,
     {OPS(raw_send, raw_recv, bench_close_got, "sendmsg DONTWAIT loop", "recvmsg prefix+body loop"),
      OPS(lib_send, lib_recv, bench_close_got, "uds_writer_send", "uds_reader_read")}},
};

const int bench_nrows = sizeof bench_rows / sizeof bench_rows[0];
