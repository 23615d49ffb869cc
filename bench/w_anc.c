/*
 * w_anc.c - the workloads that need the second half of the API:
 *   5. fd passing, 1, 16 and 253 fds a message  (uds_send_fds/uds_recv_fds)
 *   6. credentials with every message           (uds_send_creds/uds_recv_creds)
 *   7. 32-byte datagrams: one send() per message, and batches of 64
 *      (uds_send_batch/uds_recv_batch vs sendmmsg/recvmmsg)
 * The raw variants are hand-written sendmsg/recvmsg with the CMSG macros,
 * as careful C code does it: MSG_NOSIGNAL, MSG_CMSG_CLOEXEC, MSG_CTRUNC
 * checked, EINTR retried.
 */
#include "harness.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

/* ---- shared --------------------------------------------------------- */

static int bufs(bstate *s, size_t len)
{
    s->len = len;
    s->sbuf = calloc(1, len);
    s->rbuf = calloc(1, len);
    if (s->sbuf == NULL || s->rbuf == NULL)
        return bench_fail(s, "calloc");
    return 0;
}

static void free_bufs(bstate *s)
{
    free(s->sbuf);
    free(s->rbuf);
    free(s->ext);
    s->sbuf = s->rbuf = NULL;
    s->ext = NULL;
}

/* A one-buffer message header with room for control data. */
static void msg_init(struct msghdr *m, struct iovec *iov, void *buf, size_t len, void *ctl, size_t ctllen)
{
    iov->iov_base = buf;
    iov->iov_len = len;
    memset(m, 0, sizeof *m);
    m->msg_iov = iov;
    m->msg_iovlen = 1;
    m->msg_control = ctl;
    m->msg_controllen = ctllen;
}

/* The ping-pong reply after a message with fds or credentials: 1 byte. */
static int raw_reply_send(bstate *s, int fd)
{
    ssize_t r;
    char c = 'r';
    do
        r = send(fd, &c, 1, MSG_NOSIGNAL);
    while (r < 0 && errno == EINTR);
    return r == 1 ? 0 : bench_fail(s, "send reply");
}

static int raw_reply_recv(bstate *s, int fd)
{
    ssize_t r;
    char c;
    do
        r = recv(fd, &c, 1, 0);
    while (r < 0 && errno == EINTR);
    return r == 1 && c == 'r' ? 0 : bench_fail(s, "recv reply: %zd", r);
}

static int lib_reply_send(bstate *s, int fd)
{
    char c = 'r';
    return uds_send(fd, &c, 1, 0) == 1 ? 0 : bench_fail(s, "uds_send reply");
}

static int lib_reply_recv(bstate *s, int fd)
{
    char c;
    ssize_t r = uds_recv(fd, &c, 1, 0);
    return r == 1 && c == 'r' ? 0 : bench_fail(s, "uds_recv reply: %zd", r);
}

/* ---- 5: fd passing -------------------------------------------------- */

static int setup_fds(bstate *s, int n)
{
    int fd = open("/dev/null", O_RDWR | O_CLOEXEC);
    if (fd < 0)
        return bench_fail(s, "open /dev/null");
    s->nfds = n;
    for (int i = 0; i < n; i++)
        s->fds[i] = fd;     /* the same file, n times: n references in flight */
    return bufs(s, 1);
}

static int setup_fds1(bstate *s) { return setup_fds(s, 1); }
static int setup_fds16(bstate *s) { return setup_fds(s, 16); }
static int setup_fds253(bstate *s) { return setup_fds(s, BENCH_MAX_FDS); }

static void teardown_fds(bstate *s)
{
    if (s->nfds > 0)
        close(s->fds[0]);
    free_bufs(s);
}

