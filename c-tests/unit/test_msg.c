/* General messages (uds_sendmsg/uds_recvmsg: data, descriptors,
   credentials and addresses in one message, truncation reported in flags)
   and batches (uds_send_batch/uds_recv_batch: 64 messages, each with
   descriptors and credentials, across fork(), in order and byte-exact). */
#define _GNU_SOURCE
#include <sys/socket.h>
#include <udsock.h>
#include "check.h"
#include "anc.h"

#define BATCH 64

static char dir[] = "/tmp/udsock-msg-XXXXXX";
static int files[NFILES]; /* file i at offset 3 + i */

static int is_own(const uds_cred *c) {
    return c->pid == getpid() && c->uid == getuid() && c->gid == getgid();
}

static void set_addr(uds_addr *a, uint32_t kind, const char *name, size_t len) {
    memset(a, 0, sizeof *a);
    a->kind = kind;
    a->len = (uint32_t)len;
    memcpy(a->name, name, len);
}

static void test_one_message_with_everything(void) {
    static const char abstract[] = "udsock-test-msg\0with-a-NUL";
    int rcv = -1, snd = uds_socket(SOCK_DGRAM), got[4], before;
    char path[128], buf[32];
    uds_cred cred, sent_cred;
    uds_addr to, from;
    uds_msg m;
    snprintf(path, sizeof path, "%s/r.sock", dir);
    rcv = uds_listener(path, SOCK_DGRAM, 0, 0600, 0);
    CHECK(rcv >= 0 && snd >= 0);
    CHECK(uds_bind_abstract(snd, abstract, sizeof abstract - 1) == 0);
    CHECK(uds_set_passcred(rcv, 1) == 0);
    before = count_fds();

    set_addr(&to, UDS_ADDR_PATHNAME, path, strlen(path));
    sent_cred.pid = getpid();
    sent_cred.uid = getuid();
    sent_cred.gid = getgid();
    memset(&m, 0, sizeof m);
    m.data = "everything";
    m.len = 10;
    m.fds = files;
    m.nfds = 3;
    m.cred = &sent_cred;
    m.addr = &to;
    CHECK(uds_sendmsg(snd, &m, 0) == 10);

    memset(&m, 0, sizeof m);
    memset(&cred, 0, sizeof cred);
    m.data = buf;
    m.len = sizeof buf;
    m.fds = got;
    m.nfds = 4;
    m.cred = &cred;
    m.addr = &from;
    CHECK(uds_recvmsg(rcv, &m, 0) == 10);
    CHECK(m.len == 10 && memcmp(buf, "everything", 10) == 0);
    CHECK(m.flags == UDS_MSG_CRED && is_own(&cred));
    CHECK(m.nfds == 3 && same_files(dir, got, 3, 3));
    close_all(got, (int)m.nfds);
    CHECK(from.kind == UDS_ADDR_ABSTRACT && from.len == sizeof abstract - 1);
    CHECK(memcmp(from.name, abstract, sizeof abstract - 1) == 0);

    /* Truncated data is a flag, not an error; MSG_TRUNC gives the full length. */
    memset(&m, 0, sizeof m);
    m.data = "0123456789";
    m.len = 10;
    m.addr = &to;
    CHECK(uds_sendmsg(snd, &m, 0) == 10);
    CHECK(uds_sendmsg(snd, &m, 0) == 10);
    memset(&m, 0, sizeof m);
    m.data = buf;
    m.len = 4;
    m.cred = &cred;
    CHECK(uds_recvmsg(rcv, &m, 0) == 4 && m.len == 4 && m.flags == (UDS_MSG_TRUNC | UDS_MSG_CRED));
    m.len = 4;
    CHECK(uds_recvmsg(rcv, &m, MSG_TRUNC) == 10 && m.len == 4 && (m.flags & UDS_MSG_TRUNC));
    CHECK(count_fds() == before);
    close(snd);
    CHECK(uds_close(rcv) == 0);
}

