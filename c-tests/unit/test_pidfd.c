/* Who sent this message: uds_set_passpidfd, uds_recv_pidfd,
   uds_recvmsg_pidfd, uds_recv_batch_pidfd, uds_set_passrights. Several
   senders on one datagram socket, each identified by its pidfd (the Pid:
   line of /proc/self/fdinfo/<pidfd> against the pid fork returned); a
   sender that exits before the receive; a message queued before the
   option; a socket refusing descriptors. Kernels without the options
   (ENOPROTOOPT) skip. */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <udsock.h>
#include "check.h"
#include "util.h"

#define NSEND 4

/* The Pid: line of a pidfd's fdinfo; -2 when it cannot be read. */
static long pidfd_pid(int pidfd) {
    char path[64], line[256];
    long pid = -2;
    FILE *f;
    snprintf(path, sizeof path, "/proc/self/fdinfo/%d", pidfd);
    f = fopen(path, "r");
    if (f == NULL) return -2;
    while (fgets(line, sizeof line, f) != NULL)
        if (strncmp(line, "Pid:", 4) == 0) pid = strtol(line + 4, NULL, 10);
    fclose(f);
    return pid;
}

/* Forks a child that sends its index over sock, then waits for the end
   of the pipe hold (or exits at once when hold is NULL). */
static pid_t sender(int sock, int index, const int *hold) {
    pid_t pid = fork();
    if (pid == 0) {
        char c = (char)('0' + index);
        if (hold != NULL) close(hold[1]);
        if (send(sock, &c, 1, MSG_NOSIGNAL) != 1) _exit(1);
        if (hold != NULL && read(hold[0], &c, 1) < 0) _exit(2);
        _exit(0);
    }
    return pid;
}

static int reap(pid_t pid) {
    int st;
    return waitpid(pid, &st, 0) == pid && WIFEXITED(st) && WEXITSTATUS(st) == 0;
}

static void test_several_senders(void) {
    int sv[2], hold[2], i, ok = 1, pidfd, before;
    pid_t pids[NSEND];
    char c;
    CHECK(uds_socketpair(SOCK_DGRAM, sv) == 0);
    CHECK(pipe(hold) == 0);
    CHECK(uds_set_passpidfd(sv[1], 1) == 0);
    before = count_fds();
    for (i = 0; i < NSEND; i++) pids[i] = sender(sv[0], i, hold);
    for (i = 0; i < NSEND; i++) {
        ssize_t n = uds_recv_pidfd(sv[1], &c, 1, &pidfd);
        int k = c - '0';
        if (n != 1 || k < 0 || k >= NSEND || pidfd < 0) { ok = 0; continue; }
        if (pidfd_pid(pidfd) != (long)pids[k] || !is_cloexec(pidfd)) ok = 0;
        close(pidfd);
    }
    CHECK(ok);
    CHECK(count_fds() == before);
    close(hold[1]);
    for (i = 0; i < NSEND; i++) CHECK(reap(pids[i]));
    close(hold[0]);
    close(sv[0]);
    close(sv[1]);
}

/* The same through the general calls: uds_recvmsg_pidfd and a batch. */
static void test_general_calls(void) {
    int sv[2], hold[2], i, ok = 1, pidfd = 99, pidfds[NSEND];
    pid_t pids[NSEND];
    char data[NSEND][4];
    uds_msg m, ms[NSEND];
    CHECK(uds_socketpair(SOCK_DGRAM, sv) == 0);
    CHECK(pipe(hold) == 0);
    /* uds_recvmsg_pidfd turns the option on itself: the message sent
       after it carries the sender. */
    memset(&m, 0, sizeof m);
    m.data = data[0];
    m.len = sizeof data[0];
    CHECK(uds_send(sv[0], "x", 1, 0) == 1);
    CHECK(uds_recvmsg_pidfd(sv[1], &m, 0, &pidfd) == 1);
    /* Queued before the option was on (and SO_PASSCRED off): no sender. */
    CHECK(pidfd == -1 && (m.flags & UDS_MSG_PIDFD) == 0);
    CHECK(uds_send(sv[0], "y", 1, 0) == 1);
    m.len = sizeof data[0];
    CHECK(uds_recvmsg_pidfd(sv[1], &m, 0, &pidfd) == 1);
    CHECK(pidfd >= 0 && (m.flags & UDS_MSG_PIDFD) && pidfd_pid(pidfd) == (long)getpid());
    if (pidfd >= 0) close(pidfd);
    for (i = 0; i < NSEND; i++) pids[i] = sender(sv[0], i, hold);
    memset(ms, 0, sizeof ms);
    for (i = 0; i < NSEND; i++) {
        ms[i].data = data[i];
        ms[i].len = sizeof data[i];
        pidfds[i] = 99;
    }
    CHECK(uds_recv_batch_pidfd(sv[1], ms, NSEND, 0, pidfds) == NSEND);
    for (i = 0; i < NSEND; i++) {
        int k = data[i][0] - '0';
        if (ms[i].len != 1 || k < 0 || k >= NSEND || pidfds[i] < 0 || !(ms[i].flags & UDS_MSG_PIDFD)) { ok = 0; continue; }
        if (pidfd_pid(pidfds[i]) != (long)pids[k]) ok = 0;
        close(pidfds[i]);
    }
    CHECK(ok);
    close(hold[1]);
    for (i = 0; i < NSEND; i++) CHECK(reap(pids[i]));
    EXPECT_ERR(uds_recvmsg_pidfd(sv[1], &m, 0, NULL), EINVAL, "uds_recvmsg_pidfd");
    EXPECT_ERR(uds_recv_batch_pidfd(sv[1], ms, 2, 0, NULL), EINVAL, "uds_recv_batch_pidfd");
    close(hold[0]);
    close(sv[0]);
    close(sv[1]);
}

