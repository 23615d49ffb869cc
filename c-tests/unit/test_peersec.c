/* uds_peer_security with a security module, on any machine: this program
   defines getsockopt(2) itself, so that the library's calls come here
   (the executable's definition comes first, dynamically and statically).
   SO_PEERSEC answers with a label the way the modules do, its length
   counting a NUL (SELinux) or not (AppArmor, Smack); every other option
   goes to the kernel. Checked: the label and its length, ERANGE with the
   exact size needed and nothing of the label left in buf, at every cap. */
#define _GNU_SOURCE
#include <sys/socket.h>
#include <sys/syscall.h>
#include <udsock.h>
#include "check.h"
#include "util.h"

static const char *label = "system_u:system_r:init_t:s0";
static int counts_nul; /* whether the option's length counts the NUL */

int getsockopt(int fd, int level, int name, void *val, socklen_t *len) {
    if (level == SOL_SOCKET && name == SO_PEERSEC) {
        socklen_t need = (socklen_t)strlen(label) + (counts_nul ? 1 : 0);
        if (*len < need) {
            *len = need;
            errno = ERANGE;
            return -1;
        }
        memcpy(val, label, need);
        *len = need;
        return 0;
    }
    return (int)syscall(SYS_getsockopt, fd, level, name, val, len);
}

int main(void) {
    char buf[64];
    size_t n = strlen(label), cap;
    int sv[2];

    CHECK(uds_socketpair(SOCK_STREAM, sv) == 0);
    for (counts_nul = 0; counts_nul < 2; counts_nul++) {
        for (cap = 0; cap <= n + 2; cap++) {
            memset(buf, 'x', sizeof buf);
            if (cap > n) {
                CHECK(uds_peer_security(sv[0], buf, cap) == (int)n);
                CHECK(strcmp(buf, label) == 0);
                continue;
            }
            EXPECT_ERR(uds_peer_security(sv[0], cap ? buf : NULL, cap), ERANGE, "uds_peer_security");
            snprintf(buf + 32, 32, "needs %zu bytes", n + 1);
            CHECK(strstr(uds_last_error(), buf + 32) != NULL);
            CHECK(cap == 0 || buf[0] == '\0');
        }
    }
    /* The option really is asked of the kernel otherwise. */
    CHECK(uds_peer_cred(sv[0], &(uds_cred){0, 0, 0}) == 0);
    CHECK(close(sv[0]) == 0 && close(sv[1]) == 0);
    DONE();
}
