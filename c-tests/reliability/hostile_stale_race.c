/* Stale-socket replacement under attack. Each round leaves a stale socket
   at <dir>/s, puts the attacker's object at <dir>/a, and while
   uds_listener(UDS_REPLACE_STALE) and then uds_close run on <dir>/s, an
   attacker thread swaps the two names as fast as it can
   (renameat2 RENAME_EXCHANGE), so the name changes between every check
   and every removal the library makes. The attacker's object is, by turns:
     symlink  a symlink to a victim file in another directory;
     file     the victim regular file itself;
     live     a live listening socket (mode 0666) that another server owns.
   After every round, with the attacker stopped: the victim is still there,
   same inode, same bytes, same mode; the live socket still accepts; the
   object is under one of its two names (not left at a hidden one); nothing
   else is left in the directory. Rounds: 3 x 500 quick, 3 x 2000 full. */
#define _GNU_SOURCE
#include <pthread.h>
#include <sys/socket.h>
#include <sys/un.h>
#include "rel.h"

enum kind { SYMLINK, FILE_ITSELF, LIVE, N_KINDS };
static const char *kind_name[] = {"symlink", "file", "live"};

static int dfd;             /* the test directory */
static char victim[128];    /* the symlink's target, in a sibling directory */
static struct stat victim_st, object_st;
static int live_fd = -1;    /* the live socket's listening fd */
static int stop_flag;       /* __atomic: the attacker stops */

static void *attacker(void *arg) {
    unsigned long *swaps = arg;
    while (!__atomic_load_n(&stop_flag, __ATOMIC_RELAXED))
        if (renameat2(dfd, "s", dfd, "a", RENAME_EXCHANGE) == 0)
            ++*swaps;
    return NULL;
}

static void sockaddr_at(struct sockaddr_un *sun, const char *name) {
    memset(sun, 0, sizeof *sun);
    sun->sun_family = AF_UNIX;
    MUST(snprintf(sun->sun_path, sizeof sun->sun_path, "%s/%s", rel_dir, name) <
         (int)sizeof sun->sun_path);
}

/* A socket file nobody listens on at <dir>/s, as a crashed server leaves. */
static void make_stale(void) {
    struct sockaddr_un sun;
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_at(&sun, "s");
    MUST(fd >= 0 && bind(fd, (struct sockaddr *)&sun, sizeof sun) == 0);
    close(fd);
}

static int same_file(const struct stat *a, const struct stat *b) {
    return a->st_dev == b->st_dev && a->st_ino == b->st_ino && a->st_mode == b->st_mode;
}

/* Where the attacker's object is now: "s", "a", or NULL. */
static const char *find_object(void) {
    static const char *names[] = {"s", "a"};
    struct stat st;
    int i;
    for (i = 0; i < 2; i++)
        if (fstatat(dfd, names[i], &st, AT_SYMLINK_NOFOLLOW) == 0 && same_file(&st, &object_st))
            return names[i];
    return NULL;
}

static int victim_intact(void) {
    struct stat st;
    char buf[32];
    int fd = open(victim, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    ssize_t n;
    if (fd < 0)
        return 0;
    n = read(fd, buf, sizeof buf);
    fstat(fd, &st);
    close(fd);
    return n == 7 && memcmp(buf, "victim\n", 7) == 0 && same_file(&st, &victim_st);
}

static int live_accepts(const char *name) {
    struct sockaddr_un sun;
    int c = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0), ok, a;
    sockaddr_at(&sun, name);
    ok = c >= 0 && connect(c, (struct sockaddr *)&sun, sizeof sun) == 0;
    if (c >= 0)
        close(c);
    while ((a = accept(live_fd, NULL, NULL)) >= 0) /* empty the backlog */
        close(a);
    return ok;
}

/* Removes everything in the directory but the attacker's object; returns
   how many names other than s, a and s.lock were found. */
