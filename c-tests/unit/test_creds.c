/* Credentials: the peer's (SO_PEERCRED, SO_PEERPIDFD, SO_PEERGROUPS,
   SO_PEERSEC) from another process, credentials on messages
   (SCM_CREDENTIALS) and the SO_PASSCRED timing rule, forged credentials
   refused by the kernel, and the calls' errors. */
#define _GNU_SOURCE
#include <grp.h>
#include <sys/socket.h>
#include <udsock.h>
#include "check.h"
#include "anc.h"

static const int types[3] = {SOCK_STREAM, SOCK_DGRAM, SOCK_SEQPACKET};
static char dir[] = "/tmp/udsock-creds-XXXXXX";
static char path[128];
static const gid_t child_groups[3] = {10, 20, 30};

static int is_own(const uds_cred *c) {
    return c->pid == getpid() && c->uid == getuid() && c->gid == getgid();
}

/* Connects to the listener with known supplementary groups (when it may
   set them), sends its credentials, and stays until told "bye". */
static void child_connects(void *arg) {
    int fd;
    char buf[4];
    (void)arg;
    if (geteuid() == 0) CHECK(setgroups(3, child_groups) == 0);
    fd = uds_dial(path, SOCK_STREAM);
    CHECK(fd >= 0);
    CHECK(uds_send_creds(fd, "me", 2, NULL) == 2);
    CHECK(uds_recv(fd, buf, sizeof buf, 0) == 3);
    close(fd);
}

static void check_groups(int conn) {
    uint32_t got[64];
    gid_t want[64];
    size_t n = 0, i, j;
    int nwant, found;
    if (geteuid() == 0) {
        nwant = 3;
        memcpy(want, child_groups, sizeof child_groups);
    } else {
        nwant = getgroups(64, want);
    }
    /* Sizing: too small is ERANGE with *n = the count needed. */
    if (nwant > 0) {
        EXPECT_ERR(uds_peer_groups(conn, NULL, &n), ERANGE, "uds_peer_groups");
        CHECK(n == (size_t)nwant);
        n = (size_t)nwant - 1;
        EXPECT_ERR(uds_peer_groups(conn, got, &n), ERANGE, "uds_peer_groups");
        CHECK(n == (size_t)nwant);
    }
    n = 64;
    CHECK(uds_peer_groups(conn, got, &n) == 0 && n == (size_t)nwant);
    for (i = 0; i < n; i++) {
        for (found = 0, j = 0; j < (size_t)nwant; j++) found |= got[i] == want[j];
        CHECK(found);
    }
    EXPECT_ERR(uds_peer_groups(conn, got, NULL), EINVAL, "uds_peer_groups");
}

static void test_peer_in_another_process(void) {
    int srv, conn, pidfd;
    uds_cred c;
    char buf[4];
    pid_t pid;
    srv = uds_listener(path, SOCK_STREAM, 0, 0600, 0);
    CHECK(srv >= 0);
    pid = spawn(child_connects, NULL);
    conn = uds_accept(srv, 0);
    CHECK(conn >= 0);
    CHECK(uds_peer_cred(conn, &c) == 0);
    CHECK(c.pid == pid && c.uid == getuid() && c.gid == getgid());
    pidfd = uds_peer_pidfd(conn);
    CHECK(pidfd >= 0 && fdinfo(pidfd, "Pid:") == pid);
    CHECK(fcntl(pidfd, F_GETFD) & FD_CLOEXEC);
    CHECK(uds_recv_creds(conn, buf, 2, &c) == 2 && memcmp(buf, "me", 2) == 0);
    CHECK(c.pid == pid && c.uid == getuid() && c.gid == getgid());
    check_groups(conn);
    CHECK(uds_send(conn, "bye", 3, 0) == 3);
    CHECK(reap(pid) == 0);
    /* The pid may now be reused; the pidfd still names the process that
       connected, and knows it has gone. */
    CHECK(fdinfo(pidfd, "Pid:") == -1);
    close(pidfd);
    close(conn);
    CHECK(uds_close(srv) == 0);
}