/* sendmsg of the 1-byte message with one SOL_SOCKET control message. */
static int send_with_cmsg(bstate *s, int fd, int type, const void *data, size_t bytes)
{
    union {
        char buf[CMSG_SPACE(sizeof(int) * BENCH_MAX_FDS)];
        struct cmsghdr align;
    } u;
    struct msghdr m;
    struct iovec iov;
    ssize_t r;

    stamp(s->sbuf, 1, ++s->sseq);
    msg_init(&m, &iov, s->sbuf, 1, NULL, 0);
    bench_one_cmsg(&m, u.buf, type, data, bytes);
    do
        r = sendmsg(fd, &m, MSG_NOSIGNAL);
    while (r < 0 && errno == EINTR);
    if (r != 1)
        return bench_fail(s, "sendmsg with control type %d, %zu bytes: %zd", type, bytes, r);
    return 0;
}

static int raw_send_fds(bstate *s, int fd)
{
    return send_with_cmsg(s, fd, SCM_RIGHTS, s->fds, sizeof(int) * (size_t)s->nfds);
}

static int raw_recv_fds(bstate *s, int fd)
{
    union {
        char buf[CMSG_SPACE(sizeof(int) * BENCH_MAX_FDS)];
        struct cmsghdr align;
    } u;
    struct msghdr m;
    struct iovec iov;
    struct cmsghdr *c;
    ssize_t r;

    msg_init(&m, &iov, s->rbuf, 1, u.buf, CMSG_SPACE(sizeof(int) * (size_t)s->nfds));
    do
        r = recvmsg(fd, &m, MSG_CMSG_CLOEXEC);
    while (r < 0 && errno == EINTR);
    s->ngot = 0;
    for (c = CMSG_FIRSTHDR(&m); c != NULL; c = CMSG_NXTHDR(&m, c)) {
        if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS) {
            size_t n = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
            if (s->ngot + n > BENCH_MAX_FDS)
                n = BENCH_MAX_FDS - s->ngot;
            memcpy(s->got + s->ngot, CMSG_DATA(c), n * sizeof(int));
            s->ngot += n;
        }
    }
    if (r != 1 || (m.msg_flags & MSG_CTRUNC) || s->ngot != (size_t)s->nfds ||
        !stamp_ok(s->rbuf, 1, ++s->rseq))
        return bench_fail(s, "recvmsg: %zd, %zu fds of %d, flags %#x", r, s->ngot, s->nfds, m.msg_flags);
    return 0;
}

static int lib_send_fds(bstate *s, int fd)
{
    ssize_t r;
    stamp(s->sbuf, 1, ++s->sseq);
    r = uds_send_fds(fd, s->sbuf, 1, s->fds, (size_t)s->nfds);
    if (r != 1)
        return bench_fail(s, "uds_send_fds %d fds: %zd", s->nfds, r);
    return 0;
}

static int lib_recv_fds(bstate *s, int fd)
{
    size_t n = (size_t)s->nfds;
    ssize_t r = uds_recv_fds(fd, s->rbuf, 1, s->got, &n);
    s->ngot = r < 0 ? 0 : n;
    if (r != 1 || n != (size_t)s->nfds || !stamp_ok(s->rbuf, 1, ++s->rseq))
        return bench_fail(s, "uds_recv_fds: %zd, %zu fds of %d", r, n, s->nfds);
    return 0;
}

/* ---- 6: credentials ------------------------------------------------- */

typedef struct creds {
    struct ucred me;      /* the sender's, looked up once */
} creds;

static int setup_creds(bstate *s)
{
    creds *c;
    int on = 1;
    if (bufs(s, 1) != 0)
        return -1;
    c = calloc(1, sizeof *c);
    if (c == NULL)
        return bench_fail(s, "calloc");
    s->ext = c;
    c->me.pid = getpid();   /* before any fork: the sender is this process */
    c->me.uid = getuid();
    c->me.gid = getgid();
    if (s->variant == RAW ? setsockopt(s->fd[1], SOL_SOCKET, SO_PASSCRED, &on, sizeof on)
                          : uds_set_passcred(s->fd[1], 1))
        return bench_fail(s, "SO_PASSCRED");
    return 0;
}

static int raw_send_creds(bstate *s, int fd)
{
    const creds *cr = s->ext;
    return send_with_cmsg(s, fd, SCM_CREDENTIALS, &cr->me, sizeof cr->me);
}

