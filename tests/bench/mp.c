/* The load generator's msgpack scanner and writer; see mp.h. */
#include "mp.h"

#include <string.h>

static bool mp_need(const struct mp_reader *r, size_t n)
{
    return (size_t)(r->end - r->p) >= n;
}

static uint64_t mp_be(const uint8_t *p, size_t n)
{
    uint64_t v = 0;
    for (size_t i = 0; i < n; i++) {
        v = (v << 8) | p[i];
    }
    return v;
}

/* Reads a header of width `n` bytes after the type byte and moves past it. */
static bool mp_take(struct mp_reader *r, size_t n, uint64_t *v)
{
    if (!mp_need(r, n)) {
        return false;
    }
    *v = mp_be(r->p, n);
    r->p += n;
    return true;
}

static bool mp_read_map_header(struct mp_reader *r, uint32_t *pairs)
{
    if (!mp_need(r, 1)) {
        return false;
    }
    uint8_t b = *r->p++;
    uint64_t v;
    if ((b & 0xf0) == 0x80) {
        *pairs = b & 0x0f;
        return true;
    }
    if ((b == 0xde && mp_take(r, 2, &v)) || (b == 0xdf && mp_take(r, 4, &v))) {
        *pairs = (uint32_t)v;
        return true;
    }
    return false;
}

static bool mp_read_array_header(struct mp_reader *r, uint32_t *items)
{
    if (!mp_need(r, 1)) {
        return false;
    }
    uint8_t b = *r->p++;
    uint64_t v;
    if ((b & 0xf0) == 0x90) {
        *items = b & 0x0f;
        return true;
    }
    if ((b == 0xdc && mp_take(r, 2, &v)) || (b == 0xdd && mp_take(r, 4, &v))) {
        *items = (uint32_t)v;
        return true;
    }
    return false;
}

static bool mp_read_str(struct mp_reader *r, const char **s, size_t *len)
{
    if (!mp_need(r, 1)) {
        return false;
    }
    uint8_t b = *r->p++;
    uint64_t n;
    if ((b & 0xe0) == 0xa0) {
        n = b & 0x1f;
    } else if (!((b == 0xd9 && mp_take(r, 1, &n)) || (b == 0xda && mp_take(r, 2, &n)) ||
                 (b == 0xdb && mp_take(r, 4, &n)))) {
        return false;
    }
    if (!mp_need(r, n)) {
        return false;
    }
    *s = (const char *)r->p;
    *len = n;
    r->p += n;
    return true;
}

/* An unsigned integer in any width; false for another type (the reader is
 * then left past the value's first byte, so callers only use it on a value
 * whose type they have peeked). */
static bool mp_read_uint(struct mp_reader *r, uint64_t *v)
{
    if (!mp_need(r, 1)) {
        return false;
    }
    uint8_t b = *r->p;
    if (b <= 0x7f) {
        r->p++;
        *v = b;
        return true;
    }
    if (b >= 0xcc && b <= 0xcf) {
        r->p++;
        return mp_take(r, (size_t)1 << (b - 0xcc), v);
    }
    return false;
}

bool mp_frame_begin(struct mp_reader *r, uint32_t *count)
{
    if (!mp_need(r, 1)) {
        return false;
    }
    uint8_t b = *r->p;
    if ((b & 0xf0) == 0x80 || b == 0xde || b == 0xdf) {
        *count = 1;
        return true;
    }
    return mp_read_array_header(r, count);
}

/* Skips `n` values; `depth` counts the containers around them. */
static bool mp_skip_n(struct mp_reader *r, uint64_t n, int depth)
{
    if (depth > MP_MAX_DEPTH) {
        return false;
    }
    for (uint64_t i = 0; i < n; i++) {
        if (!mp_need(r, 1)) {
            return false;
        }
        uint8_t b = *r->p++;
        uint64_t len = 0;
        uint64_t items = 0;
        if (b <= 0x7f || b >= 0xe0 || b == 0xc0 || b == 0xc2 || b == 0xc3) {
            continue;
        } else if ((b & 0xf0) == 0x80) {
            items = 2 * (uint64_t)(b & 0x0f);
        } else if ((b & 0xf0) == 0x90) {
            items = b & 0x0f;
        } else if ((b & 0xe0) == 0xa0) {
            len = b & 0x1f;
        } else if (b == 0xc4 || b == 0xd9) {
            if (!mp_take(r, 1, &len)) {
                return false;
            }
        } else if (b == 0xc5 || b == 0xda) {
            if (!mp_take(r, 2, &len)) {
                return false;
            }
        } else if (b == 0xc6 || b == 0xdb) {
            if (!mp_take(r, 4, &len)) {
                return false;
            }
        } else if (b == 0xca || b == 0xce || b == 0xd2) {
            len = 4;
        } else if (b == 0xcb || b == 0xcf || b == 0xd3) {
            len = 8;
        } else if (b == 0xcc || b == 0xd0) {
            len = 1;
        } else if (b == 0xcd || b == 0xd1) {
            len = 2;
        } else if (b == 0xdc || b == 0xdd) {
            if (!mp_take(r, b == 0xdc ? 2 : 4, &items)) {
                return false;
            }
        } else if (b == 0xde || b == 0xdf) {
            if (!mp_take(r, b == 0xde ? 2 : 4, &items)) {
                return false;
            }
            items *= 2;
        } else if (b >= 0xd4 && b <= 0xd8) {
            len = 1 + ((uint64_t)1 << (b - 0xd4));
        } else if (b >= 0xc7 && b <= 0xc9) {
            if (!mp_take(r, (size_t)1 << (b - 0xc7), &len)) {
                return false;
            }
            len += 1;
        } else {
            return false;
        }
        if (!mp_need(r, len)) {
            return false;
        }
        r->p += len;
        if (items > 0 && !mp_skip_n(r, items, depth + 1)) {
            return false;
        }
    }
    return true;
}

