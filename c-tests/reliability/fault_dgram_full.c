/* A datagram receiver that does not read: a non-blocking sender fills it
   up and then gets -1/EAGAIN, and nothing is half-sent: the receiver then
   finds exactly the datagrams that were reported sent, each whole (sizes
   4 bytes..64 KiB, every byte checked), in order, and nothing else; after
   the drain the same socket sends again. Through a connected pair
   (uds_send), to a bound path (uds_sendto, uds_recvfrom), and with
   MSG_DONTWAIT on a blocking socket. 5 fills per way quick, 50 full. */
#define _GNU_SOURCE
#include <sys/socket.h>
#include "rel.h"

#define MAX_DGRAM 65536

static char path[128];

/* Datagram n: its size and its pattern (the first 4 bytes say n). Half
   are small (up to 64 bytes: the queue-length limit stops them), half up
   to 64 KiB (the buffer limit stops them). */
static size_t dgram_size(uint32_t n) {
    uint64_t s = n, r = rnd(&s);
    return 4 + (size_t)(r % (r & 1 ? 61 : MAX_DGRAM - 3));
}

static void make_dgram(unsigned char *buf, uint32_t n) {
    memcpy(buf, &n, 4);
    pattern_fill(buf + 4, dgram_size(n) - 4, n, 0);
}

enum way { PAIR, SENDTO, DONTWAIT };
static const char *way_name[] = {"connected pair, uds_send", "path, uds_sendto",
                                 "blocking socket, MSG_DONTWAIT"};

static ssize_t send_one(enum way w, int fd, const unsigned char *buf, size_t len) {
    switch (w) {
    case PAIR:
        return uds_send(fd, buf, len, 0);
    case SENDTO:
        return uds_sendto(fd, buf, len, path);
    default:
        return uds_send(fd, buf, len, MSG_DONTWAIT);
    }
}

/* Fills the receiver, then drains and checks it. Returns how many
   datagrams went in before EAGAIN. */
static uint32_t fill_and_drain(enum way w, int tx, int rx, uint32_t *next) {
    static unsigned char buf[MAX_DGRAM], in[MAX_DGRAM + 1];
    uint32_t first = *next, sent = 0, got = 0;
    ssize_t r;

    for (;;) {
        size_t len = dgram_size(*next);
        make_dgram(buf, *next);
        errno = 0;
        r = send_one(w, tx, buf, len);
        if (r < 0)
            break;
        CHECK((size_t)r == len); /* a datagram goes whole or not at all */
        ++*next;
        sent++;
    }
    CHECK(r == -1 && errno == EAGAIN);
    CHECK(sent > 0);
    for (;;) {
        uds_addr from;
        uint32_t n;
        if (w == SENDTO)
            r = uds_recvfrom(rx, in, sizeof in, &from);
        else
            r = uds_recv(rx, in, sizeof in, MSG_DONTWAIT);
        if (r < 0)
            break;
        memcpy(&n, in, 4);
        CHECK(n == first + got);
        CHECK((size_t)r == dgram_size(n) && pattern_check(in + 4, (size_t)r - 4, n, 0) == (size_t)r - 4);
        if (w == SENDTO)
            CHECK(from.kind == UDS_ADDR_UNNAMED);
        got++;
    }
    CHECK(errno == EAGAIN);
    CHECK(got == sent); /* the one that failed never arrived */
    return sent;
}

static void run(enum way w, int fills) {
    int tx, rx, i, sv[2];
    uint32_t next = 0, min = UINT32_MAX, max = 0;

    if (w == SENDTO) {
        rx = uds_listener(path, SOCK_DGRAM | SOCK_NONBLOCK, 0, 0600, UDS_REPLACE_STALE);
        tx = uds_socket(SOCK_DGRAM | SOCK_NONBLOCK);
    } else {
        MUST(uds_socketpair(SOCK_DGRAM | (w == PAIR ? SOCK_NONBLOCK : 0), sv) == 0);
        tx = sv[0];
        rx = sv[1];
    }
    CHECK(tx >= 0 && rx >= 0);
    for (i = 0; i < fills; i++) {
        uint32_t n = fill_and_drain(w, tx, rx, &next);
        min = n < min ? n : min;
        max = n > max ? n : max;
    }
    CHECK(uds_close(tx) == 0 && uds_close(rx) == 0);
    printf("# %s: filled %d times (%u to %u datagrams before EAGAIN), %u datagrams in all, "
           "each whole, none extra\n", way_name[w], fills, (unsigned)min, (unsigned)max, (unsigned)next);
}

int main(void) {
    int fills = (int)rel_size(2, 5, 50);
    rel_tmpdir("dgram");
    snprintf(path, sizeof path, "%s/rx.sock", rel_dir);
    run(PAIR, fills);
    run(SENDTO, fills);
    run(DONTWAIT, fills);
    rel_cleanup();
    DONE();
}
