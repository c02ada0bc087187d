/*
 * The Kolab wire codec. PROTOCOL.md describes the format; this file enforces
 * it on the way in and produces it on the way out.
 *
 * Decoding happens in two passes over the frame. The first, the validation
 * pass, reads every value of the frame without allocating anything: each
 * header is read only when its bytes are present, each declared length is
 * compared with the bytes that remain before it is believed, containers
 * deeper than PROTO_MAX_DEPTH are refused, every map key anywhere in the
 * frame must be a string, and every string must be valid UTF-8. A frame that
 * claims four billion array items in ten bytes therefore costs a comparison,
 * not an allocation.
 *
 * Only a frame that passed is copied into a struct proto_msg: one allocation
 * holding an index of the top-level fields (key, offset of the value), the
 * copy of the frame, and NUL-terminated copies of the top-level string values.
 * The second pass builds that index; it trusts the first pass and so only
 * skips over values. Accessors search the index linearly, which beats any
 * cleverer structure for the handful of fields a request carries, and read
 * scalars straight from the copied frame. The index costs 40 bytes per
 * top-level field, so a frame made of nothing but tiny fields needs about
 * twenty times its size while it is decoded; the frame cap bounds that, and
 * the message lives only while its request is handled.
 *
 * Duplicate keys: the first occurrence wins. Later ones are validated like
 * everything else but never read. Rejecting them would need a sort or a hash
 * of every key, a cost paid on every frame to catch a mistake no conforming
 * encoder makes.
 *
 * Encoding goes through msgpack-c's packer, whose write callback appends to a
 * growing proto_buf; this is the only file that includes msgpack.
 */
#include "codec.h"

#include <assert.h>
#include <msgpack.h>
#include <stdlib.h>
#include <string.h>

/* ---- reading msgpack headers ------------------------------------------- */

/* What a value is, as far as Kolab cares. */
enum kind {
    K_BAD,
    K_NIL,
    K_FALSE,
    K_TRUE,
    K_UINT,  /* any non-negative integer, whatever its encoding */
    K_NINT,  /* a negative integer: never a valid Kolab field */
    K_FLOAT, /* kept only to be skipped */
    K_STR,
    K_BIN,
    K_EXT,
    K_ARRAY,
    K_MAP,
};

/* One header. `n` is the value of a K_UINT, the item count of an array, the
 * pair count of a map, or the number of body bytes that follow a float, str,
 * bin or ext (an ext's body includes its type byte). */
struct head {
    enum kind kind;
    uint64_t n;
};

/* The type bytes 0xc0-0xdf: `width` bytes of big-endian length or value
 * follow, then for the body kinds `fixed` more bytes beyond the length. */
struct tag {
    uint8_t kind;
    uint8_t width;
    uint8_t fixed;
};

#define TAG(byte) [(byte)-0xc0]