static int raw_recv_creds(bstate *s, int fd)
{
    const creds *cr = s->ext;
    union {
        char buf[CMSG_SPACE(sizeof(struct ucred))];
        struct cmsghdr align;
    } u;
    struct msghdr m;
    struct iovec iov;
    struct cmsghdr *c;
    struct ucred got = {0, (uid_t)-1, (gid_t)-1};
    ssize_t r;

    msg_init(&m, &iov, s->rbuf, 1, u.buf, sizeof u.buf);
    do
        r = recvmsg(fd, &m, 0);
    while (r < 0 && errno == EINTR);
    for (c = CMSG_FIRSTHDR(&m); c != NULL; c = CMSG_NXTHDR(&m, c))
        if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_CREDENTIALS &&
            c->cmsg_len >= CMSG_LEN(sizeof got))
            memcpy(&got, CMSG_DATA(c), sizeof got);
    if (r != 1 || got.pid != cr->me.pid || got.uid != cr->me.uid || !stamp_ok(s->rbuf, 1, ++s->rseq))
        return bench_fail(s, "recvmsg creds: %zd, pid %d", r, (int)got.pid);
    return 0;
}

static int lib_send_creds(bstate *s, int fd)
{
    ssize_t r;
    stamp(s->sbuf, 1, ++s->sseq);
    r = uds_send_creds(fd, s->sbuf, 1, NULL);
    if (r != 1)
        return bench_fail(s, "uds_send_creds: %zd", r);
    return 0;
}

static int lib_recv_creds(bstate *s, int fd)
{
    const creds *cr = s->ext;
    uds_cred got = {0, 0, 0};
    ssize_t r = uds_recv_creds(fd, s->rbuf, 1, &got);
    if (r != 1 || got.pid != cr->me.pid || got.uid != cr->me.uid || !stamp_ok(s->rbuf, 1, ++s->rseq))
        return bench_fail(s, "uds_recv_creds: %zd, pid %d", r, (int)got.pid);
    return 0;
}

/* ---- 7: datagrams, one call per message or batches of 64 ------------ */

typedef struct dgrams {
    unsigned char sdata[BATCH][DGRAM_LEN], rdata[BATCH][DGRAM_LEN];
    struct mmsghdr mm[BATCH];
    struct iovec iov[BATCH];
    uds_msg msgs[BATCH];
} dgrams;

static int setup_dgrams(bstate *s)
{
    s->ext = calloc(1, sizeof(dgrams));
    if (s->ext == NULL)
        return bench_fail(s, "calloc");
    s->len = DGRAM_LEN;
    return 0;
}

static int raw_send_each(bstate *s, int fd)
{
    dgrams *d = s->ext;
    for (int i = 0; i < BATCH; i++) {
        ssize_t r;
        stamp(d->sdata[i], DGRAM_LEN, ++s->sseq);
        do
            r = send(fd, d->sdata[i], DGRAM_LEN, MSG_NOSIGNAL);
        while (r < 0 && errno == EINTR);
        if (r != DGRAM_LEN)
            return bench_fail(s, "send datagram %d: %zd", i, r);
    }
    return 0;
}

static int raw_recv_each(bstate *s, int fd)
{
    dgrams *d = s->ext;
    for (int i = 0; i < BATCH; i++) {
        ssize_t r;
        do
            r = recv(fd, d->rdata[i], DGRAM_LEN, 0);
        while (r < 0 && errno == EINTR);
        if (r != DGRAM_LEN || !stamp_ok(d->rdata[i], DGRAM_LEN, ++s->rseq))
            return bench_fail(s, "recv datagram %d: %zd, or wrong bytes", i, r);
    }
    return 0;
}

static int lib_send_each(bstate *s, int fd)
{
    dgrams *d = s->ext;
    for (int i = 0; i < BATCH; i++) {
        ssize_t r;
        stamp(d->sdata[i], DGRAM_LEN, ++s->sseq);
        r = uds_send(fd, d->sdata[i], DGRAM_LEN, 0);
        if (r != DGRAM_LEN)
            return bench_fail(s, "uds_send datagram %d: %zd", i, r);
    }
    return 0;
}

