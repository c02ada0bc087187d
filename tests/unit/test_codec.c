/*
 * Unit tests of the wire codec (protocol/codec.c): round trips through the
 * writer and the decoder, one test per rule of strict decoding, and the
 * buffer and writer contracts.
 *
 * Every malformed frame is decoded from a heap copy of exactly its length, so
 * AddressSanitizer or valgrind reports any read past the end, and the copy is
 * freed before the message is read, so any pointer left into it shows up as a
 * use after free. Failures are matched on the decoder's reason phrase as well
 * as its status: a test passes only when the rule it covers is the one that
 * fired.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "codec.h"

#define BYTES(...) (const uint8_t[]){__VA_ARGS__}, sizeof((const uint8_t[]){__VA_ARGS__})

#define WHY_HEADER "truncated or reserved msgpack header"
#define WHY_LENGTH "declared length exceeds the frame"
#define WHY_DEPTH  "nesting too deep"
#define WHY_KEY    "map key is not a string"
#define WHY_UTF8   "string is not valid UTF-8"
#define WHY_TOP    "top value is not a map"
#define WHY_TAIL   "trailing bytes after the value"
#define WHY_TYPE   "missing or non-string type"

/* ---- helpers ------------------------------------------------------------ */

/* Decodes a heap copy of exactly `len` bytes and frees the copy at once. */
static enum status decode_copy(const uint8_t *bytes, size_t len, size_t max_len,
                               struct proto_msg **m, const char **why)
{
    uint8_t *copy = malloc(len > 0 ? len : 1);
    memcpy(copy, bytes, len);

    /* Poison *m so that the test sees whether a failure clears it. */
    *m = (struct proto_msg *)copy;
    *why = NULL;
    enum status st = proto_decode(copy, len, max_len, m, why);
    if (st != STATUS_OK) {
        CHECK(*m == NULL);
        CHECK(*why != NULL);
    }
    free(copy);
    return st;
}

static void check_bad(const uint8_t *bytes, size_t len, const char *expect, int line)
{
    struct proto_msg *m;
    const char *why;
    enum status st = decode_copy(bytes, len, PROTO_MAX_FRAME, &m, &why);

    if (st != STATUS_BAD_REQUEST || why == NULL || strcmp(why, expect) != 0) {
        fprintf(stderr, "line %d: status %s, why \"%s\", expected \"%s\"\n", line, status_code(st),
                why ? why : "(none)", expect);
    }
    CHECK(st == STATUS_BAD_REQUEST);
    CHECK(why != NULL && strcmp(why, expect) == 0);
    proto_msg_free(m);
}

/* Writes {"type": "t", "x": <value>} with the value given as raw bytes. */
static size_t frame_with_x(uint8_t *out, const uint8_t *value, size_t n)
{
    static const uint8_t head[] = {0x82, 0xa4, 't', 'y', 'p', 'e', 0xa1, 't', 0xa1, 'x'};

    memcpy(out, head, sizeof(head));
    memcpy(out + sizeof(head), value, n);
    return sizeof(head) + n;
}

static void check_x_bad(const uint8_t *value, size_t n, const char *expect, int line)
{
    uint8_t frame[128];
    size_t len = frame_with_x(frame, value, n);

    check_bad(frame, len, expect, line);
}

/* The frame {"type": "t", "x": <value>}, decoded; NULL (and a failed check)
 * when it is refused. */
static struct proto_msg *x_msg(const uint8_t *value, size_t n)
{
    uint8_t frame[128];
    size_t len = frame_with_x(frame, value, n);
    struct proto_msg *m;
    const char *why;

    enum status st = decode_copy(frame, len, PROTO_MAX_FRAME, &m, &why);
    CHECK(st == STATUS_OK);
    return m;
}

#define BAD(why, ...)   check_bad(BYTES(__VA_ARGS__), why, __LINE__)
#define X_BAD(why, ...) check_x_bad(BYTES(__VA_ARGS__), why, __LINE__)
#define X_MSG(...)      x_msg(BYTES(__VA_ARGS__))

static void check_payload(struct proto_buf *b, const uint8_t *bytes, size_t len)
{
    CHECK(b != NULL);
    if (b == NULL) {
        return;
    }
    CHECK_EQ_U(b->len, len);
    CHECK(b->len == len && memcmp(proto_buf_payload(b), bytes, len) == 0);
}

/* A request using every put function and every field type the codec reads. */
static struct proto_buf *encode_sample(void)
{
    struct proto_writer w;

    proto_writer_init(&w, PROTO_MAX_FRAME);
    proto_put_map(&w, 9);
    proto_kv_cstr(&w, "type", "send");
    proto_kv_uint(&w, "id", 7);
    proto_kv_uint(&w, "room", 42);
    proto_kv_str(&w, "body", "halo\0dunia", 10);
    proto_kv_bool(&w, "urgent", true);
    proto_kv_bool(&w, "quiet", false);
    proto_put_cstr(&w, "reply_to");
    proto_put_nil(&w);
    proto_put_cstr(&w, "members");
    proto_put_array(&w, 4);
    proto_put_uint(&w, 1);
    proto_put_uint(&w, 200);
    proto_put_uint(&w, 70000);
    proto_put_uint(&w, (uint64_t)1 << 40);
    proto_put_cstr(&w, "meta");
    proto_put_map(&w, 1);
    proto_kv_cstr(&w, "nama", "Made Ayu \xc3\xa9");
    return proto_writer_finish(&w);
}

/* A hand-built frame holding every msgpack family, for the truncation test. */
static const uint8_t RICH[] = {
    0x8b, 0xa4, 't', 'y', 'p',  'e',  0xa1, 't',                             /* type */
    0xa3, 'f',  '3', '2', 0xca, 0x3f, 0x80, 0x00, 0x00,                      /* float32 */
    0xa3, 'f',  '6', '4', 0xcb, 0x40, 0,    0,    0,    0,    0,    0,    0, /* float64 */
    0xa3, 'b',  'i', 'n', 0xc4, 0x02, 0x00, 0xff,                            /* bin8 */
    0xa3, 'e',  'x', '1', 0xd4, 0x01, 0x05,                                  /* fixext1 */
    0xa3, 'e',  'x', '8', 0xc7, 0x02, 0x07, 0xaa, 0xbb,                      /* ext8 */
    0xa3, 's',  '1', '6', 0xda, 0x00, 0x02, 'o',  'k',                       /* str16 */
    0xa3, 'n',  'e', 'g', 0xff,                                              /* -1 */
    0xa3, 'i',  '1', '6', 0xd1, 0xff, 0x00,                                  /* int16 -256 */
    0xa3, 'u',  '6', '4', 0xcf, 0,    0,    0,    1,    0,    0,    0,    0, /* 2^32 */
    0xa4, 'n',  'e', 's', 't',  0x91, 0x81, 0xa1, 'k',  0x92, 0xc3, 0xc0,
};

