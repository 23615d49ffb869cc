/* A socket bound to a path longer than sun_path is bound through
   /proc/self/fd/N/<name>, and the kernel reports that alias from then on:
   as the name of the listener's accepted connections and as the peer of
   its clients. Within the process that bound it, the library reports the
   real path instead. */
#define _GNU_SOURCE
#include <udsock.h>
#include "check.h"
#include "util.h"

static int names(const uds_addr *a, const char *path) {
    return a->kind == UDS_ADDR_PATHNAME && a->len == strlen(path) &&
           strncmp(a->name, path, sizeof a->name - 1) == 0;
}

int main(void) {
    static char path[4200];
    char dir[256];
    uds_addr a;
    size_t lengths[] = {200, 4000};
    size_t i;

    CHECK(make_tmpdir(dir, sizeof dir, "alias") == 0);
    for (i = 0; i < 2; i++) {
        int srv, cli, conn, dg, sender;
        char buf[8];
        CHECK(long_path(path, dir, lengths[i], 20) == 0);
        srv = uds_listener(path, SOCK_STREAM, 0, -1, 0);
        CHECK(srv >= 0);
        cli = uds_dial(path, SOCK_STREAM);
        CHECK(cli >= 0);
        conn = uds_accept(srv, 0);
        CHECK(conn >= 0);
        memset(&a, 0, sizeof a);
        CHECK(uds_getpeername(cli, &a) == 0 && names(&a, path));
        memset(&a, 0, sizeof a);
        CHECK(uds_getsockname(conn, &a) == 0 && names(&a, path));
        CHECK(uds_close(conn) == 0 && uds_close(cli) == 0 && uds_close(srv) == 0);
        CHECK(!exists(path));

        /* A datagram socket bound to the long path, as a peer. */
        dg = uds_listener(path, SOCK_DGRAM, 0, -1, 0);
        CHECK(dg >= 0);
        sender = uds_socket(SOCK_DGRAM);
        CHECK(sender >= 0 && uds_connect(sender, path) == 0);
        memset(&a, 0, sizeof a);
        CHECK(uds_getpeername(sender, &a) == 0 && names(&a, path));
        CHECK(uds_send(sender, "x", 1, 0) == 1 && uds_recv(dg, buf, sizeof buf, 0) == 1);
        CHECK(uds_close(sender) == 0 && uds_close(dg) == 0);
    }
    CHECK(rm_tree(dir) == 0);
    DONE();
}