static int lib_recv_each(bstate *s, int fd)
{
    dgrams *d = s->ext;
    for (int i = 0; i < BATCH; i++) {
        ssize_t r = uds_recv(fd, d->rdata[i], DGRAM_LEN, 0);
        if (r != DGRAM_LEN || !stamp_ok(d->rdata[i], DGRAM_LEN, ++s->rseq))
            return bench_fail(s, "uds_recv datagram %d: %zd, or wrong bytes", i, r);
    }
    return 0;
}

static int raw_send_batch(bstate *s, int fd)
{
    dgrams *d = s->ext;
    int done = 0;
    for (int i = 0; i < BATCH; i++) {
        stamp(d->sdata[i], DGRAM_LEN, ++s->sseq);
        d->iov[i].iov_base = d->sdata[i];
        d->iov[i].iov_len = DGRAM_LEN;
        memset(&d->mm[i], 0, sizeof d->mm[i]);
        d->mm[i].msg_hdr.msg_iov = &d->iov[i];
        d->mm[i].msg_hdr.msg_iovlen = 1;
    }
    while (done < BATCH) {
        int r = sendmmsg(fd, d->mm + done, BATCH - done, MSG_NOSIGNAL);
        if (r < 0) {
            if (errno == EINTR)
                continue;
            return bench_fail(s, "sendmmsg after %d", done);
        }
        done += r;
    }
    return 0;
}

static int raw_recv_batch(bstate *s, int fd)
{
    dgrams *d = s->ext;
    int done = 0;
    for (int i = 0; i < BATCH; i++) {
        d->iov[i].iov_base = d->rdata[i];
        d->iov[i].iov_len = DGRAM_LEN;
        memset(&d->mm[i], 0, sizeof d->mm[i]);
        d->mm[i].msg_hdr.msg_iov = &d->iov[i];
        d->mm[i].msg_hdr.msg_iovlen = 1;
    }
    while (done < BATCH) {
        int r = recvmmsg(fd, d->mm + done, BATCH - done, 0, NULL);
        if (r < 0) {
            if (errno == EINTR)
                continue;
            return bench_fail(s, "recvmmsg after %d", done);
        }
        done += r;
    }
    for (int i = 0; i < BATCH; i++)
        if (d->mm[i].msg_len != DGRAM_LEN || !stamp_ok(d->rdata[i], DGRAM_LEN, ++s->rseq))
            return bench_fail(s, "recvmmsg datagram %d: %u bytes, or wrong bytes", i, d->mm[i].msg_len);
    return 0;
}

static int lib_send_batch(bstate *s, int fd)
{
    dgrams *d = s->ext;
    int done = 0;
    for (int i = 0; i < BATCH; i++) {
        stamp(d->sdata[i], DGRAM_LEN, ++s->sseq);
        memset(&d->msgs[i], 0, sizeof d->msgs[i]);
        d->msgs[i].data = d->sdata[i];
        d->msgs[i].len = DGRAM_LEN;
    }
    while (done < BATCH) {
        int r = uds_send_batch(fd, d->msgs + done, BATCH - done, 0);
        if (r <= 0)
            return bench_fail(s, "uds_send_batch after %d: %d", done, r);
        done += r;
    }
    return 0;
}

static int lib_recv_batch(bstate *s, int fd)
{
    dgrams *d = s->ext;
    int done = 0;
    for (int i = 0; i < BATCH; i++) {
        memset(&d->msgs[i], 0, sizeof d->msgs[i]);
        d->msgs[i].data = d->rdata[i];
        d->msgs[i].len = DGRAM_LEN;
    }
    while (done < BATCH) {
        int r = uds_recv_batch(fd, d->msgs + done, BATCH - done, 0);
        if (r <= 0)
            return bench_fail(s, "uds_recv_batch after %d: %d", done, r);
        done += r;
    }
    for (int i = 0; i < BATCH; i++)
        if (d->msgs[i].len != DGRAM_LEN || !stamp_ok(d->rdata[i], DGRAM_LEN, ++s->rseq))
            return bench_fail(s, "uds_recv_batch datagram %d: %zu bytes, or wrong bytes", i, d->msgs[i].len);
    return 0;
}

