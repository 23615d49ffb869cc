/* A full datagram receiver and batches. A non-blocking sender sends
   batches of 64 datagrams (1 byte..16 KiB, every 4th carrying 3
   descriptors) with uds_send_batch into a receiver that does not read:
   the batch returns how many went; once full, the next batch is
   -1/EAGAIN. The receiver then drains with uds_recv_batch(MSG_DONTWAIT)
   and finds exactly the datagrams reported sent, whole, in order, with
   their descriptors, and nothing else; the descriptors of the datagrams
   that were not sent did not travel (the receiver ends with the
   descriptors it started with). 5 fills quick, 50 full. */
#define _GNU_SOURCE
#include <sys/socket.h>
#include "rel.h"

#define N 64
#define MAX_DGRAM 16384
#define NFDS 3

static int files[NFDS];

static size_t dgram_size(uint32_t n) {
    uint64_t s = n;
    return 4 + (size_t)(rnd(&s) % (MAX_DGRAM - 3));
}

static uint32_t fill_and_drain(int tx, int rx, uint32_t *next) {
    static unsigned char out[N][MAX_DGRAM], in[N][MAX_DGRAM];
    static int fds[N][NFDS];
    uds_msg m[N];
    uint32_t first = *next, sent = 0, got = 0;
    int r, i, k;

    for (;;) {
        for (i = 0; i < N; i++) {
            uint32_t n = *next + (uint32_t)i;
            memset(&m[i], 0, sizeof m[i]);
            memcpy(out[i], &n, 4);
            pattern_fill(out[i] + 4, dgram_size(n) - 4, n, 0);
            m[i].data = out[i];
            m[i].len = dgram_size(n);
            if (n % 4 == 0) {
                m[i].fds = files;
                m[i].nfds = NFDS;
            }
        }
        errno = 0;
        r = uds_send_batch(tx, m, N, 0);
        if (r < 0)
            break;
        CHECK(r > 0 && r <= N);
        *next += (uint32_t)r;
        sent += (uint32_t)r;
    }
    CHECK(r == -1 && errno == EAGAIN && sent > 0);
    for (;;) {
        for (i = 0; i < N; i++) {
            memset(&m[i], 0, sizeof m[i]);
            m[i].data = in[i];
            m[i].len = MAX_DGRAM;
            m[i].fds = fds[i];
            m[i].nfds = NFDS;
        }
        r = uds_recv_batch(rx, m, N, MSG_DONTWAIT);
        if (r < 0)
            break;
        for (i = 0; i < r; i++) {
            uint32_t n;
            memcpy(&n, in[i], 4);
            CHECK(n == first + got && m[i].len == dgram_size(n) && m[i].flags == 0);
            CHECK(pattern_check(in[i] + 4, m[i].len - 4, n, 0) == m[i].len - 4);
            CHECK(m[i].nfds == (n % 4 == 0 ? NFDS : 0));
            for (k = 0; k < (int)m[i].nfds && k < NFDS; k++)
                close(fds[i][k]);
            got++;
        }
    }
    CHECK(errno == EAGAIN && got == sent);
    return sent;
}

int main(void) {
    int fills = (int)rel_size(2, 5, 50), i, sv[2], base;
    uint32_t next = 0, min = UINT32_MAX, max = 0;

    for (i = 0; i < NFDS; i++)
        MUST((files[i] = open("/dev/null", O_RDONLY | O_CLOEXEC)) >= 0);
    MUST(uds_socketpair(SOCK_DGRAM | SOCK_NONBLOCK, sv) == 0);
    base = count_fds();
    for (i = 0; i < fills; i++) {
        uint32_t n = fill_and_drain(sv[0], sv[1], &next);
        min = n < min ? n : min;
        max = n > max ? n : max;
    }
    CHECK(count_fds() == base);
    close(sv[0]);
    close(sv[1]);
    for (i = 0; i < NFDS; i++)
        close(files[i]);
    printf("# uds_send_batch into a full receiver, %d fills: %u to %u datagrams went before "
           "EAGAIN, %u in all, each whole with its descriptors, none extra, none leaked\n",
           fills, (unsigned)min, (unsigned)max, (unsigned)next);
    DONE();
}
