#include "log.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#define LOG_LINE_MAX 1024

static enum log_level current_level = LOG_INFO;

static const char *const level_names[] = {"error", "warn", "info", "debug"};

void log_set_level(enum log_level level)
{
    current_level = level;
}

bool log_enabled(enum log_level level)
{
    return level <= current_level;
}

bool log_level_parse(const char *name, enum log_level *out)
{
    for (size_t i = 0; i < sizeof(level_names) / sizeof(level_names[0]); i++) {
        if (strcmp(name, level_names[i]) == 0) {
            *out = (enum log_level)i;
            return true;
        }
    }
    return false;
}

static size_t format_time(char *out, size_t cap)
{
    struct timeval tv;
    struct tm tm;

    gettimeofday(&tv, NULL);
    gmtime_r(&tv.tv_sec, &tm);
    size_t n = strftime(out, cap, "%Y-%m-%dT%H:%M:%S", &tm);
    int extra = snprintf(out + n, cap - n, ".%03dZ", (int)(tv.tv_usec / 1000));
    return n + (size_t)extra;
}

void log_emit(enum log_level level, const char *mod, const char *msg, const char *kv, ...)
{
    if (!log_enabled(level)) {
        return;
    }

    char line[LOG_LINE_MAX];
    char stamp[40];
    char quoted[160];
    format_time(stamp, sizeof(stamp));
    int n = snprintf(line, sizeof(line), "ts=%s level=%s mod=%s msg=%s", stamp, level_names[level],
                     mod, log_quote(msg, quoted, sizeof(quoted)));

    if (kv != NULL && n > 0 && (size_t)n < sizeof(line) - 2) {
        line[n++] = ' ';
        va_list ap;
        va_start(ap, kv);
        int m = vsnprintf(line + n, sizeof(line) - (size_t)n, kv, ap);
        va_end(ap);
        if (m > 0) {
            n += m;
        }
    }

    /* A line cut by the buffer still ends with a newline. */
    if (n < 0 || (size_t)n > sizeof(line) - 2) {
        n = sizeof(line) - 2;
    }
    line[n++] = '\n';
    ssize_t ignored = write(STDERR_FILENO, line, (size_t)n);
    (void)ignored;
}

const char *log_quote(const char *s, char *out, size_t cap)
{
    size_t n = 0;

    out[n++] = '"';
    for (; *s != '\0' && n + 4 < cap; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\') {
            out[n++] = '\\';
            out[n++] = (char)c;
        } else if (c < 0x20 || c == 0x7f) {
            out[n++] = '?';
        } else {
            out[n++] = (char)c;
        }
    }
    out[n++] = '"';
    out[n] = '\0';
    return out;
}
