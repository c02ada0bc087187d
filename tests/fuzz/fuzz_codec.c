/*
 * libFuzzer harness for the wire codec (protocol/codec.c).
 *
 * Each input is one frame from a client. It is decoded as the network layer
 * would with the default cap (PROTO_MAX_FRAME); a frame that passes is then
 * read through every accessor on every key a request handler reads, with the
 * caps the handlers use, and what was read is encoded again and decoded
 * once more. The codec's promises are checked on the way, and a broken one
 * aborts, which libFuzzer reports as a crash with the input that caused it:
 *
 *  - a refused frame leaves no message and gives a reason; a frame over the
 *    cap is STATUS_TOO_LARGE;
 *  - an accepted frame is one complete msgpack value according to msgpack-c
 *    as well, a map, with nothing after it (a second, independent parser:
 *    this file includes msgpack only for that comparison);
 *  - strings come back NUL-terminated at their reported length, arrays within
 *    their caps, and the re-encoded fields read back equal.
 *
 * AddressSanitizer, UBSan and LeakSanitizer watch everything else; every
 * input's memory is released before the next.
 */
#include <msgpack.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "codec.h"

/* The handlers' caps for the two array fields (room_create's members,
 * mentor_profile's topics: STORE_MEMBERS_MAX, STORE_TOPICS_MAX and
 * STORE_TOPIC_MAX + 1, which the codec's tests need not link). */
#define FUZZ_UINTS_CAP     256
#define FUZZ_STRS_CAP      7
#define FUZZ_STR_ITEM_SIZE 24

/* Every key a request handler reads (server/features, server/core). */
static const char *const keys[] = {
    "type",     "id",           "action",    "agenda",   "auto_assign", "available",   "before",
    "body",     "call",         "client_id", "comment",  "data",        "description", "done",
    "due",      "duration_min", "epoch",     "kind",     "limit",       "members",     "mentor",
    "name",     "note",         "owner",     "password", "query",       "rating",      "reason",
    "reply_to", "request",      "role",      "room",     "seq",         "session",     "since",
    "since_ts", "starts_ts",    "status",    "text",     "title",       "token",       "topic",
    "topics",   "user",         "username",
};

#define KEY_COUNT (sizeof(keys) / sizeof(keys[0]))

/* What the accessors found under one key. */
struct field {
    enum status uint_st, bool_st, str_st;
    uint64_t u;
    bool b;
    const char *s;
    size_t s_len;
};

static void require(bool cond, const char *what)
{
    if (!cond) {
        fprintf(stderr, "fuzz_codec: broken promise: %s\n", what);
        abort();
    }
}

/* The accessor statuses are the three of the contract and nothing else. */
static bool accessor_status(enum status st)
{
    return st == STATUS_OK || st == STATUS_NOT_FOUND || st == STATUS_BAD_REQUEST;
}

/* msgpack-c must read the accepted frame as exactly one map. */
static void check_with_msgpack(const uint8_t *buf, size_t len)
{
    msgpack_unpacked u;
    size_t off = 0;

    msgpack_unpacked_init(&u);
    msgpack_unpack_return rc = msgpack_unpack_next(&u, (const char *)buf, len, &off);
    require(rc == MSGPACK_UNPACK_SUCCESS, "msgpack-c reads the accepted frame");
    require(off == len, "msgpack-c finds nothing after the value");
    require(u.data.type == MSGPACK_OBJECT_MAP, "msgpack-c sees a map");
    for (uint32_t i = 0; i < u.data.via.map.size; i++) {
        require(u.data.via.map.ptr[i].key.type == MSGPACK_OBJECT_STR, "msgpack-c sees str keys");
    }
    msgpack_unpacked_destroy(&u);
}

static void read_field(const struct proto_msg *m, const char *key, struct field *f)
{
    f->uint_st = proto_get_uint(m, key, &f->u);
    f->bool_st = proto_get_bool(m, key, &f->b);
    f->str_st = proto_get_str(m, key, &f->s, &f->s_len);
    require(accessor_status(f->uint_st) && accessor_status(f->bool_st) &&
                accessor_status(f->str_st),
            "accessors answer OK, NOT_FOUND or BAD_REQUEST");

    /* Absent or nil is absent for every accessor alike. */
    bool absent = f->uint_st == STATUS_NOT_FOUND;
    require((f->bool_st == STATUS_NOT_FOUND) == absent && (f->str_st == STATUS_NOT_FOUND) == absent,
            "accessors agree on an absent field");
    require(!(f->uint_st == STATUS_OK && f->str_st == STATUS_OK), "one value has one type");
    if (f->str_st == STATUS_OK) {
        require(f->s != NULL && f->s[f->s_len] == '\0', "strings are NUL-terminated");
    }
}

