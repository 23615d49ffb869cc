/* Without /proc (a container or chroot that has not mounted it): every
   call on a path that fits sun_path works as with it, modes included; a
   longer path fails with ENAMETOOLONG and says why. The test unmounts
   /proc in a private mount namespace of its own; where it may not make
   one (no CAP_SYS_ADMIN, or a seccomp filter), it exits 77: skipped.
   Setting a mode without /proc needs fchmodat2 (Linux 6.6); where the
   kernel (or valgrind) does not know it, the test expects ENOSYS. */
#define _GNU_SOURCE
#include <sched.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <udsock.h>
#include "check.h"
#include "util.h"

/* Descriptors open below 1024, counted without /proc. */
static int open_fds(void) {
    int fd, n = 0;
    for (fd = 0; fd < 1024; fd++)
        n += fcntl(fd, F_GETFD) != -1;
    return n;
}

static int mode_is(const char *path, mode_t mode) {
    struct stat st;
    return lstat(path, &st) == 0 && S_ISSOCK(st.st_mode) && (st.st_mode & 07777) == mode;
}

/* Whether this kernel has fchmodat2 (452 on every architecture). */
static int have_fchmodat2(const char *dir) {
    return syscall(452, AT_FDCWD, dir, 0700, AT_SYMLINK_NOFOLLOW) == 0 || errno != ENOSYS;
}

static int connects(const char *path) {
    int c = uds_dial(path, SOCK_STREAM), ok = c >= 0;
    if (c >= 0)
        close(c);
    return ok;
}

int main(void) {
    static const int modes[] = {0600, 0640, 0666, 0777};
    char dir[64], path[200], stale[200], longp[300];
    struct stat st;
    int fd, fds, i, chmod_ok;
    mode_t old;

    /* "none": the kernel ignores source and type here, valgrind reads them. */
    if (unshare(CLONE_NEWNS) != 0 || mount("none", "/", "none", MS_REC | MS_PRIVATE, NULL) != 0 ||
        umount2("/proc", MNT_DETACH) != 0) {
        printf("cannot unmount /proc in a private mount namespace here (%s)\n", strerror(errno));
        return 77;
    }
    CHECK(access("/proc/self/fd", F_OK) != 0);
    fds = open_fds();
    CHECK(make_tmpdir(dir, sizeof dir, "noproc") == 0);
    snprintf(path, sizeof path, "%s/s", dir);
    old = umask(022);
    chmod_ok = have_fchmodat2(dir);

    /* Exactly the mode asked for, whatever the umask takes away; or, on a
       kernel without fchmodat2, ENOSYS and no socket file left behind. */
    for (i = 0; i < 4; i++) {
        if (!chmod_ok) {
            EXPECT_ERR(uds_listener(path, SOCK_STREAM, 0, modes[i], 0), ENOSYS, "uds_listener");
            CHECK(strstr(uds_last_error(), "fchmodat2") != NULL && lstat(path, &st) != 0);
            continue;
        }
        fd = uds_listener(path, SOCK_STREAM, 0, modes[i], 0);
        CHECK(fd >= 0 && mode_is(path, (mode_t)modes[i]) && connects(path));
        CHECK(uds_close(fd) == 0 && lstat(path, &st) != 0);
    }
    fd = uds_listener(path, SOCK_SEQPACKET, 0, -1, 0);
    CHECK(fd >= 0 && mode_is(path, 0755));
    CHECK(uds_close(fd) == 0);

    /* A stale socket is still replaced; a live one still refused. */
    snprintf(stale, sizeof stale, "%s/stale", dir);
    fd = uds_socket(SOCK_STREAM);
    CHECK(fd >= 0 && uds_bind(fd, stale) == 0 && close(fd) == 0);
    fd = uds_listener(stale, SOCK_STREAM, 0, chmod_ok ? 0600 : -1, UDS_REPLACE_STALE);
    CHECK(fd >= 0 && mode_is(stale, chmod_ok ? 0600 : 0755) && connects(stale));
    EXPECT_ERR(uds_listener(stale, SOCK_STREAM, 0, -1, UDS_REPLACE_STALE), EADDRINUSE, "uds_listener");
    CHECK(uds_close(fd) == 0 && lstat(stale, &st) != 0);

    /* uds_unlink_path removes a socket file, and only that. */
    fd = uds_socket(SOCK_DGRAM);
    CHECK(fd >= 0 && uds_bind(fd, path) == 0 && close(fd) == 0);
    CHECK(uds_unlink_path(path) == 0 && lstat(path, &st) != 0);

    /* A path longer than sun_path needs /proc: a clear ENAMETOOLONG. */
    CHECK(long_path(longp, dir, 200, 10) == 0);
    fd = uds_socket(SOCK_STREAM);
    EXPECT_ERR(uds_bind(fd, longp), ENAMETOOLONG, "uds_bind");
    CHECK(strstr(uds_last_error(), "/proc is not mounted") != NULL);
    EXPECT_ERR(uds_listener(longp, SOCK_STREAM, 0, 0600, 0), ENAMETOOLONG, "uds_listener");
    EXPECT_ERR(uds_dial(longp, SOCK_STREAM), ENAMETOOLONG, "uds_dial");
    CHECK(close(fd) == 0);

    umask(old);
    CHECK(rm_tree(dir) == 0);
    CHECK(open_fds() == fds);
    /* LeakSanitizer reads /proc at exit: give it back (this namespace's). */
    CHECK(mount("proc", "/proc", "proc", 0, NULL) == 0);
    DONE();
}