static void test_refusals_and_peeks(void) {
    int sv[2], many[NFILES + 1], got[2], i, before;
    char buf[4];
    uds_addr unnamed;
    uds_msg m;
    CHECK(uds_socketpair(SOCK_DGRAM, sv) == 0);
    EXPECT_ERR(uds_sendmsg(sv[0], NULL, 0), EINVAL, "uds_sendmsg");
    EXPECT_ERR(uds_recvmsg(sv[1], NULL, 0), EINVAL, "uds_recvmsg");
    memset(&m, 0, sizeof m);
    m.len = 3;
    EXPECT_ERR(uds_sendmsg(sv[0], &m, 0), EINVAL, "uds_sendmsg");
    for (i = 0; i <= NFILES; i++) many[i] = files[0];
    m.data = "abc";
    m.fds = many;
    m.nfds = NFILES + 1;
    EXPECT_ERR(uds_sendmsg(sv[0], &m, 0), EINVAL, "uds_sendmsg");
    m.nfds = 1;
    m.fds = NULL;
    EXPECT_ERR(uds_sendmsg(sv[0], &m, 0), EINVAL, "uds_sendmsg");
    m.fds = many;
    set_addr(&unnamed, UDS_ADDR_UNNAMED, "", 0);
    m.addr = &unnamed;
    EXPECT_ERR(uds_sendmsg(sv[0], &m, 0), EINVAL, "uds_sendmsg");
    EXPECT_ERR(uds_send_batch(sv[0], NULL, 2, 0), EINVAL, "uds_send_batch");
    EXPECT_ERR(uds_recv_batch(sv[1], NULL, 2, 0), EINVAL, "uds_recv_batch");
    CHECK(uds_send_batch(sv[0], NULL, 0, 0) == 0);
    {
        /* A bad message in a batch: refused before anything is sent, and
           the error names it. */
        uds_msg three[3];
        memset(three, 0, sizeof three);
        for (i = 0; i < 3; i++) {
            three[i].data = "abc";
            three[i].len = 3;
        }
        three[2].nfds = 1;
        EXPECT_ERR(uds_send_batch(sv[0], three, 3, 0), EINVAL, "uds_send_batch");
        CHECK(strstr(uds_last_error(), "msgs[2]: ") != NULL);
        CHECK(uds_pending(sv[1]) == 0);
        three[2].nfds = 0;
        three[1].data = NULL;
        EXPECT_ERR(uds_recv_batch(sv[1], three, 3, 0), EINVAL, "uds_recv_batch");
        CHECK(strstr(uds_last_error(), "msgs[1]: ") != NULL);
    }
    /* A peek gets the data but never installs descriptors (they would be
       copies the real receive installs again): UDS_MSG_CTRUNC says they
       are waiting. */
    CHECK(uds_send_fds(sv[0], "p", 1, files, 2) == 1);
    before = count_fds();
    memset(&m, 0, sizeof m);
    m.data = buf;
    m.len = sizeof buf;
    m.fds = got;
    m.nfds = 2;
    CHECK(uds_recvmsg(sv[1], &m, MSG_PEEK) == 1 && m.len == 1 && buf[0] == 'p');
    CHECK(m.nfds == 0 && m.flags == UDS_MSG_CTRUNC);
    m.len = sizeof buf;
    m.nfds = 2;
    CHECK(uds_recv_batch(sv[1], &m, 1, MSG_PEEK) == 1 && m.nfds == 0 && m.flags == UDS_MSG_CTRUNC);
    CHECK(count_fds() == before);
    m.len = sizeof buf;
    m.nfds = 2;
    CHECK(uds_recvmsg(sv[1], &m, 0) == 1 && m.len == 1 && buf[0] == 'p');
    CHECK(m.nfds == 2 && m.flags == 0 && same_files(dir, got, 2, 3));
    close_all(got, 2);
    /* Nothing queued. */
    m.len = sizeof buf;
    EXPECT_ERR(uds_recvmsg(sv[1], &m, MSG_DONTWAIT), EAGAIN, "uds_recvmsg");
    EXPECT_ERR(uds_recv_batch(sv[1], &m, 1, MSG_DONTWAIT), EAGAIN, "uds_recv_batch");
    close_all(sv, 2);
}

static void test_stream_carrier(void) {
    int sv[2], got[2];
    char buf[4];
    uds_msg m;
    CHECK(uds_socketpair(SOCK_STREAM, sv) == 0);
    memset(&m, 0, sizeof m);
    m.fds = files;
    m.nfds = 1;
    CHECK(uds_sendmsg(sv[0], &m, 0) == 0);
    m.data = buf;
    m.len = sizeof buf;
    m.fds = got;
    m.nfds = 2;
    CHECK(uds_recvmsg(sv[1], &m, 0) == 1 && m.len == 1 && buf[0] == 0 && m.nfds == 1);
    CHECK(same_files(dir, got, 1, 3));
    close_all(got, (int)m.nfds);
    close_all(sv, 2);
}

