/* Non-blocking sockets never wait: uds_recv_frame, uds_recv_frame_fds,
   uds_recv_exact, uds_send_all and uds_send_frame on a socket made with
   SOCK_NONBLOCK or set O_NONBLOCK by fcntl either complete or fail with
   EAGAIN having moved nothing, with a peer that stalls mid-frame, with
   descriptors on a byte in the middle of a prefix, and with a send
   buffer that fills. And an interrupted recvmmsg never leaves the
   kernel's ERESTARTSYS (512) for the next call. */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <udsock.h>
#include "check.h"
#include "anc.h"

static int mark[2];

static ssize_t raw_send(int sock, const void *buf, size_t len, int with_fds) {
    return raw_sendmsg(sock, buf, len, mark, with_fds ? 2 : 0);
}

/* A peer that stalls mid-frame, the descriptors on the prefix's second
   byte (so that a peek stops short of the prefix): EAGAIN every time,
   nothing consumed, no descriptor installed; then the whole frame with
   its two descriptors. O_NONBLOCK set by fcntl. */
static void test_stall_with_fds(void) {
    int sv[2], got[4], before, i, off = 7;
    uint32_t n = 6;
    char buf[16];
    size_t len, k;
    socklen_t ol = sizeof off;
    CHECK(uds_socketpair(SOCK_STREAM, sv) == 0);
    CHECK(fcntl(sv[1], F_SETFL, fcntl(sv[1], F_GETFL) | O_NONBLOCK) == 0);
    before = count_fds();
    CHECK(raw_send(sv[0], &n, 1, 0) == 1);
    CHECK(raw_send(sv[0], (char *)&n + 1, 1, 1) == 1);
    for (i = 0; i < 3; i++) {
        k = 4;
        EXPECT_ERR(uds_recv_frame_fds(sv[1], buf, sizeof buf, &len, got, &k), EAGAIN, "uds_recv_frame_fds");
        CHECK(k == 0);
    }
    CHECK(raw_send(sv[0], (char *)&n + 2, 2, 0) == 2 && raw_send(sv[0], "fra", 3, 0) == 3);
    k = 4;
    EXPECT_ERR(uds_recv_frame_fds(sv[1], buf, sizeof buf, &len, got, &k), EAGAIN, "uds_recv_frame_fds");
    CHECK(uds_pending(sv[1]) == 7 && count_fds() == before);
    /* The peek offset is left as it was (off). */
    CHECK(getsockopt(sv[1], SOL_SOCKET, SO_PEEK_OFF, &off, &ol) == 0 && off == -1);
    CHECK(raw_send(sv[0], "me", 3, 0) == 3);
    k = 4;
    CHECK(uds_recv_frame_fds(sv[1], buf, sizeof buf, &len, got, &k) == 1);
    CHECK(len == 6 && memcmp(buf, "frame", 6) == 0 && k == 2);
    CHECK(count_fds() == before + 2);
    if (k == 2) {
        close(got[0]);
        close(got[1]);
    }
    /* The same stall for uds_recv_exact. */
    CHECK(raw_send(sv[0], "abc", 3, 0) == 3);
    EXPECT_ERR(uds_recv_exact(sv[1], buf, 5), EAGAIN, "uds_recv_exact");
    CHECK(uds_pending(sv[1]) == 3);
    CHECK(raw_send(sv[0], "de", 2, 0) == 2);
    CHECK(uds_recv_exact(sv[1], buf, 5) == 5 && memcmp(buf, "abcde", 5) == 0);
    close(sv[0]);
    close(sv[1]);
}

/* Sends fill the buffer with whole frames only: every frame the receiver
   finds is complete, and their sum is all it has queued. */
static void test_sends_never_leave_part(void) {
    static char big[1 << 20];
    int sv[2], sent = 0, got = 0;
    size_t len, sizes[512];
    long total = 0;
    char *buf = malloc(1 << 20);
    CHECK(uds_socketpair(SOCK_STREAM | SOCK_NONBLOCK, sv) == 0);
    EXPECT_ERR(uds_send_frame(sv[0], big, sizeof big), EMSGSIZE, "uds_send_frame");
    EXPECT_ERR(uds_send_frame_fds(sv[0], big, sizeof big, mark, 1), EMSGSIZE, "uds_send_frame_fds");
    CHECK(uds_pending(sv[1]) == 0);
    for (;;) {
        size_t n = (size_t)(sent * 7919) % 50000;
        int r = sent % 3 ? uds_send_frame(sv[0], big, n) : uds_send_frame_fds(sv[0], big, n, mark, 2);
        if (r != 0) break;
        sizes[sent++] = n;
        total += 4 + (long)n;
        if (sent == 512) break;
    }
    CHECK(errno == EAGAIN && sent > 1 && sent < 512);
    CHECK(uds_pending(sv[1]) == total);
    for (got = 0; got < sent; got++) {
        int fds[4];
        size_t k = 4;
        if (uds_recv_frame_fds(sv[1], buf, 1 << 20, &len, fds, &k) != 1 || len != sizes[got]) break;
        while (k > 0) close(fds[--k]);
    }
    CHECK(got == sent);
    CHECK(uds_pending(sv[1]) == 0);
    close(sv[0]);
    close(sv[1]);
    free(buf);
}