/* One value in each msgpack format but 0xc1, in order of their type bytes,
 * with the unsigned value an accessor should read (or -1 for none). */
static const struct {
    uint8_t bytes[24];
    size_t len;
    int64_t uint;
} FORMATS[] = {
    {{0xc0}, 1, -1},
    {{0xc2}, 1, -1},
    {{0xc3}, 1, -1},
    {{0xc4, 0x01, 0xaa}, 3, -1},
    {{0xc5, 0x00, 0x01, 0xaa}, 4, -1},
    {{0xc6, 0x00, 0x00, 0x00, 0x01, 0xaa}, 6, -1},
    {{0xc7, 0x01, 0x05, 0xaa}, 4, -1},
    {{0xc8, 0x00, 0x01, 0x05, 0xaa}, 5, -1},
    {{0xc9, 0x00, 0x00, 0x00, 0x01, 0x05, 0xaa}, 7, -1},
    {{0xca, 0x3f, 0x80, 0x00, 0x00}, 5, -1},
    {{0xcb, 0x3f, 0xf0, 0, 0, 0, 0, 0, 0}, 9, -1},
    {{0xcc, 0xff}, 2, 255},
    {{0xcd, 0xff, 0xfe}, 3, 65534},
    {{0xce, 0x01, 0x02, 0x03, 0x04}, 5, 0x01020304},
    {{0xcf, 0, 0, 0, 0x01, 0x02, 0x03, 0x04, 0x05}, 9, 0x0102030405},
    {{0xd0, 0x7f}, 2, 127},
    {{0xd1, 0x7f, 0xff}, 3, 32767},
    {{0xd2, 0x00, 0x01, 0x00, 0x00}, 5, 65536},
    {{0xd3, 0, 0, 0, 0, 0, 0, 0, 0x09}, 9, 9},
    {{0xd4, 0x05, 0xaa}, 3, -1},
    {{0xd5, 0x05, 0xaa, 0xaa}, 4, -1},
    {{0xd6, 0x05, 0xaa, 0xaa, 0xaa, 0xaa}, 6, -1},
    {{0xd7, 0x05, 1, 2, 3, 4, 5, 6, 7, 8}, 10, -1},
    {{0xd8, 0x05, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16}, 18, -1},
    {{0xd9, 0x01, 'a'}, 3, -1},
    {{0xda, 0x00, 0x01, 'a'}, 4, -1},
    {{0xdb, 0x00, 0x00, 0x00, 0x01, 'a'}, 6, -1},
    {{0xdc, 0x00, 0x01, 0x01}, 4, -1},
    {{0xdd, 0x00, 0x00, 0x00, 0x01, 0x01}, 6, -1},
    {{0xde, 0x00, 0x01, 0xa1, 'k', 0x01}, 6, -1},
    {{0xdf, 0x00, 0x00, 0x00, 0x01, 0xa1, 'k', 0x01}, 8, -1},
};

#define FORMAT_COUNT (sizeof(FORMATS) / sizeof(FORMATS[0]))

/* {"type": "t", "v10": FORMATS[0], "v11": FORMATS[1], ..., "end": 42} into
 * `out`, which holds 512 bytes. */
static size_t encode_formats(uint8_t *out)
{
    static const uint8_t head[] = {0xde, 0x00, FORMAT_COUNT + 2, 0xa4, 't', 'y', 'p', 'e',
                                   0xa1, 't'};
    static const uint8_t tail[] = {0xa3, 'e', 'n', 'd', 0x2a};
    size_t len = sizeof(head);

    memcpy(out, head, len);
    for (size_t i = 0; i < FORMAT_COUNT; i++) {
        out[len++] = 0xa3;
        out[len++] = 'v';
        out[len++] = (uint8_t)('0' + (i + 10) / 10);
        out[len++] = (uint8_t)('0' + (i + 10) % 10);
        memcpy(out + len, FORMATS[i].bytes, FORMATS[i].len);
        len += FORMATS[i].len;
    }
    memcpy(out + len, tail, sizeof(tail));
    return len + sizeof(tail);
}

static void check_every_prefix(const uint8_t *frame, size_t len);

/* ---- round trips -------------------------------------------------------- */

static void test_round_trip_every_field_type(void)
{
    struct proto_buf *b = encode_sample();
    struct proto_msg *m;
    const char *why;
    uint64_t u = 0;
    bool flag = false;
    const char *s = NULL;
    size_t len = 0;

    CHECK(b != NULL);
    CHECK(decode_copy(proto_buf_payload(b), b->len, PROTO_MAX_FRAME, &m, &why) == STATUS_OK);
    proto_buf_unref(b);

    CHECK_STR(proto_msg_type(m), "send");
    CHECK(proto_msg_id(m, &u) && u == 7);
    CHECK(proto_get_uint(m, "room", &u) == STATUS_OK && u == 42);
    CHECK(proto_get_str(m, "body", &s, &len) == STATUS_OK);
    CHECK(len == 10 && memcmp(s, "halo\0dunia", 11) == 0);
    CHECK(proto_get_bool(m, "urgent", &flag) == STATUS_OK && flag);
    CHECK(proto_get_bool(m, "quiet", &flag) == STATUS_OK && !flag);
    CHECK(proto_get_uint(m, "reply_to", &u) == STATUS_NOT_FOUND);

    uint64_t ids[4];
    size_t n = 0;
    CHECK(proto_get_uint_array(m, "members", ids, 4, &n) == STATUS_OK);
    CHECK(n == 4 && ids[0] == 1 && ids[1] == 200 && ids[2] == 70000);
    CHECK(ids[3] == (uint64_t)1 << 40);

    /* A nested map is carried along but not readable as a scalar. */
    CHECK(proto_get_str(m, "meta", &s, &len) == STATUS_BAD_REQUEST);
    proto_msg_free(m);
}

static void test_round_trip_uint_widths(void)
{
    static const uint64_t values[] = {
        0, 1, 127, 128, 255, 256, 65535, 65536, UINT32_MAX, 1ULL << 32, UINT64_MAX - 1, UINT64_MAX};

    for (size_t i = 0; i < sizeof(values) / sizeof(values[0]); i++) {
        struct proto_writer w;
        struct proto_msg *m;
        const char *why;
        uint64_t u = 0;

        proto_writer_init(&w, 64);
        proto_put_map(&w, 2);
        proto_kv_cstr(&w, "type", "t");
        proto_kv_uint(&w, "v", values[i]);
        struct proto_buf *b = proto_writer_finish(&w);
        CHECK(decode_copy(proto_buf_payload(b), b->len, 64, &m, &why) == STATUS_OK);
        CHECK(proto_get_uint(m, "v", &u) == STATUS_OK);
        CHECK_EQ_U(u, values[i]);
        proto_msg_free(m);
        proto_buf_unref(b);
    }
}