/* Reads `want` bytes from sock; the first receive must bring one
   descriptor (it travels with the first byte). */
static void drain_with_fd(int sock, size_t want) {
    static char sink[1 << 16];
    size_t got_bytes = 0;
    int got[2], fds_seen = 0;
    uds_msg m;
    while (got_bytes < want) {
        memset(&m, 0, sizeof m);
        m.data = sink;
        m.len = sizeof sink;
        m.fds = got;
        m.nfds = 2;
        if (uds_recvmsg(sock, &m, 0) <= 0)
            break;
        if (got_bytes == 0)
            CHECK(m.nfds == 1 && same_files(dir, got, 1, 3));
        fds_seen += (int)m.nfds;
        close_all(got, (int)m.nfds);
        got_bytes += m.len;
    }
    CHECK(got_bytes == want && fds_seen == 1);
}

/* A stream that would block is not waited on: a non-blocking socket (or
   MSG_DONTWAIT) gets the count sent so far, as from sendmsg(2), with the
   descriptor gone with the first part. A hang here is killed by alarm. */
static void test_partial_when_it_would_block(void) {
    static char big[4 << 20];
    int sv[2], round;
    ssize_t n;
    uds_msg m;
    alarm(20);
    for (round = 0; round < 3; round++) {
        int nonblock = round < 2 ? SOCK_NONBLOCK : 0;
        CHECK(uds_socketpair(SOCK_STREAM | nonblock, sv) == 0);
        memset(&m, 0, sizeof m);
        m.data = big;
        m.len = sizeof big;
        m.fds = files;
        m.nfds = 1;
        if (round == 0)
            n = uds_sendmsg(sv[0], &m, 0);
        else if (round == 1)
            n = uds_send_fds(sv[0], big, sizeof big, files, 1);
        else
            n = uds_sendmsg(sv[0], &m, MSG_DONTWAIT);
        CHECK(n > 0 && n < (ssize_t)sizeof big);
        /* With nothing sent, it is EAGAIN. */
        if (round == 0)
            EXPECT_ERR(uds_sendmsg(sv[0], &m, 0), EAGAIN, "uds_sendmsg");
        if (round == 1) {
            uds_cred own = {getpid(), getuid(), getgid()};
            EXPECT_ERR(uds_send_creds(sv[0], big, sizeof big, &own), EAGAIN, "uds_send_creds");
        }
        CHECK(close(sv[0]) == 0);
        drain_with_fd(sv[1], n > 0 ? (size_t)n : 0);
        CHECK(close(sv[1]) == 0);
    }
    alarm(0);
}

/* Message i: i + 1 bytes (k ^ i), i % 4 descriptors, the sender's
   credentials on every other one. */
static size_t payload(int i, unsigned char *out) {
    int k;
    for (k = 0; k <= i; k++) out[k] = (unsigned char)(k ^ i);
    return (size_t)i + 1;
}

static void send_batch_of_64(int sock, const int *set) {
    static unsigned char data[BATCH][BATCH];
    uds_msg msgs[BATCH];
    uds_cred own;
    int i;
    own.pid = getpid();
    own.uid = getuid();
    own.gid = getgid();
    memset(msgs, 0, sizeof msgs);
    for (i = 0; i < BATCH; i++) {
        msgs[i].len = payload(i, data[i]);
        msgs[i].data = data[i];
        msgs[i].fds = (int *)set;
        msgs[i].nfds = (size_t)(i % 4);
        msgs[i].cred = i % 2 ? NULL : &own;
    }
    CHECK(uds_send_batch(sock, msgs, BATCH, 0) == BATCH);
}

static void child_sends_batch(void *arg) {
    int own[4];
    CHECK(open_files(dir, own, 4, 5) == 0);
    send_batch_of_64(*(int *)arg, own);
    close_all(own, 4);
}

