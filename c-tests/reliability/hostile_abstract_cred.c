/* Abstract names have no permissions: the uds_peer_cred check pattern the
   header documents (at uds_bind_abstract and uds_peer_cred), shown
   working. A server on an abstract name accepts everyone, as the kernel
   lets everyone connect, and then serves only peers of its own uid:
   - a child switched to uid 65534 connects (the connect succeeds: nothing
     stops it), and is refused: it reads end of stream;
   - a child of the server's uid is served;
   - a child that connects as root and only then drops to 65534 is still
     seen as root: SO_PEERCRED is what the peer was at connect time, and
     the peer cannot forge it.
   Needs root to switch uid; as another user it says so and skips. */
#define _GNU_SOURCE
#include <grp.h>
#include <sys/socket.h>
#include "rel.h"

#define NOBODY 65534

static char name[64];

static void become_nobody(void) {
    MUST(setgroups(0, NULL) == 0 && setgid(NOBODY) == 0 && setuid(NOBODY) == 0);
}

/* 0 = served ("ok"), 1 = refused (end of stream), 2 = could not connect. */
enum when { BEFORE_CONNECT, NEVER, AFTER_CONNECT };

static int client(void *arg) {
    enum when w = *(enum when *)arg;
    char buf[8];
    size_t len;
    int fd, r;
    if (w == BEFORE_CONNECT)
        become_nobody();
    fd = uds_dial(name, SOCK_STREAM);
    if (fd < 0)
        return 2;
    if (w == AFTER_CONNECT)
        become_nobody();
    r = uds_recv_frame(fd, buf, sizeof buf, &len);
    return r == 1 && len == 2 && memcmp(buf, "ok", 2) == 0 ? 0 : r == 0 ? 1 : 3;
}

/* The pattern of the header: accept, check the peer, serve or refuse. */
static int serve_one(int srv, uds_cred *seen) {
    int conn = uds_accept(srv, 0);
    uds_cred c;
    if (conn < 0)
        return -1;
    if (uds_peer_cred(conn, &c) != 0 || c.uid != getuid()) {
        *seen = c;
        close(conn); /* not our user: refuse */
        return 0;
    }
    *seen = c;
    CHECK(uds_send_frame(conn, "ok", 2) == 0);
    close(conn);
    return 1;
}

static void one(int srv, enum when w, int want_served) {
    uds_cred seen;
    pid_t pid = spawn(client, &w);
    memset(&seen, 0xff, sizeof seen);
    CHECK(serve_one(srv, &seen) == want_served);
    CHECK(seen.pid == pid);
    CHECK(seen.uid == (want_served ? getuid() : NOBODY));
    CHECK(reap(pid) == (want_served ? 0 : 1));
}

int main(void) {
    int srv;
    if (geteuid() != 0) {
        printf("# skipped: not root, so no other uid to test with\n");
        DONE();
    }
    snprintf(name, sizeof name, "@udsock-reliability-%d", (int)getpid());
    srv = uds_listener(name, SOCK_STREAM, 0, 0600, 0); /* mode: ignored, no file */
    CHECK(srv >= 0);
    one(srv, BEFORE_CONNECT, 0);
    one(srv, NEVER, 1);
    one(srv, AFTER_CONNECT, 1);
    CHECK(uds_close(srv) == 0);
    printf("# abstract %s: uid %d connected and was refused by the uds_peer_cred check; "
           "uid 0 served; a peer that dropped to uid %d after connecting still counts as uid 0\n",
           name, NOBODY, NOBODY);
    DONE();
}