static void read_arrays(const struct proto_msg *m, const char *key)
{
    static uint64_t uints[FUZZ_UINTS_CAP];
    static char strs[FUZZ_STRS_CAP][FUZZ_STR_ITEM_SIZE];
    size_t n = SIZE_MAX;

    enum status st = proto_get_uint_array(m, key, uints, FUZZ_UINTS_CAP, &n);
    require(st == STATUS_OK ? n <= FUZZ_UINTS_CAP : n == 0, "uint arrays stay within the cap");

    n = SIZE_MAX;
    st = proto_get_str_array(m, key, &strs[0][0], FUZZ_STR_ITEM_SIZE, FUZZ_STRS_CAP, &n);
    require(st == STATUS_OK ? n <= FUZZ_STRS_CAP : n == 0, "str arrays stay within the cap");
    for (size_t i = 0; st == STATUS_OK && i < n; i++) {
        require(memchr(strs[i], '\0', FUZZ_STR_ITEM_SIZE) != NULL, "str array items fit");
    }
}

/* Encodes the scalar fields found, decodes that, and compares. */
static void reencode(const struct proto_msg *m, const struct field *fields)
{
    uint32_t pairs = 0;
    for (size_t i = 0; i < KEY_COUNT; i++) {
        const struct field *f = &fields[i];
        pairs += f->uint_st == STATUS_OK || f->bool_st == STATUS_OK || f->str_st == STATUS_OK;
    }

    struct proto_writer w;
    proto_writer_init(&w, 2 * PROTO_MAX_FRAME);
    proto_put_map(&w, pairs);
    for (size_t i = 0; i < KEY_COUNT; i++) {
        const struct field *f = &fields[i];
        if (f->uint_st == STATUS_OK) {
            proto_kv_uint(&w, keys[i], f->u);
        } else if (f->bool_st == STATUS_OK) {
            proto_kv_bool(&w, keys[i], f->b);
        } else if (f->str_st == STATUS_OK) {
            proto_kv_str(&w, keys[i], f->s, f->s_len);
        }
    }
    struct proto_buf *b = proto_writer_finish(&w);
    require(b != NULL, "what was decoded can be encoded");

    struct proto_msg *again = NULL;
    enum status st = proto_decode(proto_buf_payload(b), b->len, SIZE_MAX, &again, NULL);
    require(st == STATUS_OK, "our own encoding decodes");
    require(strcmp(proto_msg_type(again), proto_msg_type(m)) == 0, "type survives");
    for (size_t i = 0; i < KEY_COUNT; i++) {
        struct field g;
        read_field(again, keys[i], &g);
        const struct field *f = &fields[i];
        require(f->uint_st != STATUS_OK || (g.uint_st == STATUS_OK && g.u == f->u), "uint");
        require(f->bool_st != STATUS_OK || (g.bool_st == STATUS_OK && g.b == f->b), "bool");
        require(f->str_st != STATUS_OK || (g.str_st == STATUS_OK && g.s_len == f->s_len &&
                                           memcmp(g.s, f->s, f->s_len) == 0),
                "str survives");
    }
    proto_msg_free(again);
    proto_buf_unref(b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct proto_msg *m = NULL;
    const char *why = NULL;

    enum status st = proto_decode(data, size, PROTO_MAX_FRAME, &m, &why);
    if (st != STATUS_OK) {
        require(m == NULL && why != NULL, "a refused frame leaves no message and a reason");
        require(size <= PROTO_MAX_FRAME || st == STATUS_TOO_LARGE, "the cap comes first");
        return 0;
    }
    require(m != NULL && size <= PROTO_MAX_FRAME, "an accepted frame gives a message");

    /* One byte less of cap refuses the same frame unparsed. */
    struct proto_msg *none = NULL;
    require(proto_decode(data, size, size - 1, &none, NULL) == STATUS_TOO_LARGE && none == NULL,
            "the cap is exact");

    check_with_msgpack(data, size);

    static struct field fields[KEY_COUNT];
    for (size_t i = 0; i < KEY_COUNT; i++) {
        read_field(m, keys[i], &fields[i]);
        read_arrays(m, keys[i]);
    }
    require(fields[0].str_st == STATUS_OK && strcmp(fields[0].s, proto_msg_type(m)) == 0,
            "`type` is a string and proto_msg_type is it");
    uint64_t id = 0;
    require(proto_msg_id(m, &id) == (fields[1].uint_st == STATUS_OK) &&
                (fields[1].uint_st != STATUS_OK || id == fields[1].u),
            "proto_msg_id reads `id`");

    reencode(m, fields);
    proto_msg_free(m);
    return 0;
}
