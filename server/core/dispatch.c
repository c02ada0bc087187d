#include "dispatch.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app.h"
#include "conn.h"
#include "ratelimit.h"
#include "log.h"
#include "session.h"

/* At most this many bad requests within BAD_WINDOW_MS before a close. */
#define BAD_LIMIT     CONN_BAD_REQUESTS
#define BAD_WINDOW_MS 60000
#define REPLY_LIMIT   (8 * 1024 * 1024)

struct table {
    const struct request_def *defs;
    size_t count;
};

static struct table tables[DISPATCH_TABLES_MAX];
static size_t table_count;

void dispatch_register(const struct request_def *table, size_t count)
{
    if (table_count < DISPATCH_TABLES_MAX) {
        tables[table_count].defs = table;
        tables[table_count].count = count;
        table_count++;
    }
}

static const struct request_def *find_request(const char *name)
{
    for (size_t t = 0; t < table_count; t++) {
        for (size_t i = 0; i < tables[t].count; i++) {
            if (strcmp(tables[t].defs[i].name, name) == 0) {
                return &tables[t].defs[i];
            }
        }
    }
    return NULL;
}

enum status req_fail(struct req *r, enum status st, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(r->why, sizeof(r->why), fmt, ap);
    va_end(ap);
    return st;
}

void reply_begin(struct proto_writer *w, const struct req_ref *ref, uint32_t fields)
{
    proto_writer_init(w, REPLY_LIMIT);
    proto_put_map(w, fields + (ref->has_id ? 2 : 1));
    proto_kv_cstr(w, "type", "ok");
    if (ref->has_id) {
        proto_kv_uint(w, "id", ref->id);
    }
}

void reply_send(const struct req_ref *ref, struct proto_writer *w)
{
    struct proto_buf *b = proto_writer_finish(w);
    struct conn *c = conn_find(ref->conn);
    if (b == NULL) {
        if (c != NULL) {
            reply_fail(ref, STATUS_INTERNAL, "reply too large");
        }
        return;
    }
    if (c != NULL) {
        conn_reply(c, b);
    }
    proto_buf_unref(b);
}

void reply_empty(const struct req_ref *ref)
{
    struct proto_writer w;
    reply_begin(&w, ref, 0);
    reply_send(ref, &w);
}

static const char *default_message(enum status st)
{
    switch (st) {
    case STATUS_BAD_REQUEST:
        return "the request is malformed";
    case STATUS_UNAUTHENTICATED:
        return "log in first";
    case STATUS_FORBIDDEN:
        return "not allowed";
    case STATUS_NOT_FOUND:
        return "no such thing";
    case STATUS_CONFLICT:
        return "conflicts with the current state";
    case STATUS_TOO_LARGE:
        return "too large";
    case STATUS_RATE_LIMITED:
        return "too many requests";
    case STATUS_UNAVAILABLE:
        /* When the disk refuses writes, retrying soon will not help: say so. */
        if (app.store != NULL && store_write_trouble(app.store) != NULL) {
            return store_write_trouble(app.store);
        }
        return "temporarily unavailable; retry";
    default:
        return "internal error";
    }
}

static void send_error(const struct req_ref *ref, enum status st, const char *message,
                       uint64_t retry_ms)
{
    struct conn *c = conn_find(ref->conn);
    if (c == NULL) {
        return;
    }
    if (message == NULL || message[0] == '\0') {
        message = default_message(st);
    }

    struct proto_writer w;
    proto_writer_init(&w, 4096);
    bool limited = st == STATUS_RATE_LIMITED;
    proto_put_map(&w, 3 + (ref->has_id ? 1 : 0) + (limited ? 1 : 0));
    proto_kv_cstr(&w, "type", "error");
    if (ref->has_id) {
        proto_kv_uint(&w, "id", ref->id);
    }
    proto_kv_cstr(&w, "code", status_code(st));
    proto_kv_cstr(&w, "message", message);
    if (limited) {
        proto_kv_uint(&w, "retry_ms", retry_ms == 0 ? 1000 : retry_ms);
    }
    struct proto_buf *b = proto_writer_finish(&w);
    if (b != NULL) {
        conn_reply(c, b);
        proto_buf_unref(b);
    }
}

void reply_fail(const struct req_ref *ref, enum status st, const char *message)
{
    send_error(ref, st, message, 0);
}

void reply_limited(const struct req_ref *ref, uint64_t retry_ms, const char *message)
{
    send_error(ref, STATUS_RATE_LIMITED, message, retry_ms);
}

void event_begin(struct proto_writer *w, const char *type, uint32_t fields)
{
    proto_writer_init(w, REPLY_LIMIT);
    proto_put_map(w, fields + 1);
    proto_kv_cstr(w, "type", type);
}

enum status req_uint(struct req *r, const char *key, uint64_t *out)
{
    enum status st = proto_get_uint(r->msg, key, out);
    if (st != STATUS_OK) {
        return req_fail(r, STATUS_BAD_REQUEST, "`%s` must be an unsigned integer", key);
    }
    return STATUS_OK;
}

