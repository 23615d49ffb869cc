/*
 * log.h - the LOGI/LOGE macros of the "Unix Domain Sockets" demo.
 * Reconstructed from the post's execution example: the listener prefixes
 * "[LISTENER] ", the client nothing; the level is padded to five columns.
 */
#ifndef LOG_H
#define LOG_H

#include <stdarg.h>
#include <stdio.h>

#ifndef LOG_TAG
#define LOG_TAG ""
#endif

static void log_line(FILE *out, const char *level, const char *fmt, ...)
{
    va_list ap;

    fprintf(out, "%s%-5s ", LOG_TAG, level);
    va_start(ap, fmt);
    vfprintf(out, fmt, ap);
    va_end(ap);
    fputc('\n', out);
}

#define LOGI(...) log_line(stdout, "INFO", __VA_ARGS__)
#define LOGE(...) log_line(stderr, "ERROR", __VA_ARGS__)

#endif