static const struct tag TAGS[32] = {
    TAG(0xc0) = {K_NIL, 0, 0},   /* nil */
    TAG(0xc1) = {K_BAD, 0, 0},   /* never used */
    TAG(0xc2) = {K_FALSE, 0, 0}, /* false */
    TAG(0xc3) = {K_TRUE, 0, 0},  /* true */
    TAG(0xc4) = {K_BIN, 1, 0},   /* bin 8 */
    TAG(0xc5) = {K_BIN, 2, 0},   /* bin 16 */
    TAG(0xc6) = {K_BIN, 4, 0},   /* bin 32 */
    TAG(0xc7) = {K_EXT, 1, 1},   /* ext 8: length, then type byte and data */
    TAG(0xc8) = {K_EXT, 2, 1},   /* ext 16 */
    TAG(0xc9) = {K_EXT, 4, 1},   /* ext 32 */
    TAG(0xca) = {K_FLOAT, 0, 4}, /* float 32 */
    TAG(0xcb) = {K_FLOAT, 0, 8}, /* float 64 */
    TAG(0xcc) = {K_UINT, 1, 0},  /* uint 8 */
    TAG(0xcd) = {K_UINT, 2, 0},  /* uint 16 */
    TAG(0xce) = {K_UINT, 4, 0},  /* uint 32 */
    TAG(0xcf) = {K_UINT, 8, 0},  /* uint 64 */
    TAG(0xd0) = {K_NINT, 1, 0},  /* int 8: K_UINT when not negative */
    TAG(0xd1) = {K_NINT, 2, 0},  /* int 16 */
    TAG(0xd2) = {K_NINT, 4, 0},  /* int 32 */
    TAG(0xd3) = {K_NINT, 8, 0},  /* int 64 */
    TAG(0xd4) = {K_EXT, 0, 2},   /* fixext 1: type byte and data */
    TAG(0xd5) = {K_EXT, 0, 3},   /* fixext 2 */
    TAG(0xd6) = {K_EXT, 0, 5},   /* fixext 4 */
    TAG(0xd7) = {K_EXT, 0, 9},   /* fixext 8 */
    TAG(0xd8) = {K_EXT, 0, 17},  /* fixext 16 */
    TAG(0xd9) = {K_STR, 1, 0},   /* str 8 */
    TAG(0xda) = {K_STR, 2, 0},   /* str 16 */
    TAG(0xdb) = {K_STR, 4, 0},   /* str 32 */
    TAG(0xdc) = {K_ARRAY, 2, 0}, /* array 16 */
    TAG(0xdd) = {K_ARRAY, 4, 0}, /* array 32 */
    TAG(0xde) = {K_MAP, 2, 0},   /* map 16 */
    TAG(0xdf) = {K_MAP, 4, 0},   /* map 32 */
};

/* A position in a frame. `why` is set by the validation pass on failure. */
struct reader {
    const uint8_t *p;
    const uint8_t *end;
    const char *why;
};

static size_t reader_left(const struct reader *r)
{
    return (size_t)(r->end - r->p);
}

static bool read_be(struct reader *r, unsigned width, uint64_t *v)
{
    if (reader_left(r) < width) {
        return false;
    }
    *v = 0;
    for (unsigned i = 0; i < width; i++) {
        *v = (*v << 8) | r->p[i];
    }
    r->p += width;
    return true;
}

/* The type bytes 0xc0-0xdf, described by TAGS. */
static bool read_tagged(struct reader *r, uint8_t t, struct head *h)
{
    const struct tag *tag = &TAGS[t - 0xc0];
    uint64_t v = 0;

    if (tag->kind == K_BAD || !read_be(r, tag->width, &v)) {
        return false;
    }
    h->kind = tag->kind;
    h->n = v + tag->fixed;

    /* A signed format is negative only when its top bit is set; a
     * non-negative value in a signed format is as good as an unsigned one. */
    if (tag->kind == K_NINT && (v >> (tag->width * 8 - 1)) == 0) {
        h->kind = K_UINT;
    }
    return true;
}

/* Reads the header of the next value and leaves `r` at its body. False when
 * the header is cut short or uses the reserved type byte 0xc1. */
static bool read_head(struct reader *r, struct head *h)
{
    if (r->p == r->end) {
        return false;
    }
    uint8_t t = *r->p++;

    if (t <= 0x7f) {
        *h = (struct head){K_UINT, t};
    } else if (t <= 0x8f) {
        *h = (struct head){K_MAP, t & 0x0f};
    } else if (t <= 0x9f) {
        *h = (struct head){K_ARRAY, t & 0x0f};
    } else if (t <= 0xbf) {
        *h = (struct head){K_STR, t & 0x1f};
    } else if (t >= 0xe0) {
        *h = (struct head){K_NINT, 0};
    } else {
        return read_tagged(r, t, h);
    }
    return true;
}

static bool has_body(enum kind k)
{
    return k == K_STR || k == K_BIN || k == K_EXT || k == K_FLOAT;
}

/* ---- UTF-8 ------------------------------------------------------------- */

/*
 * The length of the well-formed UTF-8 sequence at `s`, or 0. The ranges are
 * those of Unicode's table of well-formed byte sequences: narrowing the second
 * byte after E0, ED, F0 and F4 is what excludes overlong forms, the UTF-16
 * surrogates and code points above U+10FFFF; C0, C1 and F5-FF never start one.
 */