static int sweep(void) {
    DIR *d = fdopendir(openat(dfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    struct dirent *e;
    int strays = 0;
    const char *obj = find_object();
    MUST(d != NULL);
    while ((e = readdir(d)) != NULL) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..") || (obj && !strcmp(e->d_name, obj)))
            continue;
        if (strcmp(e->d_name, "s") && strcmp(e->d_name, "a") && strcmp(e->d_name, "s.lock")) {
            fprintf(stderr, "stray entry left: %s\n", e->d_name);
            strays++;
        }
        MUST(unlinkat(dfd, e->d_name, 0) == 0);
    }
    closedir(d);
    return strays;
}

/* What is in the directory, for the message of a failed round. */
static void list_dir(void) {
    DIR *d = fdopendir(openat(dfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    struct dirent *e;
    struct stat st;
    MUST(d != NULL);
    fprintf(stderr, "  object was inode %lu mode %o\n", (unsigned long)object_st.st_ino,
            (unsigned)object_st.st_mode);
    while ((e = readdir(d)) != NULL)
        if (fstatat(dfd, e->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0)
            fprintf(stderr, "  %s: inode %lu mode %o\n", e->d_name, (unsigned long)st.st_ino,
                    (unsigned)st.st_mode);
    closedir(d);
}

static void run(enum kind k, int rounds) {
    int round, bound = 0, refused = 0, errs[3] = {0, 0, 0};
    unsigned long swaps = 0;
    double t0 = now_s();

    /* The object, at "a". */
    if (k == SYMLINK) {
        MUST(symlinkat(victim, dfd, "a") == 0);
    } else if (k == FILE_ITSELF) {
        MUST(renameat(AT_FDCWD, victim, dfd, "a") == 0);
    } else {
        struct sockaddr_un sun;
        live_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
        sockaddr_at(&sun, "a");
        MUST(live_fd >= 0 && bind(live_fd, (struct sockaddr *)&sun, sizeof sun) == 0);
        MUST(fchmodat(dfd, "a", 0666, 0) == 0 && listen(live_fd, 64) == 0);
    }
    MUST(fstatat(dfd, "a", &object_st, AT_SYMLINK_NOFOLLOW) == 0);

    for (round = 0; round < rounds; round++) {
        pthread_t t;
        const char *obj;
        char path[100];
        int fd;

        make_stale();
        snprintf(path, sizeof path, "%s/s", rel_dir);
        __atomic_store_n(&stop_flag, 0, __ATOMIC_RELAXED);
        MUST(pthread_create(&t, NULL, attacker, &swaps) == 0);
        errno = 0;
        fd = uds_listener(path, SOCK_STREAM, 0, 0600, UDS_REPLACE_STALE);
        if (fd >= 0) {
            bound++;
            CHECK(uds_close(fd) == 0 || errno == ENOENT || errno == ENOTSOCK || errno == EADDRINUSE);
        } else {
            refused++;
            errs[errno == EADDRINUSE ? 0 : errno == EEXIST ? 1 : 2]++;
            if (errno != EADDRINUSE && errno != EEXIST)
                fprintf(stderr, "round %d: uds_listener: %s\n", round, uds_last_error());
        }
        __atomic_store_n(&stop_flag, 1, __ATOMIC_RELAXED);
        MUST(pthread_join(t, NULL) == 0);

        CHECK(k == FILE_ITSELF || victim_intact());
        obj = find_object();
        if (!obj) {
            CHECK(!"the attacker's object was removed or moved to another name");
            fprintf(stderr, "%s, round %d: object gone (%s)\n", kind_name[k], round, uds_last_error());
            list_dir();
            break;
        }
        if (k == LIVE)
            CHECK(live_accepts(obj));
        CHECK(sweep() == 0);
        if (strcmp(obj, "a") != 0)
            MUST(renameat(dfd, obj, dfd, "a") == 0);
    }
    CHECK(errs[2] == 0); /* only the contract's EADDRINUSE and EEXIST */

    if (k == FILE_ITSELF) {
        MUST(renameat(dfd, "a", AT_FDCWD, victim) == 0);
        CHECK(victim_intact());
    } else {
        MUST(unlinkat(dfd, "a", 0) == 0);
    }
    if (k == LIVE)
        close(live_fd);
    printf("# %s: %d rounds, %lu swaps; listener bound %d times (stale socket replaced), "
           "refused %d (EADDRINUSE %d, EEXIST %d, other %d); victim intact (%.1f s)\n",
           kind_name[k], round, swaps, bound, refused, errs[0], errs[1], errs[2], now_s() - t0);
}

int main(void) {
    int rounds = (int)rel_size(30, 500, 2000), fd;
    char vdir[100];
    enum kind k;

    rel_tmpdir("stale-race");
    snprintf(vdir, sizeof vdir, "%s/victims", rel_dir);
    MUST(mkdir(vdir, 0700) == 0);
    snprintf(victim, sizeof victim, "%s/victim", vdir);
    fd = open(victim, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    MUST(fd >= 0 && write(fd, "victim\n", 7) == 7 && close(fd) == 0);
    MUST(stat(victim, &victim_st) == 0);
    snprintf(vdir, sizeof vdir, "%s/d", rel_dir);
    MUST(mkdir(vdir, 0700) == 0);
    MUST((dfd = open(vdir, O_PATH | O_DIRECTORY | O_CLOEXEC)) >= 0);
    strcat(rel_dir, "/d"); /* the names s and a live in <tmp>/d */

    for (k = SYMLINK; k < N_KINDS; k++)
        run(k, rounds);

    CHECK(victim_intact());
    close(dfd);
    rel_dir[strlen(rel_dir) - 2] = '\0';
    rel_cleanup();
    DONE();
}