bool mp_skip(struct mp_reader *r)
{
    return mp_skip_n(r, 1, 1);
}

bool mp_eq(const char *s, size_t len, const char *lit)
{
    return strlen(lit) == len && memcmp(s, lit, len) == 0;
}

/* Reads a string value when one is there; a nil or another type is skipped. */
static bool mp_scan_str(struct mp_reader *r, const char **s, size_t *len)
{
    uint8_t b = *r->p;
    if ((b & 0xe0) == 0xa0 || b == 0xd9 || b == 0xda || b == 0xdb) {
        return mp_read_str(r, s, len);
    }
    return mp_skip(r);
}

static bool mp_scan_uint(struct mp_reader *r, bool *has, uint64_t *v)
{
    uint8_t b = *r->p;
    if (b <= 0x7f || (b >= 0xcc && b <= 0xcf)) {
        *has = true;
        return mp_read_uint(r, v);
    }
    return mp_skip(r);
}

/* Reads the value of one key into *f, or skips it. */
static bool mp_scan_value(struct mp_reader *r, const char *k, size_t klen, struct mp_fields *f)
{
    if (mp_eq(k, klen, "type")) {
        return mp_scan_str(r, &f->type, &f->type_len);
    } else if (mp_eq(k, klen, "id")) {
        return mp_scan_uint(r, &f->has_id, &f->id);
    } else if (mp_eq(k, klen, "seq")) {
        return mp_scan_uint(r, &f->has_seq, &f->seq);
    } else if (mp_eq(k, klen, "body")) {
        return mp_scan_str(r, &f->body, &f->body_len);
    } else if (mp_eq(k, klen, "code")) {
        return mp_scan_str(r, &f->code, &f->code_len);
    } else if (mp_eq(k, klen, "token")) {
        return mp_scan_str(r, &f->token, &f->token_len);
    } else if (mp_eq(k, klen, "user")) {
        f->user = r->p;
    } else if (mp_eq(k, klen, "room")) {
        f->room = r->p;
    } else if (mp_eq(k, klen, "messages")) {
        struct mp_reader peek = *r;
        if (mp_read_array_header(&peek, &f->n_messages)) {
            f->messages = peek.p;
        }
    }
    return mp_skip(r);
}

bool mp_scan_map(struct mp_reader *r, struct mp_fields *f)
{
    memset(f, 0, sizeof(*f));
    uint32_t pairs;
    if (!mp_read_map_header(r, &pairs)) {
        return false;
    }
    for (uint32_t i = 0; i < pairs; i++) {
        const char *k;
        size_t klen;
        if (!mp_read_str(r, &k, &klen) || !mp_need(r, 1)) {
            return false;
        }
        if (!mp_scan_value(r, k, klen, f)) {
            return false;
        }
    }
    return true;
}

/* ---- writer ------------------------------------------------------------ */

void mp_writer_init(struct mp_writer *w, uint8_t *buf, size_t cap)
{
    w->buf = buf;
    w->len = 0;
    w->cap = cap;
    w->failed = false;
}

static void mp_put_bytes(struct mp_writer *w, const void *p, size_t n)
{
    if (w->failed || w->cap - w->len < n) {
        w->failed = true;
        return;
    }
    memcpy(w->buf + w->len, p, n);
    w->len += n;
}

/* A type byte followed by `v` in `n` big-endian bytes. */
static void mp_put_sized(struct mp_writer *w, uint8_t type, uint64_t v, size_t n)
{
    uint8_t b[9];
    b[0] = type;
    for (size_t i = 0; i < n; i++) {
        b[1 + i] = (uint8_t)(v >> (8 * (n - 1 - i)));
    }
    mp_put_bytes(w, b, 1 + n);
}

void mp_put_map(struct mp_writer *w, uint32_t pairs)
{
    if (pairs < 16) {
        mp_put_sized(w, (uint8_t)(0x80 | pairs), 0, 0);
    } else if (pairs <= 0xffff) {
        mp_put_sized(w, 0xde, pairs, 2);
    } else {
        mp_put_sized(w, 0xdf, pairs, 4);
    }
}

void mp_put_array(struct mp_writer *w, uint32_t items)
{
    if (items < 16) {
        mp_put_sized(w, (uint8_t)(0x90 | items), 0, 0);
    } else if (items <= 0xffff) {
        mp_put_sized(w, 0xdc, items, 2);
    } else {
        mp_put_sized(w, 0xdd, items, 4);
    }
}

void mp_put_str(struct mp_writer *w, const char *s, size_t len)
{
    if (len < 32) {
        mp_put_sized(w, (uint8_t)(0xa0 | len), 0, 0);
    } else if (len <= 0xff) {
        mp_put_sized(w, 0xd9, len, 1);
    } else if (len <= 0xffff) {
        mp_put_sized(w, 0xda, len, 2);
    } else {
        mp_put_sized(w, 0xdb, len, 4);
    }
    mp_put_bytes(w, s, len);
}

void mp_put_cstr(struct mp_writer *w, const char *s)
{
    mp_put_str(w, s, strlen(s));
}

void mp_put_uint(struct mp_writer *w, uint64_t v)
{
    if (v <= 0x7f) {
        mp_put_sized(w, (uint8_t)v, 0, 0);
    } else if (v <= 0xff) {
        mp_put_sized(w, 0xcc, v, 1);
    } else if (v <= 0xffff) {
        mp_put_sized(w, 0xcd, v, 2);
    } else if (v <= 0xffffffff) {
        mp_put_sized(w, 0xce, v, 4);
    } else {
        mp_put_sized(w, 0xcf, v, 8);
    }
}