static size_t utf8_seq_len(const uint8_t *s, size_t left)
{
    uint8_t c = s[0];
    size_t n = 0;
    uint8_t lo = 0x80;
    uint8_t hi = 0xbf;

    if (c < 0x80) {
        return 1;
    } else if (c >= 0xc2 && c <= 0xdf) {
        n = 2;
    } else if (c >= 0xe0 && c <= 0xef) {
        n = 3;
        lo = c == 0xe0 ? 0xa0 : 0x80;
        hi = c == 0xed ? 0x9f : 0xbf;
    } else if (c >= 0xf0 && c <= 0xf4) {
        n = 4;
        lo = c == 0xf0 ? 0x90 : 0x80;
        hi = c == 0xf4 ? 0x8f : 0xbf;
    }
    if (n == 0 || left < n || s[1] < lo || s[1] > hi) {
        return 0;
    }
    for (size_t i = 2; i < n; i++) {
        if ((s[i] & 0xc0) != 0x80) {
            return 0;
        }
    }
    return n;
}

static bool utf8_valid(const uint8_t *s, size_t len)
{
    size_t i = 0;

    while (i < len) {
        size_t n = utf8_seq_len(s + i, len - i);
        if (n == 0) {
            return false;
        }
        i += n;
    }
    return true;
}

/* ---- the validation pass ------------------------------------------------ */

static bool scan_fail(struct reader *r, const char *why)
{
    r->why = why;
    return false;
}

static bool scan_head(struct reader *r, struct head *h)
{
    if (!read_head(r, h)) {
        return scan_fail(r, "truncated or reserved msgpack header");
    }
    return true;
}

/* The body of a float, str, bin or ext: present, and UTF-8 for a str. */
static bool scan_body(struct reader *r, const struct head *h)
{
    if (h->n > reader_left(r)) {
        return scan_fail(r, "declared length exceeds the frame");
    }
    if (h->kind == K_STR && !utf8_valid(r->p, (size_t)h->n)) {
        return scan_fail(r, "string is not valid UTF-8");
    }
    r->p += h->n;
    return true;
}

static bool scan_value(struct reader *r, int depth);

static bool scan_key(struct reader *r)
{
    struct head h;

    if (!scan_head(r, &h)) {
        return false;
    }
    if (h.kind != K_STR) {
        return scan_fail(r, "map key is not a string");
    }
    return scan_body(r, &h);
}

/* The items of an array or map at `depth` (the top map is depth 1). */
static bool scan_items(struct reader *r, const struct head *h, int depth)
{
    bool map = h->kind == K_MAP;
    size_t left = reader_left(r);

    if (depth > PROTO_MAX_DEPTH) {
        return scan_fail(r, "nesting too deep");
    }

    /* Every value takes at least one byte, so a count the remaining bytes
     * cannot hold is a lie; refusing it here keeps the loop below bounded
     * by the frame's length rather than by what the sender claims. */
    if (h->n > (map ? left / 2 : left)) {
        return scan_fail(r, "declared length exceeds the frame");
    }
    for (uint64_t i = 0; i < h->n; i++) {
        if (map && !scan_key(r)) {
            return false;
        }
        if (!scan_value(r, depth + 1)) {
            return false;
        }
    }
    return true;
}

static bool scan_value(struct reader *r, int depth)
{
    struct head h;

    if (!scan_head(r, &h)) {
        return false;
    }
    if (h.kind == K_ARRAY || h.kind == K_MAP) {
        return scan_items(r, &h, depth);
    }
    if (has_body(h.kind)) {
        return scan_body(r, &h);
    }
    return true;
}

/* The whole validation pass. On success *pairs is the top map's size. */
static bool scan_frame(const uint8_t *buf, size_t len, uint64_t *pairs, const char **why)
{
    struct reader r = {buf, buf + len, NULL};
    struct head h;

    if (!scan_head(&r, &h)) {
        *why = r.why;
        return false;
    }
    if (h.kind != K_MAP) {
        *why = "top value is not a map";
        return false;
    }
    if (!scan_items(&r, &h, 1)) {
        *why = r.why;
        return false;
    }
    if (r.p != r.end) {
        *why = "trailing bytes after the value";
        return false;
    }
    *pairs = h.n;
    return true;
}