static void test_round_trip_string_widths(void)
{
    static const size_t lens[] = {0, 31, 32, 255, 256, 65535, 65536};
    char *text = malloc(65536);

    for (size_t i = 0; i < 65536; i++) {
        text[i] = (char)('a' + i % 26);
    }
    for (size_t i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
        struct proto_writer w;
        struct proto_msg *m;
        const char *why;
        const char *s = NULL;
        size_t len = 1;

        proto_writer_init(&w, 1 << 20);
        proto_put_map(&w, 2);
        proto_kv_cstr(&w, "type", "t");
        proto_kv_str(&w, "s", text, lens[i]);
        struct proto_buf *b = proto_writer_finish(&w);
        CHECK(decode_copy(proto_buf_payload(b), b->len, 1 << 20, &m, &why) == STATUS_OK);
        CHECK(proto_get_str(m, "s", &s, &len) == STATUS_OK);
        CHECK_EQ_U(len, lens[i]);
        CHECK(memcmp(s, text, lens[i]) == 0 && s[lens[i]] == '\0');
        proto_msg_free(m);
        proto_buf_unref(b);
    }
    free(text);
}

/* Strings come back NUL-terminated even where the frame has more bytes right
 * after them, and a NUL inside a string is kept. */
static void test_strings_are_nul_terminated(void)
{
    struct proto_msg *m = X_MSG(0xa3, 'a', 0x00, 'b');
    const char *s = NULL;
    size_t len = 0;

    CHECK(strcmp(proto_msg_type(m), "t") == 0);
    CHECK(proto_get_str(m, "x", &s, &len) == STATUS_OK);
    CHECK(len == 3 && s[0] == 'a' && s[1] == '\0' && s[2] == 'b' && s[3] == '\0');
    proto_msg_free(m);

    /* "type" is followed by the key "x" in the frame, "x" by nothing. */
    m = X_MSG(0xa2, 'h', 'i');
    CHECK(proto_get_str(m, "x", &s, &len) == STATUS_OK && strcmp(s, "hi") == 0);
    proto_msg_free(m);
}

static void test_non_minimal_encodings_accepted(void)
{
    struct proto_msg *m;
    const char *why;
    uint64_t u = 0;
    const char *s = NULL;
    size_t len = 0;

    /* A map16 at the top, a str32 type, an int8 holding 5, a uint64 holding 1. */
    static const uint8_t frame[] = {0xde, 0x00, 0x03, 0xa4, 't', 'y',  'p', 'e',  0xdb, 0x00,
                                    0x00, 0x00, 0x02, 'o',  'k', 0xa1, 'a', 0xd0, 0x05, 0xa1,
                                    'b',  0xcf, 0,    0,    0,   0,    0,   0,    0,    1};
    CHECK(decode_copy(frame, sizeof(frame), PROTO_MAX_FRAME, &m, &why) == STATUS_OK);
    CHECK_STR(proto_msg_type(m), "ok");
    CHECK(proto_get_uint(m, "a", &u) == STATUS_OK && u == 5);
    CHECK(proto_get_uint(m, "b", &u) == STATUS_OK && u == 1);
    CHECK(proto_get_str(m, "type", &s, &len) == STATUS_OK && len == 2);
    proto_msg_free(m);
}

/* Every format is accepted and stepped over by its exact size: one byte too
 * many or too few would misplace every field after it, down to "end". */
static void test_every_format_accepted(void)
{
    uint8_t frame[512];
    size_t len = encode_formats(frame);
    struct proto_msg *m;
    const char *why;
    char key[8];
    uint64_t u = 0;

    CHECK(decode_copy(frame, len, PROTO_MAX_FRAME, &m, &why) == STATUS_OK);
    CHECK(proto_get_uint(m, "end", &u) == STATUS_OK && u == 42);
    for (size_t i = 0; i < FORMAT_COUNT; i++) {
        snprintf(key, sizeof(key), "v%zu", i + 10);
        enum status st = proto_get_uint(m, key, &u);
        if (FORMATS[i].uint >= 0) {
            CHECK(st == STATUS_OK && u == (uint64_t)FORMATS[i].uint);
        } else {
            CHECK(st != STATUS_OK);
        }
    }
    proto_msg_free(m);
    check_every_prefix(frame, len);
}

/* The message keeps its own copy: decode_copy frees the input first. */
static void test_message_outlives_its_input(void)
{
    struct proto_buf *b = encode_sample();
    uint8_t *frame = malloc(b->len);
    size_t n = b->len;
    struct proto_msg *m;
    const char *s = NULL;
    size_t len = 0;
    uint64_t ids[4];

    memcpy(frame, proto_buf_payload(b), n);
    proto_buf_unref(b);
    CHECK(proto_decode(frame, n, PROTO_MAX_FRAME, &m, NULL) == STATUS_OK);
    memset(frame, 0xc1, n);
    free(frame);

    CHECK_STR(proto_msg_type(m), "send");
    CHECK(proto_get_str(m, "body", &s, &len) == STATUS_OK && len == 10);
    CHECK(proto_get_uint_array(m, "members", ids, 4, &n) == STATUS_OK && n == 4);
    proto_msg_free(m);
}

static void test_many_fields(void)
{
    struct proto_writer w;
    struct proto_msg *m;
    const char *why;
    char key[16];
    uint64_t u = 0;

    proto_writer_init(&w, PROTO_MAX_FRAME);
    proto_put_map(&w, 5001);
    proto_kv_cstr(&w, "type", "t");
    for (unsigned i = 0; i < 5000; i++) {
        snprintf(key, sizeof(key), "k%u", i);
        proto_kv_uint(&w, key, i);
    }
    struct proto_buf *b = proto_writer_finish(&w);
    CHECK(b != NULL && b->len > 5000 * 4);
    CHECK(decode_copy(proto_buf_payload(b), b->len, PROTO_MAX_FRAME, &m, &why) == STATUS_OK);
    CHECK(proto_get_uint(m, "k0", &u) == STATUS_OK && u == 0);
    CHECK(proto_get_uint(m, "k4999", &u) == STATUS_OK && u == 4999);
    CHECK(proto_get_uint(m, "k5000", &u) == STATUS_NOT_FOUND);
    proto_msg_free(m);
    proto_buf_unref(b);
}

/* ---- accessors ---------------------------------------------------------- */

static void test_absent_and_nil_are_not_found(void)
{
    struct proto_msg *m = X_MSG(0xc0);
    uint64_t u = 99;
    bool flag = true;
    const char *s = NULL;
    size_t len = 0;
    uint64_t arr[2];
    size_t n = 7;

    for (int i = 0; i < 2; i++) {
        const char *key = i == 0 ? "x" : "absent";
        CHECK(proto_get_uint(m, key, &u) == STATUS_NOT_FOUND);
        CHECK(proto_get_bool(m, key, &flag) == STATUS_NOT_FOUND);
        CHECK(proto_get_str(m, key, &s, &len) == STATUS_NOT_FOUND);
        CHECK(proto_get_uint_array(m, key, arr, 2, &n) == STATUS_NOT_FOUND && n == 0);
    }
    CHECK(!proto_msg_id(m, &u));
    proto_msg_free(m);
}

