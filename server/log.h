/*
 * The one logger. Every line is logfmt on stderr:
 *
 *   ts=2026-12-03T09:15:02.114Z level=info mod=net msg="listening" port=8080
 *
 * `mod` names the module, `msg` is a short fixed sentence, and the optional
 * printf-style tail adds key=value pairs. Callers never pass message bodies,
 * passwords or tokens; user-chosen text goes through log_quote().
 * Loop thread or any thread: one line is one write(2), so lines never mix.
 */
#ifndef KOLAB_LOG_H
#define KOLAB_LOG_H

#include <stdbool.h>
#include <stddef.h>

enum log_level { LOG_ERROR, LOG_WARN, LOG_INFO, LOG_DEBUG };

void log_set_level(enum log_level level);
bool log_enabled(enum log_level level);

/* Parses "error", "warn", "info" or "debug". Returns false for anything else. */
bool log_level_parse(const char *name, enum log_level *out);

/* Writes one line when `level` is enabled. `kv` may be NULL; otherwise it is a
 * printf format producing space-separated key=value pairs. */
void log_emit(enum log_level level, const char *mod, const char *msg, const char *kv, ...)
    __attribute__((format(printf, 4, 5)));

/* Copies `s` into `out` as a logfmt value in double quotes, escaping quotes,
 * backslashes and control bytes and cutting it to fit `cap`. Returns `out`. */
const char *log_quote(const char *s, char *out, size_t cap);

#define log_error(mod, msg, ...) log_emit(LOG_ERROR, mod, msg, __VA_ARGS__)
#define log_warn(mod, msg, ...)  log_emit(LOG_WARN, mod, msg, __VA_ARGS__)
#define log_info(mod, msg, ...)  log_emit(LOG_INFO, mod, msg, __VA_ARGS__)
#define log_debug(mod, msg, ...) log_emit(LOG_DEBUG, mod, msg, __VA_ARGS__)

#endif