/* ---- the table ------------------------------------------------------ */


/* ---- 5f: a 64 B frame carrying 1 fd (uds_send_frame_fds) ------------ */

#define FRAME_FD_LEN 64

static int setup_frame_fd(bstate *s)
{
    int r = setup_fds(s, 1);
    free_bufs(s);
    return r == 0 ? bufs(s, FRAME_FD_LEN) : r;
}

/* What a careful programmer writes: the length and the bytes in one
   sendmsg with the fd attached, the rest (if the kernel takes part)
   without it. */
static int raw_send_frame_fd(bstate *s, int fd)
{
    union {
        char buf[CMSG_SPACE(sizeof(int))];
        struct cmsghdr align;
    } u;
    uint32_t hdr = (uint32_t)s->len;
    struct iovec iov[2] = {{&hdr, 4}, {s->sbuf, s->len}};
    struct msghdr m;
    size_t left = 4 + s->len;
    ssize_t r;

    stamp(s->sbuf, s->len, ++s->sseq);
    memset(&m, 0, sizeof m);
    m.msg_iov = iov;
    m.msg_iovlen = 2;
    bench_one_cmsg(&m, u.buf, SCM_RIGHTS, s->fds, sizeof(int));
    while (left > 0) {
        r = sendmsg(fd, &m, MSG_NOSIGNAL);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            return bench_fail(s, "sendmsg frame with fd: %zd", r);
        left -= (size_t)r;
        m.msg_control = NULL;
        m.msg_controllen = 0;
        bench_skip_sent(&m, (size_t)r);
    }
    return 0;
}

/* The careful reader: the prefix, then the body, each with recvmsg and
   room for the fd (it arrives with whichever byte it was sent on), never
   reading past the frame. */
static int raw_read_fd_part(bstate *s, int fd, void *buf, size_t len)
{
    union {
        char buf[CMSG_SPACE(sizeof(int))];
        struct cmsghdr align;
    } u;
    struct msghdr m;
    struct iovec iov;
    struct cmsghdr *c;
    size_t got = 0;
    ssize_t r;
    while (got < len) {
        msg_init(&m, &iov, (char *)buf + got, len - got, u.buf, sizeof u.buf);
        r = recvmsg(fd, &m, MSG_CMSG_CLOEXEC | MSG_WAITALL);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0 || (m.msg_flags & MSG_CTRUNC))
            return bench_fail(s, "recvmsg frame part: %zd, flags %#x", r, m.msg_flags);
        for (c = CMSG_FIRSTHDR(&m); c != NULL; c = CMSG_NXTHDR(&m, c))
            if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS && s->ngot < BENCH_MAX_FDS)
                s->got[s->ngot++] = *(int *)CMSG_DATA(c);
        got += (size_t)r;
    }
    return 0;
}

static int raw_recv_frame_fd(bstate *s, int fd)
{
    uint32_t hdr;
    s->ngot = 0;
    if (raw_read_fd_part(s, fd, &hdr, 4) != 0)
        return -1;
    if (hdr != s->len)
        return bench_fail(s, "frame of %u bytes", (unsigned)hdr);
    if (raw_read_fd_part(s, fd, s->rbuf, hdr) != 0)
        return -1;
    if (s->ngot != 1 || !stamp_ok(s->rbuf, s->len, ++s->rseq))
        return bench_fail(s, "frame with %zu fds, or wrong bytes", s->ngot);
    return 0;
}

static int lib_send_frame_fd(bstate *s, int fd)
{
    stamp(s->sbuf, s->len, ++s->sseq);
    if (uds_send_frame_fds(fd, s->sbuf, s->len, s->fds, 1) != 0)
        return bench_fail(s, "uds_send_frame_fds");
    return 0;
}