static void test_wrong_types_for_accessors(void)
{
    uint64_t u = 0;
    bool flag = false;
    const char *s = NULL;
    size_t len = 0;
    uint64_t arr[2];
    size_t n = 0;

    struct proto_msg *str = X_MSG(0xa1, '1');
    CHECK(proto_get_uint(str, "x", &u) == STATUS_BAD_REQUEST);
    CHECK(proto_get_bool(str, "x", &flag) == STATUS_BAD_REQUEST);
    CHECK(proto_get_uint_array(str, "x", arr, 2, &n) == STATUS_BAD_REQUEST);
    proto_msg_free(str);

    struct proto_msg *num = X_MSG(0x01);
    CHECK(proto_get_bool(num, "x", &flag) == STATUS_BAD_REQUEST);
    CHECK(proto_get_str(num, "x", &s, &len) == STATUS_BAD_REQUEST);
    CHECK(proto_get_uint_array(num, "x", arr, 2, &n) == STATUS_BAD_REQUEST);
    proto_msg_free(num);

    struct proto_msg *yes = X_MSG(0xc3);
    CHECK(proto_get_uint(yes, "x", &u) == STATUS_BAD_REQUEST);
    CHECK(proto_get_str(yes, "x", &s, &len) == STATUS_BAD_REQUEST);
    proto_msg_free(yes);

    struct proto_msg *bin = X_MSG(0xc4, 0x01, 'a');
    CHECK(proto_get_str(bin, "x", &s, &len) == STATUS_BAD_REQUEST);
    proto_msg_free(bin);

    struct proto_msg *flt = X_MSG(0xcb, 0x40, 0x14, 0, 0, 0, 0, 0, 0);
    CHECK(proto_get_uint(flt, "x", &u) == STATUS_BAD_REQUEST);
    proto_msg_free(flt);
}

static void test_containers_are_not_scalars(void)
{
    uint64_t u = 0;
    const char *s = NULL;
    size_t len = 0;
    uint64_t arr[2];
    size_t n = 0;

    struct proto_msg *map = X_MSG(0x81, 0xa1, 'k', 0x01);
    CHECK(proto_get_uint(map, "x", &u) == STATUS_BAD_REQUEST);
    CHECK(proto_get_uint_array(map, "x", arr, 2, &n) == STATUS_BAD_REQUEST);
    proto_msg_free(map);

    struct proto_msg *arr_msg = X_MSG(0x91, 0x01);
    CHECK(proto_get_uint(arr_msg, "x", &u) == STATUS_BAD_REQUEST);
    CHECK(proto_get_str(arr_msg, "x", &s, &len) == STATUS_BAD_REQUEST);
    proto_msg_free(arr_msg);
}

static void test_negative_ints_are_not_uints(void)
{
    static const uint8_t negatives[][9] = {
        {0xff},                            /* fixint -1 */
        {0xe0},                            /* fixint -32 */
        {0xd0, 0xff},                      /* int8 -1 */
        {0xd1, 0x80, 0x00},                /* int16 */
        {0xd2, 0xff, 0xff, 0xff, 0xfe},    /* int32 */
        {0xd3, 0x80, 0, 0, 0, 0, 0, 0, 0}, /* int64 minimum */
    };
    static const size_t sizes[] = {1, 1, 2, 3, 5, 9};
    uint64_t u = 0;

    for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
        struct proto_msg *m = x_msg(negatives[i], sizes[i]);
        CHECK(proto_get_uint(m, "x", &u) == STATUS_BAD_REQUEST);
        proto_msg_free(m);
    }

    /* Signed formats holding non-negative values are still unsigned integers. */
    struct proto_msg *m = X_MSG(0xd3, 0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff);
    CHECK(proto_get_uint(m, "x", &u) == STATUS_OK && u == INT64_MAX);
    proto_msg_free(m);
    m = X_MSG(0xd1, 0x01, 0x00);
    CHECK(proto_get_uint(m, "x", &u) == STATUS_OK && u == 256);
    proto_msg_free(m);
}

static void test_request_id(void)
{
    static const uint8_t with_id[] = {0x82, 0xa4, 't', 'y', 'p', 'e', 0xa1, 't', 0xa2, 'i', 'd'};
    static const uint8_t ids[][3] = {{0x05}, {0xff}, {0xa1, '5'}, {0xc0}, {0xc3}};
    static const size_t sizes[] = {1, 1, 2, 1, 1};
    uint8_t frame[32];
    uint64_t id = 0;

    for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
        struct proto_msg *m;
        const char *why;

        memcpy(frame, with_id, sizeof(with_id));
        memcpy(frame + sizeof(with_id), ids[i], sizes[i]);
        CHECK(decode_copy(frame, sizeof(with_id) + sizes[i], 64, &m, &why) == STATUS_OK);
        CHECK(proto_msg_id(m, &id) == (i == 0));
        proto_msg_free(m);
    }
    CHECK_EQ_U(id, 5);
}

static void test_uint_array_caps_and_elements(void)
{
    struct proto_msg *m = X_MSG(0x94, 0x01, 0x02, 0x03, 0xcd, 0x01, 0x00);
    uint64_t arr[4] = {0};
    size_t n = 9;

    CHECK(proto_get_uint_array(m, "x", arr, 3, &n) == STATUS_TOO_LARGE && n == 0);
    CHECK(proto_get_uint_array(m, "x", arr, 4, &n) == STATUS_OK && n == 4 && arr[3] == 256);
    proto_msg_free(m);

    m = X_MSG(0x90);
    CHECK(proto_get_uint_array(m, "x", NULL, 0, &n) == STATUS_OK && n == 0);
    proto_msg_free(m);

    static const uint8_t bad_items[][4] = {
        {0x92, 0x01, 0xff},      /* a negative element */
        {0x92, 0x01, 0xc0},      /* nil */
        {0x92, 0xa1, '1', 0x01}, /* a string */
        {0x92, 0x01, 0x90},      /* a nested array */
    };
    static const size_t sizes[] = {3, 3, 4, 3};
    for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
        m = x_msg(bad_items[i], sizes[i]);
        n = 9;
        CHECK(proto_get_uint_array(m, "x", arr, 4, &n) == STATUS_BAD_REQUEST && n == 0);
        proto_msg_free(m);
    }
}

