/* libsystemd as the reference for the udsock tool's tests.
 *
 *   sdref listen          sd_listen_fds_with_names: prints "N fds", then per
 *                         fd "fd NAME TYPE"; answers one client on each
 *                         stream socket with its name; exits.
 *   sdref notify STATE [FILE...]
 *                         sd_pid_notify_with_fds(0, 0, STATE, fds of FILEs)
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <systemd/sd-daemon.h>

static const char *type_name(int fd) {
    if (sd_is_socket_unix(fd, SOCK_STREAM, 1, NULL, 0) > 0) return "stream";
    if (sd_is_socket_unix(fd, SOCK_SEQPACKET, 1, NULL, 0) > 0) return "seqpacket";
    if (sd_is_socket_unix(fd, SOCK_DGRAM, -1, NULL, 0) > 0) return "dgram";
    return "other";
}

int main(int argc, char **argv) {
    if (argc >= 2 && strcmp(argv[1], "listen") == 0) {
        char **names = NULL;
        int n = sd_listen_fds_with_names(1, &names);
        if (n < 0) { fprintf(stderr, "sd_listen_fds_with_names: %s\n", strerror(-n)); return 1; }
        printf("%d fds\n", n);
        for (int i = 0; i < n; i++)
            printf("fd %d %s %s\n", SD_LISTEN_FDS_START + i, names ? names[i] : "-", type_name(SD_LISTEN_FDS_START + i));
        fflush(stdout);
        for (int i = 0; i < n; i++) {
            int fd = SD_LISTEN_FDS_START + i;
            int accepting = 0;
            socklen_t len = sizeof accepting;
            getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &accepting, &len);
            if (accepting) {
                int c = accept(fd, NULL, NULL);
                if (c < 0 || write(c, names[i], strlen(names[i])) < 0) return 1;
                close(c);
            }
        }
        return 0;
    }
    if (argc >= 3 && strcmp(argv[1], "notify") == 0) {
        int fds[16], n = 0;
        for (int i = 3; i < argc && n < 16; i++)
            if ((fds[n++] = open(argv[i], O_RDONLY | O_CLOEXEC)) < 0) { perror(argv[i]); return 1; }
        int r = sd_pid_notify_with_fds(0, 0, argv[2], fds, n);
        if (r <= 0) { fprintf(stderr, "sd_pid_notify_with_fds: %d\n", r); return 1; }
        return 0;
    }
    fprintf(stderr, "usage: sdref listen | sdref notify STATE [FILE...]\n");
    return 2;
}
