/*
 * harness.h - what every benchmark program shares: a row (one operation,
 * done the raw way and the libudsock way), the state its primitives work
 * on, and the harness that times them (harness.c).
 *
 * A row gives, for each variant (RAW = hand-written system calls, LIB =
 * libudsock), a send primitive and a receive primitive. The harness
 * composes them into:
 *   single: send on fd[0], receive on fd[1], in one thread (no wake-ups);
 *   ping-pong: the parent sends on fd[0] and waits for the reply, a forked
 *             child receives on fd[1] and replies;
 *   one-way: the parent sends n messages, the child receives them, then
 *            acknowledges once.
 * and runs the same row under callgrind (instr mode), where the send and
 * the receive path are counted apart.
 */
#ifndef BENCH_HARNESS_H
#define BENCH_HARNESS_H

#define _GNU_SOURCE
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/un.h>

#include <udsock.h>

enum { RAW = 0, LIB = 1 };

/* Which compositions a row takes part in. */
#define K_SINGLE   1u
#define K_PINGPONG 2u
#define K_ONEWAY   4u

/* The most fds one message carries (SCM_MAX_FD). */
#define BENCH_MAX_FDS 253
/* Datagram batches. */
#define BATCH 64
#define DGRAM_LEN 32

/* Everything a primitive may need. The harness makes the pair fd[0] <->
 * fd[1] (socketpair for RAW, uds_socketpair for LIB) unless the row's
 * socket type is 0; the row's setup fills in the rest. */
typedef struct bstate {
    int fd[2];
    int variant;
    uint32_t sseq, rseq;          /* stamps sent and expected */
    size_t len;                   /* message size */
    unsigned char *sbuf, *rbuf;   /* message buffers (len bytes, or more) */
    /* fd passing */
    int nfds;
    int fds[BENCH_MAX_FDS];       /* what is sent: nfds copies of one fd */
    int got[BENCH_MAX_FDS];       /* what arrived */
    size_t ngot;
    /* connect/accept */
    int listener, conn, acc;
    char path[108];
    /* workload-specific extension (datagram batches, credentials) */
    void *ext;
} bstate;

/* A primitive: one send (or receive) of the row's message on fd. Returns 0,
 * or -1 after bench_fail() said why. */
typedef int (*prim_fn)(bstate *s, int fd);

typedef struct ops {
    prim_fn send, recv;
    prim_fn after;                 /* after a receive, outside the measured
                                      paths of instr mode (closes fds); or NULL */
    prim_fn reply_send, reply_recv; /* ping-pong reply; NULL: send/recv */
    const char *send_call, *recv_call;  /* what the paths call, for tables */
} ops;

typedef struct row {
    const char *id;        /* short name: --only, instr mode */
    const char *workload;  /* issue's workload number */
    const char *op;        /* operation, as the table shows it */
    int type;              /* socket type of the pair; 0: no pair */
    int per_iter;          /* messages per iteration (figures are per message) */
    unsigned kinds;        /* K_* */
    int may_alloc;         /* not a message path: allocations are reported, not failed */
    int (*setup)(bstate *s);   /* s->variant and the pair are set; may be NULL */
    void (*teardown)(bstate *s);
    ops v[2];
} row;

/* Each program defines its table. */
extern const row bench_rows[];
extern const int bench_nrows;

/* Records why a primitive failed (with errno, and uds_last_error() for
 * LIB); returns -1. */
int bench_fail(const bstate *s, const char *what, ...);
/* Heap allocations made by this process so far (harness.c counts them by
 * interposing malloc and its relatives). */
unsigned long bench_allocs(void);

/* Stamps and checks: the first 4 bytes (fewer for short messages) carry the
 * sequence number, and the last 4 bytes of a long message too. */
void stamp(unsigned char *p, size_t len, uint32_t seq);
int stamp_ok(const unsigned char *p, size_t len, uint32_t seq);

/* Shared by the raw variants: a sendmsg header's iovecs past the n bytes
   a short write took; one SOL_SOCKET control message of `bytes` bytes
   from `data` into ctl (CMSG_SPACE(bytes) bytes at least, aligned for a
   cmsghdr), set as m's control data; and, after a message with fds,
   closing s->got. */
void bench_skip_sent(struct msghdr *m, size_t n);
void bench_one_cmsg(struct msghdr *m, void *ctl, int type, const void *data, size_t bytes);
int bench_close_got(bstate *s, int fd);

#endif
