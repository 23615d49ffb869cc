/* The smallest program a user would write: a stream listener and a client
   on a pathname, one frame each way, errors reported. */
#define _POSIX_C_SOURCE 200809L
#include <stdlib.h>
#include <unistd.h>
#include <udsock.h>
#include "check.h"

int main(void) {
    char dir[] = "/tmp/udsock-smoke-XXXXXX";
    char path[64], buf[16];
    size_t n = 0;
    int srv, cli, conn;

    CHECK(mkdtemp(dir) != NULL);
    snprintf(path, sizeof path, "%s/s.sock", dir);
    srv = uds_listener(path, SOCK_STREAM, 0, 0600, UDS_REPLACE_STALE);
    CHECK(srv >= 0);
    cli = uds_dial(path, SOCK_STREAM);
    CHECK(cli >= 0);
    conn = uds_accept(srv, 0);
    CHECK(conn >= 0);
    CHECK(uds_send_frame(cli, "hello", 5) == 0);
    CHECK(uds_recv_frame(conn, buf, sizeof buf, &n) == 1 && n == 5 && memcmp(buf, "hello", 5) == 0);
    EXPECT_ERR(uds_dial("", SOCK_STREAM), EINVAL, "uds_dial");
    CHECK(uds_close(conn) == 0 && uds_close(cli) == 0);
    CHECK(uds_close(srv) == 0);
    CHECK(access(path, F_OK) != 0);
    CHECK(rmdir(dir) == 0);
    DONE();
}
