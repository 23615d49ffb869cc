/* Permissions of pathname sockets against another user. Needs root (to
   drop to another uid in a child); as another user it says so and skips.
   - mode 0600: a child switched to uid/gid 65534 cannot connect (EACCES),
     to a stream listener or a datagram socket, on a short path and on a
     200-byte one (bound through /proc/self/fd/N/name); with 0666 it can,
     which shows the test itself is sound.
   - The window: with umask 0, a child of another uid connects to the path
     in a tight loop while the parent creates and closes 0600 listeners on
     it; not one connection may succeed (the mode is set on the unbound
     socket, before the file exists).
   Sizes: 300 listeners quick, 3000 full. */
#define _GNU_SOURCE
#include <grp.h>
#include <sys/socket.h>
#include "rel.h"

#define NOBODY 65534

static char short_path[128], long_path_buf[256];

static void drop_privileges(void) {
    MUST(setgroups(0, NULL) == 0 && setgid(NOBODY) == 0 && setuid(NOBODY) == 0);
    MUST(getuid() == NOBODY && geteuid() == NOBODY);
}

struct attempt {
    const char *path;
    int type;
};

/* In a child of another uid: 0 if it connected (and sent), else errno. */
static int try_as_other(void *arg) {
    struct attempt *a = arg;
    int fd;
    drop_privileges();
    if (a->type == SOCK_DGRAM) {
        fd = uds_socket(SOCK_DGRAM);
        if (uds_sendto(fd, "x", 1, a->path) == 1)
            return 0;
        return errno;
    }
    fd = uds_dial(a->path, a->type);
    return fd >= 0 ? 0 : errno;
}

static void modes(const char *path) {
    static const int types[] = {SOCK_STREAM, SOCK_SEQPACKET, SOCK_DGRAM};
    int t;
    for (t = 0; t < 3; t++) {
        struct attempt a;
        int srv = uds_listener(path, types[t], 0, 0600, UDS_REPLACE_STALE);
        CHECK(srv >= 0);
        a.path = path;
        a.type = types[t];
        CHECK(reap(spawn(try_as_other, &a)) == EACCES);
        CHECK(uds_close(srv) == 0);
        srv = uds_listener(path, types[t], 0, 0666, UDS_REPLACE_STALE);
        CHECK(srv >= 0);
        CHECK(reap(spawn(try_as_other, &a)) == 0);
        CHECK(uds_close(srv) == 0);
    }
    printf("# mode 0600: uid %d refused (EACCES) on a %zu-byte path, stream/seqpacket/datagram; "
           "0666: allowed\n", NOBODY, strlen(path));
}

static int stop_pipe[2], go_pipe[2];

/* Connects to short_path in a loop until the pipe closes; the exit
   status is the number of connections that succeeded (capped). */
static int racer(void *arg) {
    unsigned long tries = 0, refused = 0, absent = 0, dead = 0, other = 0;
    int connected = 0;
    struct pollfd p;
    (void)arg;
    close(stop_pipe[1]);
    close(go_pipe[0]);
    drop_privileges();
    p.fd = stop_pipe[0];
    p.events = POLLIN;
    tell(go_pipe[1], 'G');
    while (poll(&p, 1, 0) == 0) {
        int fd = uds_dial(short_path, SOCK_STREAM);
        tries++;
        if (fd >= 0) {
            connected++;
            close(fd);
        } else if (errno == EACCES) {
            refused++;
        } else if (errno == ENOENT) {
            absent++;
        } else if (errno == ECONNREFUSED) {
            dead++;
        } else {
            other++;
        }
    }
    printf("# racer (uid %d): %lu connects: %lu EACCES, %lu ENOENT, %lu ECONNREFUSED, %lu other, "
           "%d connected\n", NOBODY, tries, refused, absent, dead, other, connected);
    return connected > 100 ? 100 : connected;
}

static void window(void) {
    int rounds = (int)rel_size(30, 300, 3000), i, made = 0;
    mode_t old = umask(0);
    pid_t pid;
    MUST(pipe2(stop_pipe, O_CLOEXEC) == 0 && pipe2(go_pipe, O_CLOEXEC) == 0);
    pid = spawn(racer, NULL);
    close(stop_pipe[0]);
    close(go_pipe[1]);
    CHECK(heard(go_pipe[0]) == 'G');
    for (i = 0; i < rounds; i++) {
        int srv = uds_listener(short_path, SOCK_STREAM, 0, 0600, UDS_REPLACE_STALE);
        CHECK(srv >= 0);
        if (srv >= 0) {
            made++;
            CHECK(uds_close(srv) == 0);
        }
    }
    close(stop_pipe[1]);
    CHECK(reap(pid) == 0);
    close(go_pipe[0]);
    umask(old);
    printf("# %d listeners of mode 0600 created and closed under umask 0 while another uid "
           "raced to connect: none let it in\n", made);
}

int main(void) {
    if (geteuid() != 0) {
        printf("# skipped: not root, so no other uid to test with\n");
        DONE();
    }
    rel_tmpdir("perms");
    /* Others may search the directories, so only the socket's mode decides. */
    MUST(chmod(rel_dir, 0711) == 0);
    snprintf(short_path, sizeof short_path, "%s/s", rel_dir);
    MUST(long_path(long_path_buf, rel_dir, 200, 40) == 0);
    {
        char dir[256];
        char *slash;
        snprintf(dir, sizeof dir, "%s", long_path_buf);
        while ((slash = strrchr(dir, '/')) != NULL && strcmp(dir, rel_dir) != 0) {
            *slash = '\0';
            MUST(chmod(dir, 0711) == 0);
        }
    }
    modes(short_path);
    modes(long_path_buf);
    window();
    rel_cleanup();
    DONE();
}