/* ---- the decoded message ------------------------------------------------ */

struct proto_field {
    const uint8_t *key; /* in the copied frame, not NUL-terminated */
    size_t key_len;
    size_t value;    /* offset of the value's header in the copied frame */
    const char *str; /* NUL-terminated copy when the value is a string */
    size_t str_len;
};

struct proto_msg {
    const uint8_t *frame;
    size_t len;
    const char *type;
    size_t count;
    struct proto_field fields[];
    /* Then the copy of the frame, then the string copies. */
};

/* Steps over one value of a frame the validation pass accepted. */
static void skip_value(struct reader *r)
{
    struct head h;
    bool ok = read_head(r, &h);

    /* The validation pass read this very header successfully. */
    assert(ok);
    (void)ok;

    if (h.kind == K_ARRAY || h.kind == K_MAP) {
        uint64_t values = h.kind == K_MAP ? h.n * 2 : h.n;
        for (uint64_t i = 0; i < values; i++) {
            skip_value(r);
        }
    } else if (has_body(h.kind)) {
        r->p += h.n;
    }
}

/* Fills one field from the key at `r` and copies a string value to *strings.
 * The frame has been validated, so none of these reads can fail. */
static void index_field(struct proto_msg *m, struct proto_field *f, struct reader *r,
                        char **strings)
{
    struct head h;

    read_head(r, &h);
    f->key = r->p;
    f->key_len = (size_t)h.n;
    r->p += h.n;
    f->value = (size_t)(r->p - m->frame);
    f->str = NULL;

    struct reader peek = *r;
    if (read_head(&peek, &h) && h.kind == K_STR) {
        memcpy(*strings, peek.p, (size_t)h.n);
        (*strings)[h.n] = '\0';
        f->str = *strings;
        f->str_len = (size_t)h.n;
        *strings += h.n + 1;
    }
    skip_value(r);
}

/* Copies a validated frame of `pairs` top-level fields into a new message. */
static struct proto_msg *msg_build(const uint8_t *buf, size_t len, size_t pairs)
{
    /* The string bodies lie inside the frame, so their copies and one NUL
     * each fit in len + pairs bytes. */
    size_t size = sizeof(struct proto_msg) + pairs * sizeof(struct proto_field) + 2 * len + pairs;
    struct proto_msg *m = malloc(size);
    if (m == NULL) {
        return NULL;
    }
    uint8_t *frame = (uint8_t *)&m->fields[pairs];
    char *strings = (char *)frame + len;

    memcpy(frame, buf, len);
    m->frame = frame;
    m->len = len;
    m->type = NULL;
    m->count = pairs;

    /* Step past the top map's header to its first key. */
    struct reader r = {frame, frame + len, NULL};
    struct head h;
    read_head(&r, &h);
    for (size_t i = 0; i < pairs; i++) {
        index_field(m, &m->fields[i], &r, &strings);
    }
    return m;
}

static const struct proto_field *msg_find(const struct proto_msg *m, const char *key)
{
    size_t len = strlen(key);

    for (size_t i = 0; i < m->count; i++) {
        const struct proto_field *f = &m->fields[i];
        if (f->key_len == len && memcmp(f->key, key, len) == 0) {
            return f;
        }
    }
    return NULL;
}

/* Reads the header of field `f` (NULL when absent), leaving `r` at its body.
 * STATUS_NOT_FOUND when the field is absent or nil. */
static enum status field_head(const struct proto_msg *m, const struct proto_field *f,
                              struct reader *r, struct head *h)
{
    if (f == NULL) {
        return STATUS_NOT_FOUND;
    }
    *r = (struct reader){m->frame + f->value, m->frame + m->len, NULL};
    read_head(r, h);
    return h->kind == K_NIL ? STATUS_NOT_FOUND : STATUS_OK;
}