static void test_no_peer_and_bad_arguments(void) {
    int lone = uds_socket(SOCK_STREAM), srv = uds_listener(path, SOCK_STREAM, 0, 0600, 0), sv[2], p[2];
    uds_cred c;
    size_t n = 0;
    char buf[4];
    EXPECT_ERR(uds_peer_cred(lone, &c), ENOTCONN, "uds_peer_cred");
    EXPECT_ERR(uds_peer_pidfd(lone), ENOTCONN, "uds_peer_pidfd");
    EXPECT_ERR(uds_peer_groups(lone, NULL, &n), ENOTCONN, "uds_peer_groups");
    /* A listener's "peer" would be itself: refused. */
    EXPECT_ERR(uds_peer_cred(srv, &c), ENOTCONN, "uds_peer_cred");
    EXPECT_ERR(uds_peer_pidfd(srv), ENOTCONN, "uds_peer_pidfd");
    EXPECT_ERR(uds_peer_cred(lone, NULL), EINVAL, "uds_peer_cred");
    EXPECT_ERR(uds_peer_cred(-1, &c), EBADF, "uds_peer_cred");
    CHECK(pipe(p) == 0);
    EXPECT_ERR(uds_peer_cred(p[0], &c), ENOTSOCK, "uds_peer_cred");
    EXPECT_ERR(uds_set_passcred(p[0], 1), ENOTSOCK, "uds_set_passcred");
    CHECK(uds_socketpair(SOCK_STREAM, sv) == 0);
    EXPECT_ERR(uds_recv_creds(sv[1], buf, sizeof buf, NULL), EINVAL, "uds_recv_creds");
    EXPECT_ERR(uds_send_creds(sv[0], NULL, 1, NULL), EINVAL, "uds_send_creds");
    EXPECT_ERR(uds_peer_security(sv[0], NULL, 5), EINVAL, "uds_peer_security");
    close_all(p, 2);
    close_all(sv, 2);
    close(lone);
    CHECK(uds_close(srv) == 0);
}

static void test_messages_and_the_timing_rule(void) {
    int t, sv[2], on;
    socklen_t len = sizeof on;
    uds_cred c;
    char buf[8];
    for (t = 0; t < 3; t++) {
        CHECK(uds_socketpair(types[t], sv) == 0);
        CHECK(uds_peer_cred(sv[0], &c) == 0 && is_own(&c));
        /* Queued while SO_PASSCRED was off and sent without credentials:
           none, reported so that nobody takes it for root. */
        CHECK(uds_send(sv[0], "early", 5, 0) == 5);
        CHECK(uds_recv_creds(sv[1], buf, 5, &c) == 5);
        CHECK(c.pid == 0 && c.uid == (uint32_t)-1 && c.gid == (uint32_t)-1);
        /* uds_recv_creds turned it on: now the kernel attaches them. */
        CHECK(getsockopt(sv[1], SOL_SOCKET, SO_PASSCRED, &on, &len) == 0 && on == 1);
        CHECK(uds_send(sv[0], "late", 4, 0) == 4);
        CHECK(uds_recv_creds(sv[1], buf, 4, &c) == 4 && is_own(&c));
        /* Off again; explicit credentials arrive all the same. */
        CHECK(uds_set_passcred(sv[1], 0) == 0);
        CHECK(getsockopt(sv[1], SOL_SOCKET, SO_PASSCRED, &on, &len) == 0 && on == 0);
        CHECK(uds_send_creds(sv[0], "x", 1, NULL) == 1);
        CHECK(uds_recv_creds(sv[1], buf, 1, &c) == 1 && is_own(&c));
        /* No data on a stream: the carrier byte. */
        CHECK(uds_send_creds(sv[0], NULL, 0, NULL) == 0);
        CHECK(uds_recv_creds(sv[1], buf, sizeof buf, &c) == (types[t] == SOCK_STREAM ? 1 : 0) && is_own(&c));
        /* The end of a stream (or the peer's close on the others) carries
           nobody's credentials: never the kernel's zeros, which read as
           root. */
        if (types[t] != SOCK_DGRAM) {
            uds_msg m;
            uds_cred mc = {7, 7, 7};
            CHECK(close(sv[0]) == 0);
            c.pid = 7;
            CHECK(uds_recv_creds(sv[1], buf, sizeof buf, &c) == 0);
            CHECK(c.pid == 0 && c.uid == (uint32_t)-1 && c.gid == (uint32_t)-1);
            memset(&m, 0, sizeof m);
            m.data = buf;
            m.len = sizeof buf;
            m.cred = &mc;
            CHECK(uds_recvmsg(sv[1], &m, 0) == 0 && !(m.flags & UDS_MSG_CRED));
            CHECK(close(sv[1]) == 0);
        } else {
            close_all(sv, 2);
        }
    }
}