/* A sender that has exited and been reaped: the receive still works; the
   pidfd, if any, no longer names a live process (Pid: -1). Descriptors
   sent with the message are closed. */
static void test_sender_gone(void) {
    int sv[2], pidfd = 99, before;
    char c;
    pid_t pid;
    CHECK(uds_socketpair(SOCK_DGRAM, sv) == 0);
    CHECK(uds_set_passpidfd(sv[1], 1) == 0);
    pid = sender(sv[0], 7, NULL);
    CHECK(reap(pid));
    CHECK(uds_recv_pidfd(sv[1], &c, 1, &pidfd) == 1 && c == '7');
    CHECK(pidfd == -1 || pidfd_pid(pidfd) == -1);
    if (pidfd >= 0) close(pidfd);
    before = count_fds();
    CHECK(uds_send_fds(sv[0], "f", 1, sv, 2) == 1);
    CHECK(uds_recv_pidfd(sv[1], &c, 1, &pidfd) == 1 && pidfd >= 0);
    CHECK(count_fds() == before + 1);
    close(pidfd);
    close(sv[0]);
    close(sv[1]);
    /* The end of a stream: 0 and no pidfd. */
    CHECK(uds_socketpair(SOCK_STREAM, sv) == 0);
    close(sv[0]);
    CHECK(uds_recv_pidfd(sv[1], &c, 1, &pidfd) == 0 && pidfd == -1);
    EXPECT_ERR(uds_recv_pidfd(sv[1], &c, 1, NULL), EINVAL, "uds_recv_pidfd");
    close(sv[1]);
}

/* A datagram longer than len is cut, as recv cuts it, and still names
   its sender; a message queued before the option was on names its sender
   when SO_PASSCRED was on as it was sent. */
static void test_cut_and_queued(void) {
    int sv[2], pidfd = 99, on = 0;
    socklen_t sl = sizeof on;
    char buf[8];
    CHECK(uds_socketpair(SOCK_DGRAM, sv) == 0);
    CHECK(uds_set_passpidfd(sv[1], 1) == 0);
    CHECK(uds_send(sv[0], "hello world", 11, 0) == 11);
    CHECK(uds_recv_pidfd(sv[1], buf, 5, &pidfd) == 5 && memcmp(buf, "hello", 5) == 0);
    CHECK(pidfd >= 0 && pidfd_pid(pidfd) == (long)getpid() && is_cloexec(pidfd));
    if (pidfd >= 0) close(pidfd);
    CHECK(uds_pending(sv[1]) == 0);
    close(sv[0]);
    close(sv[1]);
    CHECK(uds_socketpair(SOCK_DGRAM, sv) == 0);
    CHECK(uds_set_passcred(sv[1], 1) == 0);
    CHECK(uds_send(sv[0], "a", 1, 0) == 1);
    pidfd = 99;
    CHECK(uds_recv_pidfd(sv[1], buf, sizeof buf, &pidfd) == 1 && buf[0] == 'a');
    CHECK(pidfd >= 0 && pidfd_pid(pidfd) == (long)getpid());
    if (pidfd >= 0) close(pidfd);
    /* The call turned the option on. */
    CHECK(getsockopt(sv[1], SOL_SOCKET, 76 /* SO_PASSPIDFD */, &on, &sl) == 0 && on == 1);
    close(sv[0]);
    close(sv[1]);
}

/* A socket that refuses descriptors: the sender gets EPERM, plain data
   still goes, and turning it back on lets descriptors through. */
static void test_refusing_descriptors(void) {
    int sv[2], got[2];
    size_t n = 2;
    char buf[16];
    CHECK(uds_socketpair(SOCK_STREAM, sv) == 0);
    if (uds_set_passrights(sv[1], 0) == -1) {
        CHECK(errno == ENOPROTOOPT);
        printf("# SO_PASSRIGHTS not supported by this kernel\n");
        close(sv[0]);
        close(sv[1]);
        return;
    }
    EXPECT_ERR(uds_send_fds(sv[0], "x", 1, sv, 1), EPERM, "uds_send_fds");
    EXPECT_ERR(uds_send_frame_fds(sv[0], "x", 1, sv, 1), EPERM, "uds_send_frame_fds");
    CHECK(uds_pending(sv[1]) == 0);
    CHECK(uds_send_frame(sv[0], "ok", 2) == 0);
    CHECK(uds_set_passrights(sv[1], 1) == 0);
    CHECK(uds_send_fds(sv[0], "y", 1, sv, 2) == 1);
    CHECK(uds_recv_exact(sv[1], buf, 6) == 6);
    CHECK(uds_recv_fds(sv[1], buf, 1, got, &n) == 1 && n == 2);
    close(got[0]);
    close(got[1]);
    EXPECT_ERR(uds_set_passrights(-1, 0), EBADF, "uds_set_passrights");
    close(sv[0]);
    close(sv[1]);
}

int main(void) {
    int sv[2];
    if (uds_socketpair(SOCK_DGRAM, sv) != 0) return 1;
    if (uds_set_passpidfd(sv[0], 1) == -1) {
        CHECK(errno == ENOPROTOOPT);
        printf("SO_PASSPIDFD not supported by this kernel\n");
        return 77;
    }
    close(sv[0]);
    close(sv[1]);
    test_several_senders();
    test_general_calls();
    test_sender_gone();
    test_cut_and_queued();
    test_refusing_descriptors();
    DONE();
}