static void test_str_array_caps_and_elements(void)
{
    struct proto_msg *m = X_MSG(0x93, 0xa2, 'a', 'b', 0xa0, 0xa3, 'x', 'y', 'z');
    char out[3][4];
    size_t n = 9;

    CHECK(proto_get_str_array(m, "x", &out[0][0], 4, 2, &n) == STATUS_TOO_LARGE && n == 0);
    CHECK(proto_get_str_array(m, "x", &out[0][0], 3, 3, &n) == STATUS_TOO_LARGE && n == 0);
    CHECK(proto_get_str_array(m, "x", &out[0][0], 4, 3, &n) == STATUS_OK && n == 3);
    CHECK(strcmp(out[0], "ab") == 0 && out[1][0] == '\0' && strcmp(out[2], "xyz") == 0);
    proto_msg_free(m);

    static const uint8_t bad_items[][4] = {
        {0x92, 0xa1, 'a', 0x01}, /* a number */
        {0x92, 0xa1, 'a', 0xc0}, /* nil */
        {0x91, 0xa2, 'a', 0x00}, /* a NUL inside */
        {0x92, 0xa1, 'a', 0x90}, /* a nested array */
    };
    for (size_t i = 0; i < sizeof(bad_items) / sizeof(bad_items[0]); i++) {
        m = x_msg(bad_items[i], 4);
        n = 9;
        CHECK(proto_get_str_array(m, "x", &out[0][0], 4, 3, &n) == STATUS_BAD_REQUEST && n == 0);
        proto_msg_free(m);
    }
}

/* The first of two equal keys wins, including for `type`. */
static void test_duplicate_keys_first_wins(void)
{
    struct proto_msg *m;
    const char *why;
    uint64_t u = 0;

    BAD(WHY_TYPE, 0x82, 0xa4, 't', 'y', 'p', 'e', 0x01, 0xa4, 't', 'y', 'p', 'e', 0xa1, 'b');
    CHECK(decode_copy(BYTES(0x84, 0xa4, 't', 'y', 'p', 'e', 0xa1, 'a', 0xa4, 't', 'y', 'p', 'e',
                            0xa1, 'b', 0xa1, 'x', 0x01, 0xa1, 'x', 0x02),
                      64, &m, &why) == STATUS_OK);
    CHECK_STR(proto_msg_type(m), "a");
    CHECK(proto_get_uint(m, "x", &u) == STATUS_OK && u == 1);
    proto_msg_free(m);
}

/* ---- malformed frames --------------------------------------------------- */

static void test_size_cap_checked_first(void)
{
    struct proto_buf *b = encode_sample();
    struct proto_msg *m;
    const char *why;

    CHECK(decode_copy(proto_buf_payload(b), b->len, b->len - 1, &m, &why) == STATUS_TOO_LARGE);
    CHECK(decode_copy(proto_buf_payload(b), b->len, b->len, &m, &why) == STATUS_OK);
    proto_msg_free(m);
    proto_buf_unref(b);

    /* Garbage over the cap is too large, not malformed: size comes first. */
    uint8_t *junk = malloc(PROTO_MAX_FRAME + 1);
    memset(junk, 0xc1, PROTO_MAX_FRAME + 1);
    CHECK(decode_copy(junk, PROTO_MAX_FRAME + 1, PROTO_MAX_FRAME, &m, &why) == STATUS_TOO_LARGE);
    free(junk);
}

static void test_empty_frame(void)
{
    struct proto_msg *m = (struct proto_msg *)&m;
    const char *why = NULL;

    CHECK(proto_decode(NULL, 0, PROTO_MAX_FRAME, &m, &why) == STATUS_BAD_REQUEST);
    CHECK(m == NULL && why != NULL);
    CHECK(decode_copy((const uint8_t *)"", 0, PROTO_MAX_FRAME, &m, &why) == STATUS_BAD_REQUEST);

    /* `why` is optional. */
    CHECK(proto_decode((const uint8_t *)"\x01", 1, PROTO_MAX_FRAME, &m, NULL) ==
          STATUS_BAD_REQUEST);
}

static void check_every_prefix(const uint8_t *frame, size_t len)
{
    struct proto_msg *m;
    const char *why;

    for (size_t cut = 0; cut < len; cut++) {
        enum status st = decode_copy(frame, cut, PROTO_MAX_FRAME, &m, &why);
        if (st != STATUS_BAD_REQUEST) {
            fprintf(stderr, "prefix of %zu bytes gave %s\n", cut, status_code(st));
        }
        CHECK(st == STATUS_BAD_REQUEST);
        proto_msg_free(m);
    }
    CHECK(decode_copy(frame, len, PROTO_MAX_FRAME, &m, &why) == STATUS_OK);
    proto_msg_free(m);
}

static void test_truncated_at_every_offset(void)
{
    struct proto_buf *b = encode_sample();

    check_every_prefix(proto_buf_payload(b), b->len);
    check_every_prefix(RICH, sizeof(RICH));
    proto_buf_unref(b);
}

/* Every family's declared length or count larger than what follows is refused
 * before it is believed. */
static void test_declared_lengths_beyond_frame(void)
{
    X_BAD(WHY_LENGTH, 0xdd, 0xff, 0xff, 0xff, 0xff, 0x01); /* array32 */
    X_BAD(WHY_LENGTH, 0xdf, 0xff, 0xff, 0xff, 0xff, 0xa1); /* map32 */
    X_BAD(WHY_LENGTH, 0xdc, 0x00, 0x10, 0x01, 0x01);       /* array16 */
    X_BAD(WHY_LENGTH, 0xde, 0x00, 0x02, 0xa1, 'k', 0x01);  /* map16, 3 of 4 */
    X_BAD(WHY_LENGTH, 0x9f, 0x01);                         /* fixarray */
    X_BAD(WHY_LENGTH, 0x8f, 0xa1, 'k');                    /* fixmap */
    X_BAD(WHY_LENGTH, 0xdb, 0xff, 0xff, 0xff, 0xff, 'a');  /* str32 */
    X_BAD(WHY_LENGTH, 0xda, 0x01, 0x00, 'a');              /* str16 */
    X_BAD(WHY_LENGTH, 0xd9, 0x05, 'a', 'b');               /* str8 */
    X_BAD(WHY_LENGTH, 0xa5, 'a', 'b');                     /* fixstr */
    X_BAD(WHY_LENGTH, 0xc6, 0xff, 0xff, 0xff, 0xff, 0x00); /* bin32 */
    X_BAD(WHY_LENGTH, 0xc4, 0x03, 0x00);                   /* bin8 */
    X_BAD(WHY_LENGTH, 0xc9, 0xff, 0xff, 0xff, 0xff, 0x01); /* ext32 */
    X_BAD(WHY_LENGTH, 0xc7, 0x05, 0x01, 0xaa);             /* ext8 */
    X_BAD(WHY_LENGTH, 0xd8, 0x01, 0xaa, 0xbb, 0xcc);       /* fixext16 */
    X_BAD(WHY_LENGTH, 0xcb, 0x00, 0x00);                   /* float64 */

    /* Ten-byte frames: the top map claiming 2^32-1 pairs, then an array32
     * claiming as many items. */
    BAD(WHY_LENGTH, 0xdf, 0xff, 0xff, 0xff, 0xff, 0xa4, 't', 'y', 'p', 'e');
    BAD(WHY_LENGTH, 0x81, 0xa1, 'x', 0xdd, 0xff, 0xff, 0xff, 0xff, 0x01, 0x01);
}

