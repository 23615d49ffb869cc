/* Load: a multi-client echo server written with the library. One server
   process (epoll, uds_listener/uds_accept/uds_recv_frame/uds_send_frame)
   and four client processes. Every client connects first; only when the
   server has accepted all of them at once do they start, each sending its
   frames (random sizes 0..64 KiB, random bytes) one after the other and
   checking every reply byte for byte. At the end no error anywhere, every
   frame echoed, and each process has exactly the descriptors it started
   with; the socket file and its lock are gone.
   Sizes: 200 clients x 20 frames quick, 1000 x 100 full. */
#define _GNU_SOURCE
#include <sys/epoll.h>
#include <sys/socket.h>
#include "rel.h"

#define MAX_FRAME 65536
#define PROCS 4

static char path[128];
static size_t clients, frames;
static int ready_pipe[2], go_pipe[2];

/* The frame `n` of client `c`: its size and pattern seed. */
static size_t frame_size(size_t c, size_t n) {
    uint64_t s = (uint64_t)c << 32 | n;
    return (size_t)(rnd(&s) % (MAX_FRAME + 1));
}

static uint64_t frame_seed(size_t c, size_t n) {
    return (uint64_t)c << 32 | n;
}

static int server(void *arg) {
    static unsigned char buf[MAX_FRAME];
    struct epoll_event ev, evs[64];
    size_t accepted = 0, closed = 0, echoed = 0, max_open = 0;
    unsigned long long bytes = 0;
    int base, srv, ep, errors = 0;
    (void)arg;

    close(go_pipe[1]); /* the go is the last write end closing */
    base = count_fds();
    srv = uds_listener(path, SOCK_STREAM | SOCK_NONBLOCK, 0, 0600, UDS_REPLACE_STALE);
    ep = epoll_create1(EPOLL_CLOEXEC);
    CHECK(srv >= 0 && ep >= 0);
    ev.events = EPOLLIN;
    ev.data.fd = srv;
    CHECK(epoll_ctl(ep, EPOLL_CTL_ADD, srv, &ev) == 0);
    tell(ready_pipe[1], 'R');
    while (closed < clients && checks_failed == 0) {
        int n = epoll_wait(ep, evs, 64, -1), i;
        if (n < 0 && errno == EINTR)
            continue;
        CHECK(n > 0);
        for (i = 0; i < n; i++) {
            int fd = evs[i].data.fd, r;
            size_t len;
            if (fd == srv) {
                int c;
                while ((c = uds_accept(srv, 0)) >= 0) {
                    ev.events = EPOLLIN;
                    ev.data.fd = c;
                    CHECK(epoll_ctl(ep, EPOLL_CTL_ADD, c, &ev) == 0);
                    if (++accepted - closed > max_open)
                        max_open = accepted - closed;
                    if (accepted == clients)
                        tell(ready_pipe[1], 'A'); /* all held at once */
                }
                CHECK(errno == EAGAIN);
                continue;
            }
            r = uds_recv_frame(fd, buf, sizeof buf, &len);
            if (r == 1) {
                if (uds_send_frame(fd, buf, len) == 0) {
                    echoed++;
                    bytes += len;
                    continue;
                }
            }
            if (r != 0) {
                errors++;
                fprintf(stderr, "server: fd %d: %s\n", fd, uds_last_error());
            }
            CHECK(epoll_ctl(ep, EPOLL_CTL_DEL, fd, NULL) == 0);
            CHECK(uds_close(fd) == 0);
            closed++;
        }
    }
    CHECK(errors == 0 && echoed == clients * frames);
    CHECK(close(ep) == 0 && uds_close(srv) == 0);
    CHECK(!exists(path));
    {
        char lock[140];
        snprintf(lock, sizeof lock, "%s.lock", path);
        CHECK(!exists(lock));
    }
    CHECK(count_fds() == base);
    printf("# server: %zu clients accepted, %zu held at once, %zu frames (%llu bytes) echoed, "
           "%d errors; descriptors %d at the start, %d at the end\n",
           accepted, max_open, echoed, bytes, errors, base, count_fds());
    return child_result();
}

/* Clients [first, first + n): connect all, wait for the go, then run. */
struct range {
    size_t first, n;
};

