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

/* Two long paths with the same final name, bound one after the other,
   go through the same alias (/proc/self/fd/N/x.sock, N reused): every name
   the library reports is still the right real path, or the alias itself
   where nothing can tell them apart, never the other path. */
static void test_shared_alias(const char *dir) {
    static char p1[400], p2[400];
    uds_addr a;
    int cli, srv, conn;

    CHECK(long_path(p1, dir, 300, 6) == 0);
    CHECK(snprintf(p2, sizeof p2, "%s", p1) > 0);
    p2[strlen(p2) - 7] = '\0'; /* its directory, then a sibling of it */
    CHECK(snprintf(p2 + strlen(p2), sizeof p2 - strlen(p2), "-other") > 0 && mkdir(p2, 0700) == 0);
    strcat(p2, "/ssssss");
    cli = uds_socket(SOCK_STREAM);
    srv = uds_listener(p1, SOCK_STREAM, 0, -1, 0);
    CHECK(cli >= 0 && srv >= 0 && uds_bind(cli, p2) == 0);
    CHECK(uds_connect(cli, p1) == 0);
    conn = uds_accept(srv, 0);
    CHECK(conn >= 0);
    CHECK(uds_getsockname(srv, &a) == 0 && names(&a, p1));
    CHECK(uds_getsockname(cli, &a) == 0 && names(&a, p2));
    CHECK(uds_getpeername(cli, &a) == 0 && names(&a, p1));
    CHECK(uds_getsockname(conn, &a) == 0 && names(&a, p1));
    CHECK(uds_getpeername(conn, &a) == 0 && (names(&a, p2) || strncmp(a.name, "/proc/self/fd/", 14) == 0));
    CHECK(uds_close(conn) == 0 && uds_close(cli) == 0 && uds_close(srv) == 0);
    CHECK(!exists(p1) && !exists(p2));
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
    test_shared_alias(dir);
    CHECK(rm_tree(dir) == 0);
    DONE();
}