/* ---- decoding: the public functions ------------------------------------- */

static enum status decode_fail(enum status st, const char *reason, const char **why)
{
    if (why != NULL) {
        *why = reason;
    }
    return st;
}

enum status proto_decode(const uint8_t *buf, size_t len, size_t max_len, struct proto_msg **out,
                         const char **why)
{
    uint64_t pairs = 0;
    const char *reason = NULL;

    *out = NULL;
    if (len > max_len || len > SIZE_MAX / 64) {
        return decode_fail(STATUS_TOO_LARGE, "frame is larger than the limit", why);
    }
    if (buf == NULL || len == 0) {
        return decode_fail(STATUS_BAD_REQUEST, "empty frame", why);
    }
    if (!scan_frame(buf, len, &pairs, &reason)) {
        return decode_fail(STATUS_BAD_REQUEST, reason, why);
    }

    struct proto_msg *m = msg_build(buf, len, (size_t)pairs);
    if (m == NULL) {
        return decode_fail(STATUS_NOMEM, "out of memory", why);
    }
    const struct proto_field *type = msg_find(m, "type");
    if (type == NULL || type->str == NULL) {
        proto_msg_free(m);
        return decode_fail(STATUS_BAD_REQUEST, "missing or non-string type", why);
    }
    m->type = type->str;
    *out = m;
    return STATUS_OK;
}

void proto_msg_free(struct proto_msg *m)
{
    free(m);
}

const char *proto_msg_type(const struct proto_msg *m)
{
    return m->type;
}

bool proto_msg_id(const struct proto_msg *m, uint64_t *id)
{
    return proto_get_uint(m, "id", id) == STATUS_OK;
}

enum status proto_get_uint(const struct proto_msg *m, const char *key, uint64_t *out)
{
    struct reader r;
    struct head h;
    enum status st = field_head(m, msg_find(m, key), &r, &h);

    if (st != STATUS_OK) {
        return st;
    }
    if (h.kind != K_UINT) {
        return STATUS_BAD_REQUEST;
    }
    *out = h.n;
    return STATUS_OK;
}

enum status proto_get_bool(const struct proto_msg *m, const char *key, bool *out)
{
    struct reader r;
    struct head h;
    enum status st = field_head(m, msg_find(m, key), &r, &h);

    if (st != STATUS_OK) {
        return st;
    }
    if (h.kind != K_TRUE && h.kind != K_FALSE) {
        return STATUS_BAD_REQUEST;
    }
    *out = h.kind == K_TRUE;
    return STATUS_OK;
}

enum status proto_get_str(const struct proto_msg *m, const char *key, const char **s, size_t *len)
{
    const struct proto_field *f = msg_find(m, key);
    struct reader r;
    struct head h;

    if (f != NULL && f->str != NULL) {
        *s = f->str;
        *len = f->str_len;
        return STATUS_OK;
    }
    enum status st = field_head(m, f, &r, &h);
    return st == STATUS_OK ? STATUS_BAD_REQUEST : st;
}

enum status proto_get_uint_array(const struct proto_msg *m, const char *key, uint64_t *out,
                                 size_t cap, size_t *n)
{
    struct reader r;
    struct head h;
    enum status st = field_head(m, msg_find(m, key), &r, &h);

    *n = 0;
    if (st != STATUS_OK) {
        return st;
    }
    if (h.kind != K_ARRAY) {
        return STATUS_BAD_REQUEST;
    }
    if (h.n > cap) {
        return STATUS_TOO_LARGE;
    }
    for (uint64_t i = 0; i < h.n; i++) {
        struct head item;
        read_head(&r, &item);
        if (item.kind != K_UINT) {
            return STATUS_BAD_REQUEST;
        }
        out[i] = item.n;
    }
    *n = (size_t)h.n;
    return STATUS_OK;
}

