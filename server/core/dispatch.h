/*
 * The dispatcher: the step between a decoded frame and a feature.
 *
 * Each feature declares its requests in one table of struct request_def:
 * the request's name, whether it needs a logged-in user and which roles may
 * call it, and the handler. The dispatcher decodes a frame, finds the
 * request, checks the session, and calls the handler.
 *
 * A handler returns STATUS_OK after it has replied (reply_send or
 * reply_empty), STATUS_PENDING when the reply comes later (it keeps the
 * struct req_ref and answers with reply_send or reply_fail), or an error
 * status, which the dispatcher turns into the `error` reply. That turning of
 * a status into what the client sees happens only here (reply_fail).
 * Loop thread only.
 */
#ifndef KOLAB_DISPATCH_H
#define KOLAB_DISPATCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "codec.h"
#include "status.h"

struct conn;

/* What it takes to answer a request later: the connection may be gone by
 * then, so it is named by id. */
struct req_ref {
    uint64_t conn;
    uint64_t id;
    bool has_id;
};

/* The request being handled. `conn` and `msg` are borrowed for the call. */
struct req {
    struct conn *conn;
    const struct proto_msg *msg;
    struct req_ref ref;
    /* Set by a handler that fails, for the error reply's message. */
    char why[96];
    /* With STATUS_RATE_LIMITED: when a retry can succeed (0: a second). */
    uint64_t retry_ms;
};

/* Sets r->why (printf style) and returns `st`, for one-line failures. */
enum status req_fail(struct req *r, enum status st, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

typedef enum status (*request_fn)(struct req *r);

/* Flags of a request. A write stores or sends something other people see,
 * and takes from the user's message budget besides the request budget (see
 * ratelimit.h). */
#define REQ_WRITE 1u

struct request_def {
    const char *name;
    /* False for the few requests allowed before login. */
    bool needs_user;
    /* ROLE_* bits that may call it; ROLE_ANY for every role. */
    unsigned roles;
    request_fn handler;
    unsigned flags;
};

/* Registers a feature's table (static storage, `count` entries). At most
 * DISPATCH_TABLES_MAX tables; call at start-up. */
#define DISPATCH_TABLES_MAX 16
void dispatch_register(const struct request_def *table, size_t count);

/* Decodes and handles one frame from `c`. */
void dispatch_frame(struct conn *c, const uint8_t *buf, size_t len);

/* Writes the head of an `ok` reply to `ref` with room for `fields` more
 * key/value pairs, which the caller then writes. */
void reply_begin(struct proto_writer *w, const struct req_ref *ref, uint32_t fields);

/* Finishes `w` and queues it to the request's connection if still open. */
void reply_send(const struct req_ref *ref, struct proto_writer *w);

/* An `ok` reply with no fields. */
void reply_empty(const struct req_ref *ref);

/* The `error` reply for `st`; `message` is a short English sentence for
 * developers (may be NULL for the default one of the code). A
 * `rate_limited` error says a retry may succeed after a second. */
void reply_fail(const struct req_ref *ref, enum status st, const char *message);

/* The `rate_limited` error with the wait after which a retry can succeed. */
void reply_limited(const struct req_ref *ref, uint64_t retry_ms, const char *message);

/* Encodes `fields` pairs after a `type` into a new event buffer (the caller
 * writes the fields); finish with proto_writer_finish. */
void event_begin(struct proto_writer *w, const char *type, uint32_t fields);

/* Reads a required field; STATUS_BAD_REQUEST when absent or mistyped, with
 * the reply's message naming the field. */
enum status req_uint(struct req *r, const char *key, uint64_t *out);
enum status req_str(struct req *r, const char *key, const char **s, size_t *len);
/* The same for optional fields: STATUS_OK with `def` when absent. */
enum status req_opt_uint(struct req *r, const char *key, uint64_t def, uint64_t *out);

#endif