static void test_truncated_headers_and_reserved_byte(void)
{
    X_BAD(WHY_HEADER, 0xc1);
    X_BAD(WHY_HEADER, 0xdd, 0xff, 0xff);
    X_BAD(WHY_HEADER, 0xcf, 0x00, 0x00, 0x00);
    X_BAD(WHY_HEADER, 0xd9);
    X_BAD(WHY_HEADER, 0x91, 0xc1);
    BAD(WHY_HEADER, 0xc1);
}

/* Depth `levels` of arrays inside {"type": "t", "x": ...}. */
static void check_depth(size_t levels, uint8_t open, bool ok)
{
    size_t len = 0;
    uint8_t *frame = malloc(levels * 3 + 16);
    static const uint8_t head[] = {0x82, 0xa4, 't', 'y', 'p', 'e', 0xa1, 't', 0xa1, 'x'};

    memcpy(frame, head, sizeof(head));
    len = sizeof(head);
    for (size_t i = 0; i < levels; i++) {
        frame[len++] = open;
        if (open == 0x81) {
            frame[len++] = 0xa0; /* the empty key */
        }
    }
    frame[len++] = 0x01;
    if (ok) {
        struct proto_msg *m;
        const char *why;
        CHECK(decode_copy(frame, len, PROTO_MAX_FRAME, &m, &why) == STATUS_OK);
        proto_msg_free(m);
    } else {
        check_bad(frame, len, WHY_DEPTH, __LINE__);
    }
    free(frame);
}

static void test_depth_cap(void)
{
    /* The top map is depth 1, so PROTO_MAX_DEPTH - 1 containers fit in it. */
    check_depth(PROTO_MAX_DEPTH - 1, 0x91, true);
    check_depth(PROTO_MAX_DEPTH, 0x91, false);
    check_depth(PROTO_MAX_DEPTH - 1, 0x81, true);
    check_depth(PROTO_MAX_DEPTH, 0x81, false);

    /* Far deeper than the cap: refused without recursing that deep. */
    check_depth(60000, 0x91, false);
    X_BAD(WHY_DEPTH, 0x91, 0x91, 0x91, 0x91, 0x91, 0x91, 0x91, 0x90);
}

static void test_trailing_bytes(void)
{
    X_BAD(WHY_TAIL, 0x01, 0xc0);
    X_BAD(WHY_TAIL, 0x01, 0x81, 0xa4, 't', 'y', 'p', 'e', 0xa1, 't');
    BAD(WHY_TAIL, 0x80, 0x00);
}

static void test_top_value_must_be_a_map(void)
{
    BAD(WHY_TOP, 0x91, 0x81, 0xa4, 't', 'y', 'p', 'e', 0xa1, 't');
    BAD(WHY_TOP, 0xa4, 't', 'y', 'p', 'e');
    BAD(WHY_TOP, 0x01);
    BAD(WHY_TOP, 0xc0);
    BAD(WHY_TOP, 0xc4, 0x00);
}

static void test_keys_must_be_strings(void)
{
    BAD(WHY_KEY, 0x82, 0xa4, 't', 'y', 'p', 'e', 0xa1, 't', 0x01, 0x01);
    BAD(WHY_KEY, 0x81, 0xc4, 0x04, 't', 'y', 'p', 'e', 0xa1, 't');
    BAD(WHY_KEY, 0x82, 0xc0, 0x01, 0xa4, 't', 'y', 'p', 'e', 0xa1, 't');

    /* Also in nested maps, at any depth. */
    X_BAD(WHY_KEY, 0x81, 0x01, 0x02);
    X_BAD(WHY_KEY, 0x91, 0x81, 0x90, 0x01);
}

static void test_type_must_be_a_string(void)
{
    BAD(WHY_TYPE, 0x80);
    BAD(WHY_TYPE, 0x81, 0xa1, 'x', 0xa1, 't');
    BAD(WHY_TYPE, 0x81, 0xa4, 't', 'y', 'p', 'e', 0x01);
    BAD(WHY_TYPE, 0x81, 0xa4, 't', 'y', 'p', 'e', 0xc0);
    BAD(WHY_TYPE, 0x81, 0xa4, 't', 'y', 'p', 'e', 0xc4, 0x01, 't');
    BAD(WHY_TYPE, 0x81, 0xa4, 't', 'y', 'p', 'e', 0x91, 0xa1, 't');
    BAD(WHY_TYPE, 0x81, 0xa5, 't', 'y', 'p', 'e', 's', 0xa1, 't');
}

static void test_invalid_utf8(void)
{
    X_BAD(WHY_UTF8, 0xa2, 0xc0, 0x80);             /* overlong NUL */
    X_BAD(WHY_UTF8, 0xa2, 0xc1, 0xbf);             /* overlong U+007F */
    X_BAD(WHY_UTF8, 0xa3, 0xe0, 0x80, 0x80);       /* overlong three bytes */
    X_BAD(WHY_UTF8, 0xa3, 0xe0, 0x9f, 0xbf);       /* overlong U+07FF */
    X_BAD(WHY_UTF8, 0xa4, 0xf0, 0x8f, 0xbf, 0xbf); /* overlong U+FFFF */
    X_BAD(WHY_UTF8, 0xa3, 0xed, 0xa0, 0x80);       /* surrogate U+D800 */
    X_BAD(WHY_UTF8, 0xa3, 0xed, 0xbf, 0xbf);       /* surrogate U+DFFF */
    X_BAD(WHY_UTF8, 0xa4, 0xf4, 0x90, 0x80, 0x80); /* U+110000 */
    X_BAD(WHY_UTF8, 0xa4, 0xf5, 0x80, 0x80, 0x80); /* lead byte F5 */
    X_BAD(WHY_UTF8, 0xa1, 0xff);
    X_BAD(WHY_UTF8, 0xa1, 0xfe);
    X_BAD(WHY_UTF8, 0xa1, 0x80);                   /* a lone continuation */
    X_BAD(WHY_UTF8, 0xa2, 0xe2, 0x82);             /* euro sign cut short */
    X_BAD(WHY_UTF8, 0xa3, 0xe2, 0x28, 0xac);       /* a bad second byte */
    X_BAD(WHY_UTF8, 0xa4, 0xf0, 0x9f, 0x98, 0x41); /* a bad fourth byte */

    /* The sequence must end inside its own string, even when the next byte
     * of the frame (here the header of a nine-byte key) would complete it. */
    BAD(WHY_UTF8, 0x83, 0xa4, 't', 'y', 'p', 'e', 0xa1, 't', 0xa1, 'x', 0xa1, 0xc3, 0xa9, 'a', 'b',
        'c', 'd', 'e', 'f', 'g', 'h', 'i', 0x01);

    /* In keys, in `type`, and in strings nested in arrays and maps. */
    BAD(WHY_UTF8, 0x82, 0xa4, 't', 'y', 'p', 'e', 0xa1, 't', 0xa1, 0xff, 0x01);
    BAD(WHY_UTF8, 0x81, 0xa4, 't', 'y', 'p', 'e', 0xa2, 0xc0, 0xaf);
    X_BAD(WHY_UTF8, 0x91, 0xa3, 0xed, 0xa0, 0x80);
    X_BAD(WHY_UTF8, 0x81, 0xa1, 0xff, 0x01);
}

