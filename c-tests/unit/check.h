/* The assertions of the C tests: CHECK and EXPECT_ERR count results and
   print failures with file:line; main() ends with DONE(), which prints
   "N passed, M failed" and exits 1 if anything failed. pytest runs each
   test (c-tests/conftest.py); exit status 77 means "cannot run here". */
#ifndef UDS_CHECK_H
#define UDS_CHECK_H

#include <errno.h>
#include <stdio.h>
#include <string.h>

static int checks_passed, checks_failed;

#define CHECK(cond)                                                          \
    do {                                                                     \
        if (cond) {                                                          \
            checks_passed++;                                                 \
        } else {                                                             \
            checks_failed++;                                                 \
            fprintf(stderr, "%s:%d: CHECK(%s) failed (errno %d: %s)\n",      \
                    __FILE__, __LINE__, #cond, errno, uds_last_error());     \
        }                                                                    \
    } while (0)

/* The call returns -1 with errno `err` and a non-empty uds_last_error()
   naming the function. */
#define EXPECT_ERR(call, err, fname)                                         \
    do {                                                                     \
        long r_;                                                             \
        errno = 0;                                                           \
        r_ = (long)(call);                                                   \
        if (r_ == -1 && errno == (err) &&                                    \
            strncmp(uds_last_error(), fname ": ", strlen(fname) + 2) == 0) { \
            checks_passed++;                                                 \
        } else {                                                             \
            checks_failed++;                                                 \
            fprintf(stderr, "%s:%d: %s: got %ld errno %d (%s), want -1 %s\n", \
                    __FILE__, __LINE__, #call, r_, errno, uds_last_error(),  \
                    #err);                                                   \
        }                                                                    \
    } while (0)

#define DONE()                                                               \
    do {                                                                     \
        printf("%d passed, %d failed\n", checks_passed, checks_failed);      \
        return checks_failed ? 1 : 0;                                        \
    } while (0)

#endif