static int lib_recv_frame_fd(bstate *s, int fd)
{
    size_t len = 0, n = 1;
    int r = uds_recv_frame_fds(fd, s->rbuf, s->len, &len, s->got, &n);
    s->ngot = r == 1 ? n : 0;
    if (r != 1 || len != s->len || n != 1 || !stamp_ok(s->rbuf, s->len, ++s->rseq))
        return bench_fail(s, "uds_recv_frame_fds: %d, %zu bytes, %zu fds", r, len, n);
    return 0;
}

/* ---- what the guarantees cost -------------------------------------- */

/* Raw code that keeps the library's guarantees without knowing anything
   about the descriptor it is handed, as a library call must: the rows
   below compare libudsock with it, to show what the guarantees cost and
   what the library adds on top of them. */

/* A frame reader that never waits on a non-blocking socket has to learn
   whether the socket is one: one fcntl (a peek costs as much, since a peek
   duplicates the descriptors in flight). The pair here is blocking. */
static int raw_recv_frame_fd_kept(bstate *s, int fd)
{
    int fl = fcntl(fd, F_GETFL);
    if (fl < 0 || (fl & O_NONBLOCK))
        return bench_fail(s, "F_GETFL: %d", fl);
    return raw_recv_frame_fd(s, fd);
}

/* SO_PASSCRED on at `fd`, asked first: it cannot be known otherwise, the
   descriptor may have been made, closed and reused by anyone. */
static int raw_want_passcred(bstate *s, int fd)
{
    int on = 0;
    socklen_t len = sizeof on;
    if (getsockopt(fd, SOL_SOCKET, SO_PASSCRED, &on, &len) != 0)
        return bench_fail(s, "getsockopt SO_PASSCRED");
    if (on)
        return 0;
    on = 1;
    if (setsockopt(fd, SOL_SOCKET, SO_PASSCRED, &on, sizeof on) != 0)
        return bench_fail(s, "setsockopt SO_PASSCRED");
    return 0;
}

/* The sender's ids as they are now (after a fork, the child's; after a
   setuid, the new ones): the kernel stamps them on every message of a
   socket with SO_PASSCRED on, with no look-up in user space. */
static int raw_send_creds_kept(bstate *s, int fd)
{
    ssize_t r;
    if (raw_want_passcred(s, fd) != 0)
        return -1;
    stamp(s->sbuf, 1, ++s->sseq);
    do
        r = send(fd, s->sbuf, 1, MSG_NOSIGNAL);
    while (r < 0 && errno == EINTR);
    return r == 1 ? 0 : bench_fail(s, "send: %zd", r);
}

static int raw_recv_creds_kept(bstate *s, int fd)
{
    return raw_want_passcred(s, fd) != 0 ? -1 : raw_recv_creds(s, fd);
}

#define OPS(snd, rcv, aft, rs, rr, sname, rname) {snd, rcv, aft, rs, rr, sname, rname}