static void test_valid_utf8_boundaries(void)
{
    static const uint8_t samples[][5] = {
        {0xa1, 0x7f},                   /* U+007F */
        {0xa2, 0xc2, 0x80},             /* U+0080 */
        {0xa2, 0xdf, 0xbf},             /* U+07FF */
        {0xa3, 0xe0, 0xa0, 0x80},       /* U+0800 */
        {0xa3, 0xed, 0x9f, 0xbf},       /* U+D7FF */
        {0xa3, 0xee, 0x80, 0x80},       /* U+E000 */
        {0xa3, 0xef, 0xbf, 0xbf},       /* U+FFFF */
        {0xa4, 0xf0, 0x90, 0x80, 0x80}, /* U+10000 */
        {0xa4, 0xf4, 0x8f, 0xbf, 0xbf}, /* U+10FFFF */
    };
    const char *s = NULL;
    size_t len = 0;

    for (size_t i = 0; i < sizeof(samples) / sizeof(samples[0]); i++) {
        size_t n = (size_t)(samples[i][0] & 0x1f);
        struct proto_msg *m = x_msg(samples[i], n + 1);
        CHECK(m != NULL && proto_get_str(m, "x", &s, &len) == STATUS_OK);
        CHECK(m != NULL && len == n && memcmp(s, samples[i] + 1, n) == 0);
        proto_msg_free(m);
    }
}

/* Random damage to a valid frame never crashes, and whatever still decodes
 * can be read. The sanitizers do the real checking here. */
static void test_random_damage(void)
{
    struct proto_buf *b = encode_sample();
    uint8_t *frame = malloc(b->len);
    uint32_t seed = 12345;

    for (int round = 0; round < 20000; round++) {
        memcpy(frame, proto_buf_payload(b), b->len);
        for (int k = 0; k < 1 + round % 3; k++) {
            seed = seed * 1103515245u + 12345u;
            frame[(seed >> 8) % b->len] = (uint8_t)(seed >> 24);
        }
        struct proto_msg *m;
        const char *why;
        if (decode_copy(frame, b->len, PROTO_MAX_FRAME, &m, &why) == STATUS_OK) {
            uint64_t u;
            uint64_t arr[8];
            size_t n;
            const char *s;
            CHECK(proto_msg_type(m) != NULL);
            proto_get_uint(m, "room", &u);
            proto_get_uint_array(m, "members", arr, 8, &n);
            proto_get_str(m, "body", &s, &n);
            proto_msg_free(m);
        }
    }
    free(frame);
    proto_buf_unref(b);
}

/* ---- encoding ----------------------------------------------------------- */

static void test_writer_exact_bytes(void)
{
    struct proto_writer w;

    proto_writer_init(&w, 64);
    proto_put_map(&w, 1);
    proto_kv_cstr(&w, "type", "ok");
    struct proto_buf *b = proto_writer_finish(&w);
    check_payload(b, BYTES(0x81, 0xa4, 't', 'y', 'p', 'e', 0xa2, 'o', 'k'));
    CHECK(proto_buf_payload(b) == b->data + PROTO_HEADROOM);
    CHECK(b->refs == 1 && b->cap >= b->len);

    /* The headroom is there to be written by the transport. */
    memset(b->data, 0xee, PROTO_HEADROOM);
    CHECK(proto_buf_payload(b)[0] == 0x81);
    proto_buf_unref(b);
}

static void test_writer_uses_smallest_forms(void)
{
    static const struct {
        uint64_t v;
        uint8_t bytes[9];
        size_t len;
    } cases[] = {
        {0, {0x00}, 1},
        {127, {0x7f}, 1},
        {128, {0xcc, 0x80}, 2},
        {256, {0xcd, 0x01, 0x00}, 3},
        {65536, {0xce, 0x00, 0x01, 0x00, 0x00}, 5},
        {1ULL << 32, {0xcf, 0, 0, 0, 1, 0, 0, 0, 0}, 9},
    };

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct proto_writer w;
        proto_writer_init(&w, 16);
        proto_put_uint(&w, cases[i].v);
        struct proto_buf *b = proto_writer_finish(&w);
        check_payload(b, cases[i].bytes, cases[i].len);
        proto_buf_unref(b);
    }

    struct proto_writer w;
    proto_writer_init(&w, 16);
    proto_put_array(&w, 2);
    proto_put_bool(&w, true);
    proto_put_bool(&w, false);
    proto_put_nil(&w);
    proto_put_str(&w, NULL, 0);
    struct proto_buf *b = proto_writer_finish(&w);
    check_payload(b, BYTES(0x92, 0xc3, 0xc2, 0xc0, 0xa0));
    proto_buf_unref(b);
}

/* A double is always a float64, even when a smaller form would hold it,
 * and the decoder accepts the frame (it reads floats as neither uint nor
 * string). */
static void test_writer_double(void)
{
    struct proto_writer w;

    proto_writer_init(&w, 64);
    proto_put_array(&w, 3);
    proto_put_double(&w, 0.0);
    proto_put_double(&w, 4.5);
    proto_put_double(&w, -1.0 / 3.0);
    struct proto_buf *b = proto_writer_finish(&w);
    check_payload(b, BYTES(0x93, 0xcb, 0, 0, 0, 0, 0, 0, 0, 0, 0xcb, 0x40, 0x12, 0, 0, 0, 0, 0, 0,
                           0xcb, 0xbf, 0xd5, 0x55, 0x55, 0x55, 0x55, 0x55, 0x55));
    proto_buf_unref(b);

    proto_writer_init(&w, 64);
    proto_put_map(&w, 2);
    proto_kv_cstr(&w, "type", "t");
    proto_kv_double(&w, "avg", 3.75);
    b = proto_writer_finish(&w);
    check_payload(b, BYTES(0x82, 0xa4, 't', 'y', 'p', 'e', 0xa1, 't', 0xa3, 'a', 'v', 'g', 0xcb,
                           0x40, 0x0e, 0, 0, 0, 0, 0, 0));

    struct proto_msg *m;
    const char *why;
    uint64_t u = 0;
    CHECK(decode_copy(proto_buf_payload(b), b->len, PROTO_MAX_FRAME, &m, &why) == STATUS_OK);
    CHECK(proto_get_uint(m, "avg", &u) == STATUS_BAD_REQUEST);
    proto_msg_free(m);
    proto_buf_unref(b);

    /* Like every put, it respects the limit. */
    proto_writer_init(&w, 8);
    proto_put_double(&w, 1.0);
    CHECK(proto_writer_finish(&w) == NULL);
}