/* A message that carries descriptors, read with uds_recv_creds (a pidfd
   besides where SO_PASSPIDFD is on): its bytes and credentials arrive and
   none of its descriptors stays open. */
static void test_descriptors_on_a_credentials_read(void) {
    int t, sv[2], fds[3], before;
    uds_cred c;
    char buf[8];
    for (t = 0; t < 3; t++) {
        CHECK(uds_socketpair(types[t], sv) == 0);
        CHECK(uds_set_passcred(sv[1], 1) == 0);
        if (uds_set_passpidfd(sv[1], 1) != 0)
            CHECK(errno == ENOPROTOOPT);
        CHECK(pipe(fds) == 0);
        fds[2] = fds[0];
        before = count_fds();
        CHECK(uds_send_fds(sv[0], "abc", 3, fds, 3) == 3);
        c.pid = 7;
        CHECK(uds_recv_creds(sv[1], buf, sizeof buf, &c) == 3 && memcmp(buf, "abc", 3) == 0);
        CHECK(is_own(&c));
        CHECK(count_fds() == before);
        close_all(fds, 2);
        close_all(sv, 2);
    }
}

/* SO_PASSCRED turned off, by another process sharing the socket, while
   uds_recv_creds waits: the message then comes with no credentials, and
   its descriptors (and a pidfd, where SO_PASSPIDFD is on) take the room
   the credentials would have had. None of them stays open. */
static int passcred_sv[2];

static void child_turns_passcred_off(void *arg) {
    int fds[4] = {0, 1, 2, 0};
    (void)arg;
    CHECK(wait_asleep(getppid()) == 0);
    CHECK(uds_set_passcred(passcred_sv[1], 0) == 0);
    CHECK(uds_send_fds(passcred_sv[0], "abc", 3, fds, 4) == 3);
}

static void test_passcred_turned_off_while_waiting(void) {
    int t, before;
    pid_t child;
    uds_cred c;
    char buf[8];
    for (t = 0; t < 3; t++) {
        CHECK(uds_socketpair(types[t], passcred_sv) == 0);
        if (uds_set_passpidfd(passcred_sv[1], 1) != 0)
            CHECK(errno == ENOPROTOOPT);
        before = count_fds();
        child = spawn(child_turns_passcred_off, NULL);
        CHECK(child > 0);
        CHECK(uds_recv_creds(passcred_sv[1], buf, sizeof buf, &c) == 3 && memcmp(buf, "abc", 3) == 0);
        CHECK(c.pid == 0 && c.uid == (uint32_t)-1 && c.gid == (uint32_t)-1);
        CHECK(reap(child) == 0);
        CHECK(count_fds() == before);
        close_all(passcred_sv, 2);
    }
}

/* Without privileges (dropped first when running as root), claiming
   another pid or uid is refused with the kernel's EPERM. */
static void child_forges(void *arg) {
    int sock = *(int *)arg;
    uds_cred c;
    if (geteuid() == 0) {
        CHECK(setgroups(0, NULL) == 0);
        CHECK(setgid(65534) == 0);
        CHECK(setuid(65534) == 0);
    }
    c.pid = getppid();
    c.uid = getuid();
    c.gid = getgid();
    EXPECT_ERR(uds_send_creds(sock, "x", 1, &c), EPERM, "uds_send_creds");
    c.pid = getpid();
    c.uid = 0;
    EXPECT_ERR(uds_send_creds(sock, "x", 1, &c), EPERM, "uds_send_creds");
    c.uid = getuid();
    CHECK(uds_send_creds(sock, "ok", 2, &c) == 2);
}

static void test_forged(void) {
    int sv[2];
    uds_cred c;
    char buf[4];
    pid_t pid;
    CHECK(uds_socketpair(SOCK_DGRAM, sv) == 0);
    pid = spawn(child_forges, &sv[0]);
    CHECK(reap(pid) == 0);
    CHECK(uds_recv_creds(sv[1], buf, sizeof buf, &c) == 2 && memcmp(buf, "ok", 2) == 0);
    CHECK(c.pid == pid);
    CHECK(geteuid() != 0 || (c.uid == 65534 && c.gid == 65534));
    /* A pid that cannot exist (over the largest pid_max): ESRCH where
       CAP_SYS_ADMIN may claim other pids, EPERM where it may not. */
    c.pid = 1 << 23;
    c.uid = getuid();
    c.gid = getgid();
    EXPECT_ERR(uds_send_creds(sv[0], "x", 1, &c), geteuid() == 0 ? ESRCH : EPERM, "uds_send_creds");
    close_all(sv, 2);
}

