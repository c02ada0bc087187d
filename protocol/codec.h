/*
 * The Kolab wire codec: msgpack in, msgpack out, described in PROTOCOL.md.
 *
 * Decoding is strict. A frame is checked against the size cap before a byte
 * is parsed; every declared array, map, string and binary length is checked
 * against the bytes that remain; nesting deeper than PROTO_MAX_DEPTH is
 * refused; the frame must hold exactly one value, a map with string keys, and
 * nothing after it; every string must be valid UTF-8. Anything else is
 * STATUS_BAD_REQUEST (or STATUS_TOO_LARGE for the size cap).
 *
 * Encoding writes into a struct proto_buf: a reference-counted buffer with
 * PROTO_HEADROOM bytes free in front of the payload, so the transport can
 * frame it in place. An event is encoded once and every recipient holds a
 * reference to the same bytes.
 *
 * This is the only module that includes msgpack. Single-threaded use per
 * object; separate objects may be used on separate threads.
 */
#ifndef KOLAB_CODEC_H
#define KOLAB_CODEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "status.h"

/* Default cap on one incoming frame. */
#define PROTO_MAX_FRAME (64 * 1024)
/* Deepest nesting accepted: the top map is depth 1. */
#define PROTO_MAX_DEPTH 8
/* Bytes kept free before every encoded payload for the transport's header
 * (libwebsockets' LWS_PRE); the network layer checks that it is enough. */
#define PROTO_HEADROOM 32

/* ---- decoding ---------------------------------------------------------- */

/* A decoded request or event: a map with string keys. Owns all its memory,
 * including a copy of the frame, so it outlives the buffer it came from. */
struct proto_msg;

/*
 * Decodes one frame of `len` bytes. Frames longer than `max_len` give
 * STATUS_TOO_LARGE without being parsed. On success *out is a new message the
 * caller owns (free with proto_msg_free). On failure *out is NULL and, when
 * `why` is not NULL, *why points to a static English phrase for the error.
 * A map without a string `type` is STATUS_BAD_REQUEST.
 */
enum status proto_decode(const uint8_t *buf, size_t len, size_t max_len, struct proto_msg **out,
                         const char **why);

void proto_msg_free(struct proto_msg *m);

/* The value of `type`; borrowed from `m`, NUL-terminated. */
const char *proto_msg_type(const struct proto_msg *m);

/* The request `id` when present and an unsigned integer. */
bool proto_msg_id(const struct proto_msg *m, uint64_t *id);

/*
 * Field accessors. Each returns STATUS_OK with the value, STATUS_NOT_FOUND
 * when the key is absent or nil, and STATUS_BAD_REQUEST when it holds another
 * type. Strings are borrowed from `m`; they are NUL-terminated and also have
 * their length reported (a string may itself contain NUL bytes).
 */
enum status proto_get_uint(const struct proto_msg *m, const char *key, uint64_t *out);
enum status proto_get_bool(const struct proto_msg *m, const char *key, bool *out);
enum status proto_get_str(const struct proto_msg *m, const char *key, const char **s, size_t *len);

/* An array of unsigned integers. STATUS_TOO_LARGE when it holds more than
 * `cap` elements, STATUS_BAD_REQUEST when any element is not one. */
enum status proto_get_uint_array(const struct proto_msg *m, const char *key, uint64_t *out,
                                 size_t cap, size_t *n);

/* An array of strings, each copied with a closing NUL into its own slot of
 * `item_cap` bytes in `out` (`cap` slots). STATUS_TOO_LARGE when it holds
 * more than `cap` elements or an element of item_cap bytes or more,
 * STATUS_BAD_REQUEST when any element is not a string or holds a NUL. */
enum status proto_get_str_array(const struct proto_msg *m, const char *key, char *out,
                                size_t item_cap, size_t cap, size_t *n);

/* ---- encoding ---------------------------------------------------------- */

/* A shared encoded frame. `data` holds PROTO_HEADROOM spare bytes, then
 * `len` bytes of payload. */
struct proto_buf {
    uint32_t refs;
    size_t len;
    size_t cap;
    uint8_t data[];
};

static inline uint8_t *proto_buf_payload(struct proto_buf *b)
{
    return b->data + PROTO_HEADROOM;
}

/* A buffer with room for `cap` payload bytes, one reference, len 0. NULL when
 * out of memory. */
struct proto_buf *proto_buf_new(size_t cap);
void proto_buf_ref(struct proto_buf *b);
/* Drops one reference; frees the buffer with the last. NULL is ignored. */
void proto_buf_unref(struct proto_buf *b);

/*
 * Builds one msgpack value. Stack-allocated; start with proto_writer_init.
 * The put functions never fail loudly: after an allocation failure or once
 * the payload would pass `limit`, the writer is marked failed, later puts do
 * nothing, and proto_writer_finish returns NULL. Map and array headers take
 * the element count up front.
 */
struct proto_writer {
    struct proto_buf *buf;
    size_t limit;
    bool failed;
};

void proto_writer_init(struct proto_writer *w, size_t limit);
void proto_put_map(struct proto_writer *w, uint32_t pairs);
void proto_put_array(struct proto_writer *w, uint32_t items);
void proto_put_str(struct proto_writer *w, const char *s, size_t len);
void proto_put_cstr(struct proto_writer *w, const char *s);
void proto_put_uint(struct proto_writer *w, uint64_t v);
void proto_put_bool(struct proto_writer *w, bool v);
/* Always the 9-byte float64 form, so readers see one type for a field. */
void proto_put_double(struct proto_writer *w, double v);
void proto_put_nil(struct proto_writer *w);

/* Key and value in one call, for map bodies. */
void proto_kv_str(struct proto_writer *w, const char *key, const char *s, size_t len);
void proto_kv_cstr(struct proto_writer *w, const char *key, const char *s);
void proto_kv_uint(struct proto_writer *w, const char *key, uint64_t v);
void proto_kv_bool(struct proto_writer *w, const char *key, bool v);
void proto_kv_double(struct proto_writer *w, const char *key, double v);

/* Hands over the encoded value; the caller owns the one reference. NULL when
 * the writer failed (its memory is released either way). */
struct proto_buf *proto_writer_finish(struct proto_writer *w);

/* Releases a writer that will not be finished. */
void proto_writer_discard(struct proto_writer *w);

/* Writes the msgpack header of an array of `items` into `out` (at most 5
 * bytes) and returns its length: used to join queued events into one frame. */
size_t proto_array_header(uint8_t out[5], uint32_t items);

#endif