enum status proto_get_str_array(const struct proto_msg *m, const char *key, char *out,
                                size_t item_cap, size_t cap, size_t *n)
{
    struct reader r;
    struct head h;
    enum status st = field_head(m, msg_find(m, key), &r, &h);

    *n = 0;
    if (st != STATUS_OK) {
        return st;
    }
    if (h.kind != K_ARRAY) {
        return STATUS_BAD_REQUEST;
    }
    if (h.n > cap) {
        return STATUS_TOO_LARGE;
    }
    for (uint64_t i = 0; i < h.n; i++) {
        struct head item;
        read_head(&r, &item);
        if (item.kind != K_STR) {
            return STATUS_BAD_REQUEST;
        }
        if (item.n >= item_cap) {
            return STATUS_TOO_LARGE;
        }
        if (memchr(r.p, '\0', (size_t)item.n) != NULL) {
            return STATUS_BAD_REQUEST;
        }
        char *slot = out + i * item_cap;
        memcpy(slot, r.p, (size_t)item.n);
        slot[item.n] = '\0';
        r.p += item.n;
    }
    *n = (size_t)h.n;
    return STATUS_OK;
}

/* ---- shared buffers ----------------------------------------------------- */

/* The allocation size of a buffer with `cap` payload bytes; false when it
 * would not fit in a size_t. */
static bool buf_bytes(size_t cap, size_t *bytes)
{
    size_t fixed = sizeof(struct proto_buf) + PROTO_HEADROOM;

    if (cap > SIZE_MAX - fixed) {
        return false;
    }
    *bytes = fixed + cap;
    return true;
}

struct proto_buf *proto_buf_new(size_t cap)
{
    size_t bytes;

    if (!buf_bytes(cap, &bytes)) {
        return NULL;
    }
    struct proto_buf *b = malloc(bytes);
    if (b == NULL) {
        return NULL;
    }
    b->refs = 1;
    b->len = 0;
    b->cap = cap;
    return b;
}

void proto_buf_ref(struct proto_buf *b)
{
    assert(b->refs > 0 && b->refs < UINT32_MAX);
    b->refs++;
}

void proto_buf_unref(struct proto_buf *b)
{
    if (b == NULL) {
        return;
    }
    assert(b->refs > 0);
    b->refs--;
    if (b->refs == 0) {
        free(b);
    }
}

/* ---- the writer --------------------------------------------------------- */

/* The first allocation: enough for a typical reply or event in one go. */
#define PROTO_WRITER_FIRST 256

static void writer_fail(struct proto_writer *w)
{
    w->failed = true;
    proto_buf_unref(w->buf);
    w->buf = NULL;
}

/* Makes room for `more` payload bytes, doubling the capacity as needed but
 * never beyond the limit. False when the limit or memory runs out. */
static bool writer_reserve(struct proto_writer *w, size_t more)
{
    size_t used = w->buf != NULL ? w->buf->len : 0;
    size_t cap = w->buf != NULL ? w->buf->cap : 0;
    size_t bytes;

    if (more > w->limit - used) {
        return false;
    }
    if (w->buf != NULL && used + more <= cap) {
        return true;
    }
    size_t need = used + more;
    cap = cap < PROTO_WRITER_FIRST ? PROTO_WRITER_FIRST : cap;
    while (cap < need) {
        cap = cap > SIZE_MAX / 2 ? need : cap * 2;
    }
    /* need <= limit, so the clamp never drops below it. */
    cap = cap > w->limit ? w->limit : cap;
    if (!buf_bytes(cap, &bytes)) {
        return false;
    }
    struct proto_buf *b = realloc(w->buf, bytes);
    if (b == NULL) {
        return false;
    }
    if (w->buf == NULL) {
        *b = (struct proto_buf){.refs = 1};
    }
    b->cap = cap;
    w->buf = b;
    return true;
}

/* msgpack-c's write callback: appends to the writer's buffer. */
static int writer_append(void *data, const char *bytes, size_t len)
{
    struct proto_writer *w = data;

    if (w->failed) {
        return -1;
    }
    if (len == 0) {
        return 0;
    }
    if (!writer_reserve(w, len)) {
        writer_fail(w);
        return -1;
    }
    memcpy(proto_buf_payload(w->buf) + w->buf->len, bytes, len);
    w->buf->len += len;
    return 0;
}