/* cred NULL on a stream: the kernel stamps each message with the ids the
   sender has when it sends, whoever that is: a forked child sending on
   its parent's socket is reported with its own pid, and after a setuid
   (when running as root) with its new uid and gid. The receiver turns
   SO_PASSCRED on only after the messages are queued. */
static void child_sends_as_itself(void *arg) {
    int sock = *(int *)arg;
    CHECK(uds_send_creds(sock, "c1", 2, NULL) == 2);
    if (geteuid() == 0) {
        CHECK(setgroups(0, NULL) == 0);
        CHECK(setgid(65534) == 0);
        CHECK(setuid(65534) == 0);
    }
    CHECK(uds_send_creds(sock, "c2", 2, NULL) == 2);
}

static void test_own_credentials_across_fork_and_setuid(void) {
    int sv[2], on = -1;
    socklen_t len = sizeof on;
    uds_cred c;
    char buf[4];
    pid_t pid;
    CHECK(uds_socketpair(SOCK_STREAM, sv) == 0);
    CHECK(uds_send_creds(sv[0], "p1", 2, NULL) == 2);
    /* Turned on at the sender: the kernel attaches them from now on. */
    CHECK(getsockopt(sv[0], SOL_SOCKET, SO_PASSCRED, &on, &len) == 0 && on == 1);
    pid = spawn(child_sends_as_itself, &sv[0]);
    CHECK(reap(pid) == 0);
    CHECK(uds_send_creds(sv[0], "p2", 2, NULL) == 2);
    CHECK(uds_recv_creds(sv[1], buf, 2, &c) == 2 && memcmp(buf, "p1", 2) == 0 && is_own(&c));
    CHECK(uds_recv_creds(sv[1], buf, 2, &c) == 2 && memcmp(buf, "c1", 2) == 0);
    CHECK(c.pid == pid && c.uid == getuid() && c.gid == getgid());
    CHECK(uds_recv_creds(sv[1], buf, 2, &c) == 2 && memcmp(buf, "c2", 2) == 0);
    CHECK(c.pid == pid);
    CHECK(geteuid() != 0 || (c.uid == 65534 && c.gid == 65534));
    CHECK(uds_recv_creds(sv[1], buf, 2, &c) == 2 && memcmp(buf, "p2", 2) == 0 && is_own(&c));
    close_all(sv, 2);
    /* A datagram socket is not switched (that would bind it): explicit
       credentials, arriving all the same. */
    CHECK(uds_socketpair(SOCK_DGRAM, sv) == 0);
    CHECK(uds_send_creds(sv[0], "d", 1, NULL) == 1);
    CHECK(getsockopt(sv[0], SOL_SOCKET, SO_PASSCRED, &on, &len) == 0 && on == 0);
    CHECK(uds_recv_creds(sv[1], buf, 1, &c) == 1 && is_own(&c));
    close_all(sv, 2);
}

static void test_security_label(void) {
    int sv[2], r;
    char label[256];
    CHECK(uds_socketpair(SOCK_STREAM, sv) == 0);
    errno = 0;
    r = uds_peer_security(sv[0], label, sizeof label);
    if (r < 0) {
        /* No security module provides labels here. */
        CHECK(errno == ENOPROTOOPT);
    } else {
        CHECK((size_t)r == strlen(label));
        EXPECT_ERR(uds_peer_security(sv[0], label, (size_t)r), ERANGE, "uds_peer_security");
    }
    close_all(sv, 2);
}

int main(void) {
    int before;
    CHECK(mkdtemp(dir) != NULL);
    snprintf(path, sizeof path, "%s/s.sock", dir);
    before = count_fds();
    test_peer_in_another_process();
    test_no_peer_and_bad_arguments();
    test_messages_and_the_timing_rule();
    test_descriptors_on_a_credentials_read();
    test_passcred_turned_off_while_waiting();
    test_forged();
    test_own_credentials_across_fork_and_setuid();
    test_security_label();
    CHECK(count_fds() == before);
    CHECK(rmdir(dir) == 0);
    DONE();
}