enum status req_str(struct req *r, const char *key, const char **s, size_t *len)
{
    enum status st = proto_get_str(r->msg, key, s, len);
    if (st != STATUS_OK) {
        return req_fail(r, STATUS_BAD_REQUEST, "`%s` must be a string", key);
    }
    /* No field of the protocol holds a NUL byte; refusing it here keeps C
     * string handling from reading "umkm\0admin" as "umkm". */
    if (strlen(*s) != *len) {
        return req_fail(r, STATUS_BAD_REQUEST, "`%s` must not contain NUL bytes", key);
    }
    return STATUS_OK;
}

enum status req_opt_uint(struct req *r, const char *key, uint64_t def, uint64_t *out)
{
    enum status st = proto_get_uint(r->msg, key, out);
    if (st == STATUS_NOT_FOUND) {
        *out = def;
        return STATUS_OK;
    }
    if (st != STATUS_OK) {
        return req_fail(r, STATUS_BAD_REQUEST, "`%s` must be an unsigned integer", key);
    }
    return STATUS_OK;
}

/* Counts a bad request; past the limit the connection closes with 1008. */
static void note_bad_request(struct conn *c)
{
    if (c->bad_times == NULL) {
        c->bad_times = calloc(BAD_LIMIT, sizeof(*c->bad_times));
        if (c->bad_times == NULL) {
            conn_close(c, CONN_CLOSE_TRY_LATER, "out of memory", true);
            return;
        }
    }
    uint64_t now = conn_now_ms();
    c->bad_times[c->bad_next] = now;
    c->bad_next = (c->bad_next + 1) % BAD_LIMIT;

    /* The ring holds the last BAD_LIMIT times; the next slot is the oldest. */
    uint64_t oldest = c->bad_times[c->bad_next];
    if (oldest != 0 && now - oldest < BAD_WINDOW_MS) {
        log_warn("dispatch", "closing abusive connection", "conn=%llu", (unsigned long long)c->id);
        conn_close(c, CONN_CLOSE_POLICY, "too many bad requests", true);
    }
}

static enum status check_access(const struct request_def *def, struct req *r)
{
    const struct conn *c = r->conn;
    if (def->needs_user && c->session.user == 0) {
        return STATUS_UNAUTHENTICATED;
    }
    if (def->needs_user && (def->roles & c->session.role) == 0) {
        return STATUS_FORBIDDEN;
    }
    /* Budgets are the user's, shared by all their connections, and count
     * every request of a logged-in connection, ping included. Anonymous
     * ones can only ping and log in, which has limits of its own. */
    if (c->session.user == 0) {
        return STATUS_OK;
    }
    bool write = (def->flags & REQ_WRITE) != 0;
    if (ratelimit_request(c->session.user, write, conn_now_ms(), &r->retry_ms) != STATUS_OK) {
        log_debug("dispatch", "rate limited", "user=%llu type=%s",
                  (unsigned long long)c->session.user, def->name);
        return req_fail(r, STATUS_RATE_LIMITED,
                        write ? "too many writes; slow down" : "too many requests; slow down");
    }
    return STATUS_OK;
}

static void handle(struct req *r)
{
    const char *type = NULL;
    size_t type_len = 0;
    proto_get_str(r->msg, "type", &type, &type_len);
    const struct request_def *def = strlen(type) == type_len ? find_request(type) : NULL;
    if (def == NULL) {
        req_fail(r, STATUS_BAD_REQUEST, "unknown request type");
        reply_fail(&r->ref, STATUS_BAD_REQUEST, r->why);
        note_bad_request(r->conn);
        return;
    }

    enum status st = check_access(def, r);
    if (st == STATUS_OK) {
        st = def->handler(r);
    }
    if (st != STATUS_OK && st != STATUS_PENDING) {
        log_debug("dispatch", "request failed", "conn=%llu type=%s code=%s",
                  (unsigned long long)r->conn->id, def->name, status_code(st));
        send_error(&r->ref, st, r->why, r->retry_ms);
        if (st == STATUS_BAD_REQUEST) {
            note_bad_request(r->conn);
        }
    }
}

void dispatch_frame(struct conn *c, const uint8_t *buf, size_t len)
{
    struct req r = {.conn = c, .ref = {.conn = c->id}};
    struct proto_msg *msg = NULL;
    const char *why = NULL;

    enum status st = proto_decode(buf, len, SIZE_MAX, &msg, &why);
    if (st != STATUS_OK) {
        log_debug("dispatch", "undecodable frame", "conn=%llu bytes=%zu", (unsigned long long)c->id,
                  len);
        reply_fail(&r.ref, STATUS_BAD_REQUEST, why);
        note_bad_request(c);
        return;
    }

    r.msg = msg;
    r.ref.has_id = proto_msg_id(msg, &r.ref.id);
    if (!r.ref.has_id) {
        reply_fail(&r.ref, STATUS_BAD_REQUEST, "`id` must be an unsigned integer");
        note_bad_request(c);
    } else {
        handle(&r);
    }
    proto_msg_free(msg);
}