static int client_proc(void *arg) {
    static unsigned char out[MAX_FRAME], in[MAX_FRAME];
    struct range *rg = arg;
    struct pollfd *pf = calloc(rg->n, sizeof *pf);
    size_t *next = calloc(rg->n, sizeof *next), i, live = rg->n, bad = 0;
    int base;

    MUST(pf && next);
    close(go_pipe[1]);
    base = count_fds();
    for (i = 0; i < rg->n; i++) {
        pf[i].fd = uds_dial(path, SOCK_STREAM);
        pf[i].events = POLLIN;
        CHECK(pf[i].fd >= 0);
    }
    tell(ready_pipe[1], 'C');
    CHECK(heard(go_pipe[0]) == 0); /* the parent closes it: go */
    for (i = 0; i < rg->n; i++) {
        size_t c = rg->first + i, len = frame_size(c, 0);
        pattern_fill(out, len, frame_seed(c, 0), 0);
        CHECK(uds_send_frame(pf[i].fd, out, len) == 0);
    }
    while (live > 0 && checks_failed == 0) {
        int n = poll(pf, rg->n, -1);
        if (n < 0 && errno == EINTR)
            continue;
        CHECK(n > 0);
        for (i = 0; i < rg->n; i++) {
            size_t c = rg->first + i, want = frame_size(c, next[i]), len = 0;
            if (!(pf[i].revents & (POLLIN | POLLHUP | POLLERR)))
                continue;
            if (uds_recv_frame(pf[i].fd, in, sizeof in, &len) != 1 || len != want ||
                pattern_check(in, len, frame_seed(c, next[i]), 0) != len) {
                bad++;
                fprintf(stderr, "client %zu frame %zu: %zu bytes, want %zu (%s)\n", c, next[i], len,
                        want, uds_last_error());
            }
            if (++next[i] < frames) {
                len = frame_size(c, next[i]);
                pattern_fill(out, len, frame_seed(c, next[i]), 0);
                CHECK(uds_send_frame(pf[i].fd, out, len) == 0);
            } else {
                CHECK(uds_close(pf[i].fd) == 0);
                pf[i].fd = -1; /* poll ignores it from now on */
                live--;
            }
        }
    }
    CHECK(bad == 0);
    free(pf);
    free(next);
    CHECK(count_fds() == base);
    return child_result();
}

int main(void) {
    struct range rg[PROCS];
    pid_t srv, cl[PROCS];
    size_t k, total = 0;
    unsigned long long bytes = 0;
    double t0 = now_s();

    clients = rel_size(40, 200, 1000);
    frames = rel_size(5, 20, 100);
    if (want_nofile(clients + 64) != 0) {
        fprintf(stderr, "RLIMIT_NOFILE's hard limit is below %zu\n", clients + 64);
        return 1;
    }
    rel_tmpdir("echo");
    snprintf(path, sizeof path, "%s/echo.sock", rel_dir);
    MUST(pipe2(ready_pipe, O_CLOEXEC) == 0 && pipe2(go_pipe, O_CLOEXEC) == 0);

    srv = spawn(server, NULL);
    CHECK(heard(ready_pipe[0]) == 'R');
    for (k = 0; k < PROCS; k++) {
        rg[k].first = total;
        rg[k].n = clients / PROCS + (k < clients % PROCS);
        total += rg[k].n;
        cl[k] = spawn(client_proc, &rg[k]);
    }
    close(go_pipe[0]);
    /* Every client process connected, and the server holds them all. */
    for (k = 0; k < PROCS + 1; k++) {
        char c = heard(ready_pipe[0]);
        CHECK(c == 'C' || c == 'A');
    }
    close(go_pipe[1]);
    for (k = 0; k < PROCS; k++)
        CHECK(reap(cl[k]) == 0);
    CHECK(reap(srv) == 0);
    for (k = 0; k < clients; k++) {
        size_t n;
        for (n = 0; n < frames; n++)
            bytes += frame_size(k, n);
    }
    printf("# %zu concurrent clients in %d processes x %zu frames of 0..%d bytes: "
           "%zu frames, %llu bytes each way, checked byte for byte (%.1f s)\n",
           clients, PROCS, frames, MAX_FRAME, clients * frames, bytes, now_s() - t0);
    close(ready_pipe[0]);
    close(ready_pipe[1]);
    rel_cleanup();
    DONE();
}