const row bench_rows[] = {
    {"frame-fd-1", "5", "frame 64 B + 1 fd SOCK_STREAM", SOCK_STREAM, 1, K_SINGLE | K_PINGPONG, 0,
     setup_frame_fd, teardown_fds,
     {OPS(raw_send_frame_fd, raw_recv_frame_fd, bench_close_got, raw_reply_send, raw_reply_recv,
          "sendmsg 2 iovecs + SCM_RIGHTS", "recvmsg 4 + recvmsg n + CMSG"),
      OPS(lib_send_frame_fd, lib_recv_frame_fd, bench_close_got, lib_reply_send, lib_reply_recv,
          "uds_send_frame_fds", "uds_recv_frame_fds")}},
    {"fds-1", "5", "1 fd + 1 B SOCK_STREAM", SOCK_STREAM, 1, K_SINGLE | K_PINGPONG, 0,
     setup_fds1, teardown_fds,
     {OPS(raw_send_fds, raw_recv_fds, bench_close_got, raw_reply_send, raw_reply_recv, "sendmsg SCM_RIGHTS", "recvmsg + CMSG"),
      OPS(lib_send_fds, lib_recv_fds, bench_close_got, lib_reply_send, lib_reply_recv, "uds_send_fds", "uds_recv_fds")}},
    {"fds-16", "5", "16 fds + 1 B SOCK_STREAM", SOCK_STREAM, 1, K_SINGLE, 0,
     setup_fds16, teardown_fds,
     {OPS(raw_send_fds, raw_recv_fds, bench_close_got, NULL, NULL, "sendmsg SCM_RIGHTS", "recvmsg + CMSG"),
      OPS(lib_send_fds, lib_recv_fds, bench_close_got, NULL, NULL, "uds_send_fds", "uds_recv_fds")}},
    {"fds-253", "5", "253 fds + 1 B SOCK_STREAM", SOCK_STREAM, 1, K_SINGLE, 0,
     setup_fds253, teardown_fds,
     {OPS(raw_send_fds, raw_recv_fds, bench_close_got, NULL, NULL, "sendmsg SCM_RIGHTS", "recvmsg + CMSG"),
      OPS(lib_send_fds, lib_recv_fds, bench_close_got, NULL, NULL, "uds_send_fds", "uds_recv_fds")}},
    {"creds", "6", "credentials + 1 B SOCK_STREAM", SOCK_STREAM, 1, K_SINGLE | K_PINGPONG, 0,
     setup_creds, free_bufs,
     {OPS(raw_send_creds, raw_recv_creds, NULL, raw_reply_send, raw_reply_recv, "sendmsg SCM_CREDENTIALS", "recvmsg + CMSG"),
      OPS(lib_send_creds, lib_recv_creds, NULL, lib_reply_send, lib_reply_recv, "uds_send_creds", "uds_recv_creds")}},
    {"frame-fd-1-kept", "kept", "frame 64 B + 1 fd SOCK_STREAM", SOCK_STREAM, 1, K_SINGLE, 0,
     setup_frame_fd, teardown_fds,
     {OPS(raw_send_frame_fd, raw_recv_frame_fd_kept, bench_close_got, NULL, NULL,
          "sendmsg 2 iovecs + SCM_RIGHTS", "fcntl F_GETFL + recvmsg 4 + recvmsg n"),
      OPS(lib_send_frame_fd, lib_recv_frame_fd, bench_close_got, NULL, NULL, "uds_send_frame_fds", "uds_recv_frame_fds")}},
    {"creds-kept", "kept", "credentials + 1 B SOCK_STREAM", SOCK_STREAM, 1, K_SINGLE, 0,
     setup_creds, free_bufs,
     {OPS(raw_send_creds_kept, raw_recv_creds_kept, NULL, NULL, NULL,
          "getsockopt SO_PASSCRED + send", "getsockopt SO_PASSCRED + recvmsg"),
      OPS(lib_send_creds, lib_recv_creds, NULL, NULL, NULL, "uds_send_creds", "uds_recv_creds")}},
    {"dgram-one", "7", "32 B datagrams one call each", SOCK_DGRAM, BATCH, K_SINGLE | K_ONEWAY, 0,
     setup_dgrams, free_bufs,
     {OPS(raw_send_each, raw_recv_each, NULL, NULL, NULL, "send", "recv"),
      OPS(lib_send_each, lib_recv_each, NULL, NULL, NULL, "uds_send", "uds_recv")}},
    {"dgram-batch", "7", "32 B datagrams batches of 64", SOCK_DGRAM, BATCH, K_SINGLE | K_ONEWAY, 0,
     setup_dgrams, free_bufs,
     {OPS(raw_send_batch, raw_recv_batch, NULL, NULL, NULL, "sendmmsg", "recvmmsg"),
      OPS(lib_send_batch, lib_recv_batch, NULL, NULL, NULL, "uds_send_batch", "uds_recv_batch")}},
};

const int bench_nrows = sizeof bench_rows / sizeof bench_rows[0];
