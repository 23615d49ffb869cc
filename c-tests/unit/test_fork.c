/* The bound-socket table across fork(2): a child never removes its
   parent's socket file by closing its inherited copy, and never inherits
   the lock of a listener the parent already closed with a plain close(2). */
#define _GNU_SOURCE
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>
#include <udsock.h>
#include "check.h"
#include "util.h"

/* Runs fn in a child; returns its exit status (0 = success). */
static int in_child(int (*fn)(const char *), const char *path) {
    int status = -1;
    pid_t pid = fork();
    if (pid == 0)
        _exit(fn(path));
    if (pid < 0 || waitpid(pid, &status, 0) != pid || !WIFEXITED(status))
        return -1;
    return WEXITSTATUS(status);
}

static int inherited_listener_fd = -1;

static int child_closes_copy(const char *path) {
    (void)path;
    return uds_close(inherited_listener_fd) == 0 ? 0 : 1;
}

static int child_replaces_stale(const char *path) {
    int fd = uds_listener(path, SOCK_STREAM, 0, -1, UDS_REPLACE_STALE);
    if (fd < 0) {
        fprintf(stderr, "child: %s\n", uds_last_error());
        return 1;
    }
    return uds_close(fd) == 0 && !exists(path) ? 0 : 2;
}

int main(void) {
    char dir[256], path[300];
    int srv, cli, conn;

    CHECK(make_tmpdir(dir, sizeof dir, "fork") == 0);
    snprintf(path, sizeof path, "%s/s.sock", dir);

    /* A worker child closing its copy of the listener with uds_close: the
       parent's socket file stays and the parent keeps accepting. */
    srv = uds_listener(path, SOCK_STREAM, 0, 0600, UDS_REPLACE_STALE);
    CHECK(srv >= 0);
    inherited_listener_fd = srv;
    CHECK(in_child(child_closes_copy, path) == 0);
    CHECK(is_socket_file(path));
    cli = uds_dial(path, SOCK_STREAM);
    CHECK(cli >= 0);
    conn = uds_accept(srv, 0);
    CHECK(conn >= 0);
    close(cli);
    close(conn);
    /* An explicit uds_unlink works from anywhere; here, the owner closes. */
    CHECK(uds_close(srv) == 0);
    CHECK(!exists(path));

    /* The parent closes its listener with a plain close(2) and forks: the
       child must find the path stale, not locked by the dead listener. */
    srv = uds_listener(path, SOCK_STREAM, 0, -1, UDS_REPLACE_STALE);
    CHECK(srv >= 0);
    close(srv);
    CHECK(in_child(child_replaces_stale, path) == 0);

    CHECK(uds_unlink_path(path) == 0 || errno == ENOENT);
    CHECK(rm_tree(dir) == 0);
    DONE();
}