/* A packer writing through `w`. Once the writer has failed, writer_append
 * refuses every byte, so puts need no check of their own. */
static msgpack_packer writer_packer(struct proto_writer *w)
{
    msgpack_packer pk;

    msgpack_packer_init(&pk, w, writer_append);
    return pk;
}

void proto_writer_init(struct proto_writer *w, size_t limit)
{
    /* Nothing is allocated until the first put, so init cannot fail. */
    *w = (struct proto_writer){.buf = NULL, .limit = limit, .failed = false};
}

void proto_put_map(struct proto_writer *w, uint32_t pairs)
{
    msgpack_packer pk = writer_packer(w);

    msgpack_pack_map(&pk, pairs);
}

void proto_put_array(struct proto_writer *w, uint32_t items)
{
    msgpack_packer pk = writer_packer(w);

    msgpack_pack_array(&pk, items);
}

void proto_put_str(struct proto_writer *w, const char *s, size_t len)
{
    msgpack_packer pk = writer_packer(w);

    /* msgpack cannot describe a longer string; its packer would silently
     * truncate the length field. */
    if ((uint64_t)len > UINT32_MAX) {
        writer_fail(w);
        return;
    }
    msgpack_pack_str_with_body(&pk, s, len);
}

void proto_put_cstr(struct proto_writer *w, const char *s)
{
    assert(s != NULL);
    proto_put_str(w, s, strlen(s));
}

void proto_put_uint(struct proto_writer *w, uint64_t v)
{
    msgpack_packer pk = writer_packer(w);

    msgpack_pack_uint64(&pk, v);
}

void proto_put_bool(struct proto_writer *w, bool v)
{
    msgpack_packer pk = writer_packer(w);

    if (v) {
        msgpack_pack_true(&pk);
    } else {
        msgpack_pack_false(&pk);
    }
}

void proto_put_double(struct proto_writer *w, double v)
{
    msgpack_packer pk = writer_packer(w);

    msgpack_pack_double(&pk, v);
}

void proto_put_nil(struct proto_writer *w)
{
    msgpack_packer pk = writer_packer(w);

    msgpack_pack_nil(&pk);
}

void proto_kv_str(struct proto_writer *w, const char *key, const char *s, size_t len)
{
    proto_put_cstr(w, key);
    proto_put_str(w, s, len);
}

void proto_kv_cstr(struct proto_writer *w, const char *key, const char *s)
{
    proto_put_cstr(w, key);
    proto_put_cstr(w, s);
}

void proto_kv_uint(struct proto_writer *w, const char *key, uint64_t v)
{
    proto_put_cstr(w, key);
    proto_put_uint(w, v);
}

void proto_kv_bool(struct proto_writer *w, const char *key, bool v)
{
    proto_put_cstr(w, key);
    proto_put_bool(w, v);
}

void proto_kv_double(struct proto_writer *w, const char *key, double v)
{
    proto_put_cstr(w, key);
    proto_put_double(w, v);
}

struct proto_buf *proto_writer_finish(struct proto_writer *w)
{
    struct proto_buf *b = w->buf;
    bool failed = w->failed;

    /* A finished writer is spent: later puts must not start a new buffer
     * that nobody would free. */
    w->buf = NULL;
    w->failed = true;
    if (failed) {
        return NULL;
    }
    return b != NULL ? b : proto_buf_new(0);
}

void proto_writer_discard(struct proto_writer *w)
{
    writer_fail(w);
}

size_t proto_array_header(uint8_t out[5], uint32_t items)
{
    if (items < 16) {
        out[0] = (uint8_t)(0x90 | items);
        return 1;
    }
    if (items <= UINT16_MAX) {
        out[0] = 0xdc;
        out[1] = (uint8_t)(items >> 8);
        out[2] = (uint8_t)items;
        return 3;
    }
    out[0] = 0xdd;
    for (int i = 0; i < 4; i++) {
        out[1 + i] = (uint8_t)(items >> (24 - 8 * i));
    }
    return 5;
}
