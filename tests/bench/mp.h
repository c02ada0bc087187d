/*
 * A minimal msgpack reader and writer for the load generator.
 *
 * The reader scans a server frame in place and allocates nothing: it finds the
 * few fields the load generator acts on (`type`, `id`, `seq`, `body`, `code`,
 * `token`) in one map and remembers where the nested `user`, `room` and
 * `messages` values start, so the caller can scan those in turn. It checks
 * every length against the bytes that remain and refuses nesting deeper than
 * MP_MAX_DEPTH, but it does not validate UTF-8: the server's codec already
 * promises well-formed frames (PROTOCOL.md section 5), and a scanner that
 * trusts less than it needs to would cost the hot path.
 *
 * The writer appends the few value kinds a request needs to a caller's fixed
 * buffer. Single-threaded; no global state.
 */
#ifndef KOLAB_BENCH_MP_H
#define KOLAB_BENCH_MP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define MP_MAX_DEPTH 16

/* The fields of one map that the load generator reads. Strings and nested
 * values are borrowed from the frame; absent fields have a NULL pointer (or
 * has_* false). */
struct mp_fields {
    const char *type;
    size_t type_len;
    bool has_id;
    uint64_t id;
    bool has_seq;
    uint64_t seq;
    const char *body;
    size_t body_len;
    const char *code;
    size_t code_len;
    const char *token;
    size_t token_len;
    const uint8_t *user;     /* the `user` value: a map */
    const uint8_t *room;     /* the `room` value: a map */
    const uint8_t *messages; /* the first item of the `messages` array */
    uint32_t n_messages;
};

/* A cursor over a frame: [p, end). */
struct mp_reader {
    const uint8_t *p;
    const uint8_t *end;
};

/*
 * Reads the header of the frame's top value: a map (one message) or an array
 * of maps (several). Sets *count to the number of messages and leaves the
 * reader on the first map. Returns false for anything else.
 */
bool mp_frame_begin(struct mp_reader *r, uint32_t *count);

/* Scans the map under the reader into *f and moves past it. Returns false on
 * a malformed or truncated value (the reader is then unusable). */
bool mp_scan_map(struct mp_reader *r, struct mp_fields *f);

/* Moves past one value of any kind. Returns false when it is malformed. */
bool mp_skip(struct mp_reader *r);

/* True when the string (s, len) equals the NUL-terminated `lit`. */
bool mp_eq(const char *s, size_t len, const char *lit);

/* An output buffer with a fixed capacity; `failed` is set once a put would
 * pass `cap`, and later puts do nothing. */
struct mp_writer {
    uint8_t *buf;
    size_t len;
    size_t cap;
    bool failed;
};

void mp_writer_init(struct mp_writer *w, uint8_t *buf, size_t cap);
void mp_put_map(struct mp_writer *w, uint32_t pairs);
void mp_put_array(struct mp_writer *w, uint32_t items);
void mp_put_str(struct mp_writer *w, const char *s, size_t len);
void mp_put_cstr(struct mp_writer *w, const char *s);
void mp_put_uint(struct mp_writer *w, uint64_t v);

#endif