static void test_writer_limit(void)
{
    struct proto_writer w;

    /* {"type":"ok"} is nine bytes: a limit of nine holds it exactly. */
    proto_writer_init(&w, 9);
    proto_put_map(&w, 1);
    proto_kv_cstr(&w, "type", "ok");
    struct proto_buf *b = proto_writer_finish(&w);
    CHECK(b != NULL && b->len == 9 && b->cap <= 9);
    proto_buf_unref(b);

    proto_writer_init(&w, 8);
    proto_put_map(&w, 1);
    proto_kv_cstr(&w, "type", "ok");
    CHECK(w.failed && w.buf == NULL);

    /* Once failed, puts do nothing, even ones that would fit. */
    proto_put_nil(&w);
    CHECK(w.failed && w.buf == NULL);
    CHECK(proto_writer_finish(&w) == NULL);

    /* A limit of zero refuses the first byte. */
    proto_writer_init(&w, 0);
    proto_put_nil(&w);
    CHECK(proto_writer_finish(&w) == NULL);
}

static void test_writer_grows_by_doubling(void)
{
    struct proto_writer w;
    size_t caps_seen = 0;
    size_t last_cap = 0;
    uint64_t *out = malloc(20000 * sizeof(*out));
    size_t n = 0;

    proto_writer_init(&w, 1 << 20);
    proto_put_map(&w, 2);
    proto_kv_cstr(&w, "type", "t");
    proto_put_cstr(&w, "v");
    proto_put_array(&w, 20000);
    for (uint64_t i = 0; i < 20000; i++) {
        proto_put_uint(&w, i * 1000);
        if (w.buf->cap != last_cap) {
            CHECK(last_cap == 0 || w.buf->cap == last_cap * 2);
            last_cap = w.buf->cap;
            caps_seen++;
        }
    }
    struct proto_buf *b = proto_writer_finish(&w);
    CHECK(b != NULL && caps_seen > 5 && b->cap < 2 * b->len);

    struct proto_msg *m;
    const char *why;
    CHECK(decode_copy(proto_buf_payload(b), b->len, 1 << 20, &m, &why) == STATUS_OK);
    CHECK(proto_get_uint_array(m, "v", out, 20000, &n) == STATUS_OK && n == 20000);
    CHECK(out[19999] == 19999000);
    proto_msg_free(m);
    proto_buf_unref(b);
    free(out);
}

/* Under LeakSanitizer or valgrind, a discard or failed finish that kept its
 * memory shows up as a leak. */
static void test_writer_discard_and_empty_finish(void)
{
    struct proto_writer w;

    proto_writer_init(&w, 1024);
    proto_put_map(&w, 1);
    proto_kv_cstr(&w, "type", "lost");
    proto_writer_discard(&w);
    CHECK(w.buf == NULL);

    proto_writer_init(&w, 1024);
    struct proto_buf *b = proto_writer_finish(&w);
    CHECK(b != NULL && b->len == 0 && b->refs == 1);
    proto_buf_unref(b);

    /* A finished writer is spent. */
    proto_writer_init(&w, 1024);
    proto_put_nil(&w);
    b = proto_writer_finish(&w);
    proto_put_nil(&w);
    CHECK(w.buf == NULL);
    proto_writer_discard(&w);
    proto_buf_unref(b);
}

static void test_buf_refcount(void)
{
    struct proto_buf *b = proto_buf_new(100);

    CHECK(b != NULL && b->refs == 1 && b->len == 0 && b->cap == 100);
    b->data[0] = 1;
    proto_buf_payload(b)[99] = 2;

    proto_buf_ref(b);
    proto_buf_ref(b);
    CHECK_EQ_U(b->refs, 3);
    proto_buf_unref(b);
    proto_buf_unref(b);
    CHECK_EQ_U(b->refs, 1);
    CHECK(proto_buf_payload(b)[99] == 2);
    proto_buf_unref(b);

    proto_buf_unref(NULL);
}

static void test_array_header(void)
{
    uint8_t out[5];

    CHECK(proto_array_header(out, 0) == 1 && out[0] == 0x90);
    CHECK(proto_array_header(out, 15) == 1 && out[0] == 0x9f);
    CHECK(proto_array_header(out, 16) == 3 && memcmp(out, "\xdc\x00\x10", 3) == 0);
    CHECK(proto_array_header(out, 65535) == 3 && memcmp(out, "\xdc\xff\xff", 3) == 0);
    CHECK(proto_array_header(out, 65536) == 5 && memcmp(out, "\xdd\x00\x01\x00\x00", 5) == 0);
    CHECK(proto_array_header(out, UINT32_MAX) == 5 && memcmp(out, "\xdd\xff\xff\xff\xff", 5) == 0);
}

TEST_MAIN(TEST_CASE(test_round_trip_every_field_type), TEST_CASE(test_round_trip_uint_widths),
          TEST_CASE(test_round_trip_string_widths), TEST_CASE(test_strings_are_nul_terminated),
          TEST_CASE(test_non_minimal_encodings_accepted), TEST_CASE(test_every_format_accepted),
          TEST_CASE(test_message_outlives_its_input), TEST_CASE(test_many_fields),
          TEST_CASE(test_absent_and_nil_are_not_found), TEST_CASE(test_wrong_types_for_accessors),
          TEST_CASE(test_containers_are_not_scalars), TEST_CASE(test_negative_ints_are_not_uints),
          TEST_CASE(test_request_id), TEST_CASE(test_uint_array_caps_and_elements),
          TEST_CASE(test_str_array_caps_and_elements), TEST_CASE(test_duplicate_keys_first_wins),
          TEST_CASE(test_size_cap_checked_first), TEST_CASE(test_empty_frame),
          TEST_CASE(test_truncated_at_every_offset), TEST_CASE(test_declared_lengths_beyond_frame),
          TEST_CASE(test_truncated_headers_and_reserved_byte), TEST_CASE(test_depth_cap),
          TEST_CASE(test_trailing_bytes), TEST_CASE(test_top_value_must_be_a_map),
          TEST_CASE(test_keys_must_be_strings), TEST_CASE(test_type_must_be_a_string),
          TEST_CASE(test_invalid_utf8), TEST_CASE(test_valid_utf8_boundaries),
          TEST_CASE(test_random_damage), TEST_CASE(test_writer_exact_bytes),
          TEST_CASE(test_writer_uses_smallest_forms), TEST_CASE(test_writer_double),
          TEST_CASE(test_writer_limit), TEST_CASE(test_writer_grows_by_doubling),
          TEST_CASE(test_writer_discard_and_empty_finish), TEST_CASE(test_buf_refcount),
          TEST_CASE(test_array_header))