static void test_batches_across_processes(void) {
    static const int types[2] = {SOCK_DGRAM, SOCK_SEQPACKET};
    static unsigned char data[BATCH][BATCH + 8], want[BATCH];
    int t, i, sv[2], got[BATCH][4], before;
    uds_msg msgs[BATCH];
    uds_cred creds[BATCH];
    pid_t pid;
    for (t = 0; t < 2; t++) {
        CHECK(uds_socketpair(types[t], sv) == 0);
        /* On before the child sends (the timing rule): then every message
           carries the child's credentials, sent explicitly or not. */
        CHECK(uds_set_passcred(sv[1], 1) == 0);
        before = count_fds();
        pid = spawn(child_sends_batch, &sv[0]);
        memset(msgs, 0, sizeof msgs);
        for (i = 0; i < BATCH; i++) {
            msgs[i].data = data[i];
            msgs[i].len = sizeof data[i];
            msgs[i].fds = got[i];
            msgs[i].nfds = 4;
            msgs[i].cred = &creds[i];
        }
        CHECK(uds_recv_batch(sv[1], msgs, BATCH, 0) == BATCH);
        CHECK(reap(pid) == 0);
        for (i = 0; i < BATCH; i++) {
            size_t len = payload(i, want);
            CHECK(msgs[i].len == len && memcmp(data[i], want, len) == 0);
            CHECK(msgs[i].nfds == (size_t)(i % 4) && same_files(dir, got[i], (int)msgs[i].nfds, 5));
            close_all(got[i], (int)msgs[i].nfds);
            CHECK(msgs[i].flags == UDS_MSG_CRED && creds[i].pid == pid && creds[i].uid == getuid());
        }
        CHECK(count_fds() == before);
        close_all(sv, 2);
    }
}

static void test_batch_to_addresses(void) {
    static const char name[] = "udsock-test-batch";
    int rcv = uds_socket(SOCK_DGRAM), snd = uds_socket(SOCK_DGRAM), i;
    char path[128], bufs[8][8];
    uds_addr to[8], from[8];
    uds_msg msgs[8];
    snprintf(path, sizeof path, "%s/b.sock", dir);
    CHECK(uds_bind_abstract(rcv, name, sizeof name - 1) == 0);
    CHECK(uds_bind(snd, path) == 0);
    memset(msgs, 0, sizeof msgs);
    for (i = 0; i < 8; i++) {
        set_addr(&to[i], UDS_ADDR_ABSTRACT, name, sizeof name - 1);
        snprintf(bufs[i], sizeof bufs[i], "m%d", i);
        msgs[i].data = bufs[i];
        msgs[i].len = strlen(bufs[i]);
        msgs[i].addr = &to[i];
    }
    CHECK(uds_send_batch(snd, msgs, 8, 0) == 8);
    memset(msgs, 0, sizeof msgs);
    memset(bufs, 0, sizeof bufs);
    for (i = 0; i < 8; i++) {
        msgs[i].data = bufs[i];
        msgs[i].len = sizeof bufs[i];
        msgs[i].addr = &from[i];
    }
    /* MSG_WAITFORONE: what is queued, without waiting for all 8 slots. */
    CHECK(uds_recv_batch(rcv, msgs, 8, MSG_WAITFORONE) == 8);
    for (i = 0; i < 8; i++) {
        char want[8];
        snprintf(want, sizeof want, "m%d", i);
        CHECK(msgs[i].len == strlen(want) && memcmp(bufs[i], want, msgs[i].len) == 0);
        CHECK(from[i].kind == UDS_ADDR_PATHNAME && strcmp(from[i].name, path) == 0);
    }
    /* A destination that does not exist stops the batch there: the
       messages before it went, and the next call reports the error. */
    for (i = 0; i < 3; i++) {
        snprintf(bufs[i], sizeof bufs[i], "n%d", i);
        msgs[i].data = bufs[i];
        msgs[i].len = strlen(bufs[i]);
        msgs[i].addr = &to[i];
    }
    set_addr(&to[2], UDS_ADDR_PATHNAME, "/nonexistent-udsock-dir/s", 25);
    CHECK(uds_send_batch(snd, msgs, 3, 0) == 2);
    EXPECT_ERR(uds_send_batch(snd, msgs + 2, 1, 0), ENOENT, "uds_send_batch");
    CHECK(uds_recv(rcv, bufs[0], sizeof bufs[0], 0) == 2 && uds_recv(rcv, bufs[1], sizeof bufs[1], 0) == 2);
    CHECK(uds_pending(rcv) == 0);
    close(rcv);
    CHECK(uds_close(snd) == 0);
}

int main(void) {
    int before;
    CHECK(mkdtemp(dir) != NULL);
    CHECK(make_files(dir, 8) == 0);
    CHECK(open_files(dir, files, 8, 3) == 0);
    before = count_fds();
    test_one_message_with_everything();
    test_refusals_and_peeks();
    test_stream_carrier();
    test_partial_when_it_would_block();
    test_batches_across_processes();
    test_batch_to_addresses();
    CHECK(count_fds() == before);
    close_all(files, 8);
    CHECK(rm_tree(dir) == 0);
    DONE();
}