static volatile sig_atomic_t alarms;
static void on_alarm(int sig) {
    (void)sig;
    alarms++;
}

static void arm(void) {
    struct itimerval it;
    memset(&it, 0, sizeof it);
    it.it_value.tv_usec = 20000;
    CHECK(setitimer(ITIMER_REAL, &it, NULL) == 0);
}

/* recvmmsg waiting for more than arrived, stopped by a signal: the kernel
   records ERESTARTSYS (512) as the socket's pending error, which the next
   call would fail with. */
static void test_interrupted_batch(void) {
    struct sigaction sa;
    int sv[2], err = -1;
    socklen_t el = sizeof err;
    char data[4][8], c;
    uds_msg ms[4];
    struct mmsghdr raw[4];
    struct iovec iov[4];
    int i;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_alarm; /* no SA_RESTART */
    CHECK(sigaction(SIGALRM, &sa, NULL) == 0);

    /* What the kernel does to a plain recvmmsg, so that this test shows
       something: the next call fails with 512. */
    CHECK(uds_socketpair(SOCK_DGRAM, sv) == 0);
    memset(raw, 0, sizeof raw);
    for (i = 0; i < 4; i++) {
        iov[i].iov_base = data[i];
        iov[i].iov_len = sizeof data[i];
        raw[i].msg_hdr.msg_iov = &iov[i];
        raw[i].msg_hdr.msg_iovlen = 1;
    }
    CHECK(send(sv[0], "1", 1, 0) == 1 && send(sv[0], "2", 1, 0) == 1);
    arm();
    CHECK(recvmmsg(sv[1], raw, 4, 0, NULL) == 2);
    errno = 0;
    CHECK(recv(sv[1], &c, 1, MSG_DONTWAIT) == -1 && errno == 512);
    /* The library never reports it: a library call that meets it says
       EINTR. */
    CHECK(send(sv[0], "1", 1, 0) == 1 && send(sv[0], "2", 1, 0) == 1);
    arm();
    CHECK(recvmmsg(sv[1], raw, 4, 0, NULL) == 2);
    EXPECT_ERR(uds_recv(sv[1], &c, 1, MSG_DONTWAIT), EINTR, "uds_recv");
    close(sv[0]);
    close(sv[1]);

    /* uds_recv_batch interrupted the same way: nothing is left behind. */
    CHECK(uds_socketpair(SOCK_DGRAM, sv) == 0);
    memset(ms, 0, sizeof ms);
    for (i = 0; i < 4; i++) {
        ms[i].data = data[i];
        ms[i].len = sizeof data[i];
    }
    CHECK(send(sv[0], "a", 1, 0) == 1 && send(sv[0], "b", 1, 0) == 1);
    alarms = 0;
    arm();
    CHECK(uds_recv_batch(sv[1], ms, 4, 0) == 2);
    CHECK(alarms == 1);
    CHECK(ms[0].len == 1 && data[0][0] == 'a' && ms[1].len == 1 && data[1][0] == 'b');
    CHECK(getsockopt(sv[1], SOL_SOCKET, SO_ERROR, &err, &el) == 0 && err == 0);
    errno = 0;
    CHECK(recv(sv[1], &c, 1, MSG_DONTWAIT) == -1 && errno == EAGAIN);
    CHECK(send(sv[0], "c", 1, 0) == 1);
    CHECK(uds_recv(sv[1], &c, 1, 0) == 1 && c == 'c');
    close(sv[0]);
    close(sv[1]);
}

/* A non-blocking SOCK_SEQPACKET socket whose peer sent a length prefix as
   a message of its own and nothing more: the call never waits for the
   body (a hostile peer would hold the event loop); the frame is cut. */
static void test_seqpacket_prefix_alone(void) {
    int sv[2];
    uint32_t n32 = 10;
    char buf[32];
    size_t len = 0;

    CHECK(uds_socketpair(SOCK_SEQPACKET | SOCK_NONBLOCK, sv) == 0);
    CHECK(send(sv[0], &n32, 4, 0) == 4);
    alarm(5); /* a wait would end the test here, not hang it */
    EXPECT_ERR(uds_recv_frame(sv[1], buf, sizeof buf, &len), EPROTOTYPE, "uds_recv_frame");
    alarm(0);
    CHECK(strstr(uds_last_error(), "cut") != NULL);
    CHECK(uds_send_frame(sv[0], "whole", 5) == 0);
    CHECK(uds_recv_frame(sv[1], buf, sizeof buf, &len) == 1 && len == 5 && memcmp(buf, "whole", 5) == 0);
    CHECK(uds_close(sv[0]) == 0 && uds_close(sv[1]) == 0);
}

int main(void) {
    int p[2];
    if (pipe2(p, O_CLOEXEC) != 0) return 1;
    mark[0] = p[0];
    mark[1] = p[1];
    test_stall_with_fds();
    test_sends_never_leave_part();
    test_interrupted_batch();
    test_seqpacket_prefix_alone();
    DONE();
}
