/* Load: descriptors passed in a loop between two processes. The sender
   opens 253 distinct files and sends messages of 1..253 descriptors each
   (random counts, random files, the same file more than once in a message
   too) with uds_send_fds; the payload lists which files they are. The
   receiver takes them with uds_recv_fds and checks every one: open,
   close-on-exec, the very file named (device and inode). It acknowledges
   every 8 messages, so at most 8 x 253 are in flight (no ETOOMANYREFS for
   an unprivileged user). Half the descriptors go over SOCK_STREAM, half
   over SOCK_SEQPACKET. Both processes end with exactly the descriptors
   they started with. Sizes: 10,000 descriptors quick, 100,000 full. */
#define _GNU_SOURCE
#include <sys/socket.h>
#include "rel.h"

#define FILES UDS_MAX_FDS
#define WINDOW 8

static struct stat file_st[FILES];
static size_t total;

struct payload {
    uint16_t n;
    uint16_t which[UDS_MAX_FDS];
};

struct pass {
    int sock;
    uint64_t seed;
};

static int sender(void *arg) {
    struct pass *p = arg;
    int files[FILES], fds[UDS_MAX_FDS], base, i;
    struct payload m;
    size_t sent = 0, msgs = 0, outstanding = 0;
    uint64_t s = p->seed;

    base = count_fds();
    for (i = 0; i < FILES; i++) {
        char name[160];
        snprintf(name, sizeof name, "%s/f%03d", rel_dir, i);
        files[i] = open(name, O_RDONLY | O_CLOEXEC);
        MUST(files[i] >= 0);
    }
    while (sent < total && checks_failed == 0) {
        size_t n = 1 + (size_t)(rnd(&s) % UDS_MAX_FDS), k;
        ssize_t r;
        if (n > total - sent)
            n = total - sent;
        m.n = (uint16_t)n;
        for (k = 0; k < n; k++) {
            m.which[k] = (uint16_t)(rnd(&s) % FILES);
            fds[k] = files[m.which[k]];
        }
        r = uds_send_fds(p->sock, &m, 2 + 2 * n, fds, n);
        CHECK(r == (ssize_t)(2 + 2 * n));
        sent += n;
        msgs++;
        if (++outstanding == WINDOW) {
            CHECK(heard(p->sock) == 'k');
            outstanding = 0;
        }
    }
    for (i = 0; i < FILES; i++)
        close(files[i]);
    CHECK(count_fds() == base);
    printf("# sender: %zu descriptors in %zu messages; descriptors %d at the start, %d at the end\n",
           sent, msgs, base, count_fds());
    CHECK(uds_close(p->sock) == 0);
    return child_result();
}

static void run(int type, const char *name) {
    struct payload m;
    int fds[UDS_MAX_FDS], sv[2], base = count_fds(), bad = 0;
    size_t got = 0, msgs = 0, max = 0;
    struct pass p;
    pid_t pid;
    double t0 = now_s();

    MUST(uds_socketpair(type, sv) == 0);
    p.sock = sv[1];
    p.seed = (uint64_t)type;
    pid = spawn(sender, &p);
    close(sv[1]);
    for (;;) {
        size_t nfds = UDS_MAX_FDS, k;
        ssize_t r = uds_recv_fds(sv[0], &m, sizeof m, fds, &nfds);
        if (r == 0)
            break;
        if (r < 2 || (size_t)r != 2 + 2 * (size_t)m.n || nfds != m.n) {
            CHECK(!"a message arrived whole, with all its descriptors");
            fprintf(stderr, "%s: message %zu: %zd bytes, %zu fds (%s)\n", name, msgs, r, nfds,
                    uds_last_error());
            break;
        }
        for (k = 0; k < nfds; k++) {
            struct stat st;
            const struct stat *want = &file_st[m.which[k]];
            if (fstat(fds[k], &st) != 0 || st.st_dev != want->st_dev || st.st_ino != want->st_ino ||
                !is_cloexec(fds[k]))
                bad++;
            CHECK(close(fds[k]) == 0);
        }
        got += nfds;
        max = nfds > max ? nfds : max;
        if (++msgs % WINDOW == 0)
            tell(sv[0], 'k');
    }
    CHECK(bad == 0 && got == total);
    CHECK(reap(pid) == 0);
    close(sv[0]);
    CHECK(count_fds() == base);
    printf("# %s: %zu descriptors received in %zu messages (up to %zu in one), every one the file "
           "it should be and close-on-exec; receiver descriptors %d at the start, %d at the end "
           "(%.1f s)\n", name, got, msgs, max, base, count_fds(), now_s() - t0);
}

int main(void) {
    int i;
    size_t all = rel_size(1000, 10000, 100000);

    rel_tmpdir("fdpass");
    for (i = 0; i < FILES; i++) {
        char name[160];
        int fd;
        snprintf(name, sizeof name, "%s/f%03d", rel_dir, i);
        fd = open(name, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
        MUST(fd >= 0 && fstat(fd, &file_st[i]) == 0 && close(fd) == 0);
    }
    total = all / 2;
    run(SOCK_STREAM, "SOCK_STREAM");
    total = all - all / 2;
    run(SOCK_SEQPACKET, "SOCK_SEQPACKET");
    rel_cleanup();
    DONE();
}
