/*
 * Unit tests for server/core/auth.c: password records (sync and through a
 * real libuv loop), record parsing, session tokens and random hex. OpenSSL's
 * EVP_PBE_scrypt serves as an independent reference to build records by hand.
 */
#include <ctype.h>
#include <stdlib.h>

#include <openssl/evp.h>

#include "auth.h"
#include "check.h"

static const char good_pw[] = "correct horse battery";
#define GOOD_LEN (sizeof(good_pw) - 1)

static bool all_lower_hex(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (!isdigit((unsigned char)s[i]) && !(s[i] >= 'a' && s[i] <= 'f')) {
            return false;
        }
    }
    return true;
}

static void to_hex(const uint8_t *in, size_t n, char *out)
{
    for (size_t i = 0; i < n; i++) {
        snprintf(out + 2 * i, 3, "%02x", in[i]);
    }
}

/* Builds a record with OpenSSL directly, so that records with a correct hash
 * but out-of-bounds parameters or password lengths can be tried. */
static bool make_record_for(const char *pw, size_t len, uint64_t n, uint64_t r, uint64_t p,
                            char *out, size_t cap)
{
    uint8_t salt[16] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16};
    uint8_t key[32];
    char salt_hex[33];
    char key_hex[65];

    if (EVP_PBE_scrypt(pw, len, salt, sizeof(salt), n, r, p, 64u << 20, key, sizeof(key)) != 1) {
        return false;
    }
    to_hex(salt, sizeof(salt), salt_hex);
    to_hex(key, sizeof(key), key_hex);
    snprintf(out, cap, "scrypt$%llu$%llu$%llu$%s$%s", (unsigned long long)n, (unsigned long long)r,
             (unsigned long long)p, salt_hex, key_hex);
    return true;
}

static bool make_record(uint64_t n, uint64_t r, uint64_t p, char *out, size_t cap)
{
    return make_record_for(good_pw, GOOD_LEN, n, r, p, out, cap);
}

/* ---- synchronous passwords ------------------------------------------- */

static void test_hash_then_verify(void)
{
    char record[AUTH_RECORD_MAX + 1];

    CHECK_EQ_U(auth_password_hash_sync(good_pw, GOOD_LEN, record, sizeof(record)), STATUS_OK);
    CHECK(strncmp(record, "scrypt$16384$8$1$", 17) == 0);
    CHECK_EQ_U(strlen(record), 17 + 32 + 1 + 64);
    CHECK(all_lower_hex(record + 17, 32));
    CHECK(record[17 + 32] == '$');
    CHECK(all_lower_hex(record + 17 + 33, 64));
    CHECK(auth_password_verify_sync(good_pw, GOOD_LEN, record));
}

static void test_record_matches_reference(void)
{
    char record[AUTH_RECORD_MAX + 1];
    uint8_t salt[16];
    uint8_t key[32];
    char key_hex[65];

    CHECK_EQ_U(auth_password_hash_sync(good_pw, GOOD_LEN, record, sizeof(record)), STATUS_OK);
    for (size_t i = 0; i < sizeof(salt); i++) {
        char byte[3] = {record[17 + 2 * i], record[18 + 2 * i], '\0'};
        salt[i] = (uint8_t)strtoul(byte, NULL, 16);
    }
    CHECK(EVP_PBE_scrypt(good_pw, GOOD_LEN, salt, sizeof(salt), 16384, 8, 1, 64u << 20, key,
                         sizeof(key)) == 1);
    to_hex(key, sizeof(key), key_hex);
    CHECK_STR(record + 17 + 33, key_hex);
}

static void test_wrong_password(void)
{
    char record[AUTH_RECORD_MAX + 1];
    char other[] = "correct horse battery";

    CHECK_EQ_U(auth_password_hash_sync(good_pw, GOOD_LEN, record, sizeof(record)), STATUS_OK);
    other[0] = 'C';
    CHECK(!auth_password_verify_sync(other, GOOD_LEN, record));
    CHECK(!auth_password_verify_sync(good_pw, GOOD_LEN - 1, record));
    CHECK(!auth_password_verify_sync("", 0, record));
    CHECK(!auth_password_verify_sync(NULL, 0, record));
}

static void test_length_not_strlen(void)
{
    char record[AUTH_RECORD_MAX + 1];

    CHECK_EQ_U(auth_password_hash_sync("abc\0defgh", 9, record, sizeof(record)), STATUS_OK);
    CHECK(auth_password_verify_sync("abc\0defgh", 9, record));
    CHECK(!auth_password_verify_sync("abc\0xxxxx", 9, record));
}

static void test_salt_differs(void)
{
    char a[AUTH_RECORD_MAX + 1];
    char b[AUTH_RECORD_MAX + 1];

    CHECK_EQ_U(auth_password_hash_sync(good_pw, GOOD_LEN, a, sizeof(a)), STATUS_OK);
    CHECK_EQ_U(auth_password_hash_sync(good_pw, GOOD_LEN, b, sizeof(b)), STATUS_OK);
    CHECK(strncmp(a + 17, b + 17, 32) != 0);
    CHECK(strcmp(a + 17 + 33, b + 17 + 33) != 0);
    CHECK(auth_password_verify_sync(good_pw, GOOD_LEN, a));
    CHECK(auth_password_verify_sync(good_pw, GOOD_LEN, b));
}

static void test_password_limits(void)
{
    char record[AUTH_RECORD_MAX + 1];
    char *big = malloc(AUTH_PASSWORD_MAX + 1);

    CHECK(big != NULL);
    if (big == NULL) {
        return;
    }
    memset(big, 'x', AUTH_PASSWORD_MAX + 1);
    CHECK_EQ_U(auth_password_hash_sync(big, AUTH_PASSWORD_MIN - 1, record, sizeof(record)),
               STATUS_BAD_REQUEST);
    CHECK_EQ_U(auth_password_hash_sync(big, AUTH_PASSWORD_MAX + 1, record, sizeof(record)),
               STATUS_BAD_REQUEST);
    CHECK_EQ_U(auth_password_hash_sync(NULL, 10, record, sizeof(record)), STATUS_BAD_REQUEST);
    CHECK_EQ_U(auth_password_hash_sync(big, AUTH_PASSWORD_MAX, record, 20), STATUS_INTERNAL);
    CHECK_EQ_U(auth_password_hash_sync(big, AUTH_PASSWORD_MAX, record, sizeof(record)), STATUS_OK);
    CHECK(auth_password_verify_sync(big, AUTH_PASSWORD_MAX, record));

    /* A correct record for a password over the limit still does not match. */
    CHECK(make_record_for(big, AUTH_PASSWORD_MAX + 1, 1024, 8, 1, record, sizeof(record)));
    CHECK(!auth_password_verify_sync(big, AUTH_PASSWORD_MAX + 1, record));
    CHECK(make_record_for(big, AUTH_PASSWORD_MAX, 1024, 8, 1, record, sizeof(record)));
    CHECK(auth_password_verify_sync(big, AUTH_PASSWORD_MAX, record));
    free(big);
}

/* ---- record parsing ---------------------------------------------------- */

static void test_tampered_record(void)
{
    char record[AUTH_RECORD_MAX + 1];
    char bad[AUTH_RECORD_MAX + 8];
    size_t len;

    CHECK_EQ_U(auth_password_hash_sync(good_pw, GOOD_LEN, record, sizeof(record)), STATUS_OK);
    len = strlen(record);

    /* One changed digit in the hash, then in the salt. */
    strcpy(bad, record);
    bad[len - 1] = bad[len - 1] == '0' ? '1' : '0';
    CHECK(!auth_password_verify_sync(good_pw, GOOD_LEN, bad));
    strcpy(bad, record);
    bad[17] = bad[17] == '0' ? '1' : '0';
    CHECK(!auth_password_verify_sync(good_pw, GOOD_LEN, bad));

    /* Every truncation, and one character too many. */
    for (size_t cut = 0; cut < len; cut++) {
        memcpy(bad, record, cut);
        bad[cut] = '\0';
        CHECK(!auth_password_verify_sync(good_pw, GOOD_LEN, bad));
    }
    snprintf(bad, sizeof(bad), "%s0", record);
    CHECK(!auth_password_verify_sync(good_pw, GOOD_LEN, bad));

    /* A different scheme name. */
    strcpy(bad, record);
    bad[0] = 'b';
    CHECK(!auth_password_verify_sync(good_pw, GOOD_LEN, bad));
}

static void test_bad_parameters(void)
{
    static const char *const fields[] = {
        "scrypt$16385$8$1$",   "scrypt$016384$8$1$", "scrypt$+16384$8$1$",
        "scrypt$2097152$8$1$", "scrypt$65536$1$1$",  "scrypt$16384$0$1$",
        "scrypt$16384$8$0$",   "scrypt$16384$08$1$", "scrypt$18446744073709551617$8$1$",
        "scrypt$$8$1$",        "scrypt$16384$8$$",   "scrypt$16384$8$1$1$",
    };
    char record[AUTH_RECORD_MAX + 1];
    char bad[AUTH_RECORD_MAX + 40];

    CHECK_EQ_U(auth_password_hash_sync(good_pw, GOOD_LEN, record, sizeof(record)), STATUS_OK);
    for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
        snprintf(bad, sizeof(bad), "%s%s", fields[i], record + 17);
        CHECK(!auth_password_verify_sync(good_pw, GOOD_LEN, bad));
    }
}

/* Correct hashes with parameters just inside and just outside the bounds:
 * only the bounds decide. */
static void test_parameter_bounds(void)
{
    char record[AUTH_RECORD_MAX + 1];

    CHECK(make_record(1024, 8, 1, record, sizeof(record)));
    CHECK(auth_password_verify_sync(good_pw, GOOD_LEN, record));
    CHECK(make_record(512, 8, 1, record, sizeof(record)));
    CHECK(!auth_password_verify_sync(good_pw, GOOD_LEN, record));

    CHECK(make_record(1024, 32, 1, record, sizeof(record)));
    CHECK(auth_password_verify_sync(good_pw, GOOD_LEN, record));
    CHECK(make_record(1024, 33, 1, record, sizeof(record)));
    CHECK(!auth_password_verify_sync(good_pw, GOOD_LEN, record));

    CHECK(make_record(1024, 1, 16, record, sizeof(record)));
    CHECK(auth_password_verify_sync(good_pw, GOOD_LEN, record));
    CHECK(make_record(1024, 1, 17, record, sizeof(record)));
    CHECK(!auth_password_verify_sync(good_pw, GOOD_LEN, record));
}

static void test_garbage_record(void)
{
    static const char *const garbage[] = {
        "",
        "scrypt",
        "scrypt$",
        "$$$$$",
        "scrypt$16384$8$1$zz$zz",
        "\xff\xfe\x01",
        "scrypt$16384$8$1$0011223344556677889900112233445g$"
        "00112233445566778899001122334455667788990011223344556677889900aa",
    };

    for (size_t i = 0; i < sizeof(garbage) / sizeof(garbage[0]); i++) {
        CHECK(!auth_password_verify_sync(good_pw, GOOD_LEN, garbage[i]));
    }
}

static void test_null_record_sync(void)
{
    CHECK(!auth_password_verify_sync(good_pw, GOOD_LEN, NULL));
    CHECK(!auth_password_verify_sync("", 0, NULL));
}

/* An unknown user must cost a full KDF run; a shortcut would be orders of
 * magnitude faster than a real check. */
static void test_null_record_takes_time(void)
{
    char record[AUTH_RECORD_MAX + 1];

    CHECK_EQ_U(auth_password_hash_sync(good_pw, GOOD_LEN, record, sizeof(record)), STATUS_OK);
    uint64_t t0 = uv_hrtime();
    CHECK(auth_password_verify_sync(good_pw, GOOD_LEN, record));
    uint64_t t1 = uv_hrtime();
    CHECK(!auth_password_verify_sync(good_pw, GOOD_LEN, NULL));
    uint64_t t2 = uv_hrtime();

    CHECK((t2 - t1) * 4 > t1 - t0);
}

/* ---- through a real loop ------------------------------------------------ */

struct async_result {
    int calls;
    bool on_loop_thread;
    enum status st;
    bool match;
    char record[AUTH_RECORD_MAX + 1];
};

static uv_thread_t loop_thread;

static void on_hash(void *ud, enum status st, const char *record)
{
    struct async_result *res = ud;
    uv_thread_t self = uv_thread_self();

    res->calls++;
    res->on_loop_thread = uv_thread_equal(&self, &loop_thread);
    res->st = st;
    if (record != NULL) {
        snprintf(res->record, sizeof(res->record), "%s", record);
    }
}

static void on_verify(void *ud, enum status st, bool match)
{
    struct async_result *res = ud;
    uv_thread_t self = uv_thread_self();

    res->calls++;
    res->on_loop_thread = uv_thread_equal(&self, &loop_thread);
    res->st = st;
    res->match = match;
}

static void test_async_hash_and_verify(void)
{
    uv_loop_t loop;
    struct async_result hashed = {0};
    struct async_result right = {0};
    struct async_result wrong = {0};
    struct async_result unknown = {0};
    char pw[] = "correct horse battery";

    loop_thread = uv_thread_self();
    CHECK(uv_loop_init(&loop) == 0);

    /* The caller's buffer is overwritten at once: the work must hold a copy. */
    CHECK_EQ_U(auth_password_hash(&loop, pw, GOOD_LEN, on_hash, &hashed), STATUS_OK);
    memset(pw, 'x', GOOD_LEN);
    CHECK_EQ_U(hashed.calls, 0);
    uv_run(&loop, UV_RUN_DEFAULT);
    CHECK_EQ_U(hashed.calls, 1);
    CHECK(hashed.on_loop_thread);
    CHECK_EQ_U(hashed.st, STATUS_OK);
    CHECK(auth_password_verify_sync(good_pw, GOOD_LEN, hashed.record));

    CHECK_EQ_U(auth_password_verify(&loop, good_pw, GOOD_LEN, hashed.record, on_verify, &right),
               STATUS_OK);
    CHECK_EQ_U(auth_password_verify(&loop, pw, GOOD_LEN, hashed.record, on_verify, &wrong),
               STATUS_OK);
    CHECK_EQ_U(auth_password_verify(&loop, good_pw, GOOD_LEN, NULL, on_verify, &unknown),
               STATUS_OK);
    CHECK_EQ_U(right.calls + wrong.calls + unknown.calls, 0);
    uv_run(&loop, UV_RUN_DEFAULT);

    CHECK_EQ_U(right.calls, 1);
    CHECK(right.on_loop_thread);
    CHECK_EQ_U(right.st, STATUS_OK);
    CHECK(right.match);
    CHECK_EQ_U(wrong.calls, 1);
    CHECK_EQ_U(wrong.st, STATUS_OK);
    CHECK(!wrong.match);
    CHECK_EQ_U(unknown.calls, 1);
    CHECK(unknown.on_loop_thread);
    CHECK_EQ_U(unknown.st, STATUS_OK);
    CHECK(!unknown.match);

    CHECK(uv_loop_close(&loop) == 0);
}

static void test_async_rejects(void)
{
    uv_loop_t loop;
    struct async_result res = {0};
    char big[AUTH_PASSWORD_MAX + 1];

    memset(big, 'x', sizeof(big));
    loop_thread = uv_thread_self();
    CHECK(uv_loop_init(&loop) == 0);

    CHECK_EQ_U(auth_password_hash(&loop, "short", 5, on_hash, &res), STATUS_BAD_REQUEST);
    CHECK_EQ_U(auth_password_hash(&loop, big, sizeof(big), on_hash, &res), STATUS_BAD_REQUEST);
    CHECK_EQ_U(auth_password_verify(&loop, big, sizeof(big), NULL, on_verify, &res),
               STATUS_BAD_REQUEST);

    /* A malformed record still answers through the callback, as no match. */
    CHECK_EQ_U(auth_password_verify(&loop, good_pw, GOOD_LEN, "scrypt$1$1$1$", on_verify, &res),
               STATUS_OK);
    uv_run(&loop, UV_RUN_DEFAULT);
    CHECK_EQ_U(res.calls, 1);
    CHECK(res.on_loop_thread);
    CHECK_EQ_U(res.st, STATUS_OK);
    CHECK(!res.match);

    CHECK(uv_loop_close(&loop) == 0);
}

/* ---- tokens and random hex ---------------------------------------------- */

static void test_token_new(void)
{
    char a[AUTH_TOKEN_HEX + 1];
    char b[AUTH_TOKEN_HEX + 1];
    uint8_t ha[32];
    uint8_t hb[32];

    CHECK_EQ_U(auth_token_new(a, ha), STATUS_OK);
    CHECK_EQ_U(auth_token_new(b, hb), STATUS_OK);
    CHECK_EQ_U(strlen(a), 64);
    CHECK(all_lower_hex(a, 64));
    CHECK(all_lower_hex(b, 64));
    CHECK(strcmp(a, b) != 0);
    CHECK(memcmp(ha, hb, 32) != 0);
}

static void test_token_hash(void)
{
    char hex[AUTH_TOKEN_HEX + 1];
    uint8_t from_new[32];
    uint8_t first[32];
    uint8_t second[32];

    CHECK_EQ_U(auth_token_new(hex, from_new), STATUS_OK);
    CHECK_EQ_U(auth_token_hash(hex, strlen(hex), first), STATUS_OK);
    CHECK_EQ_U(auth_token_hash(hex, strlen(hex), second), STATUS_OK);
    CHECK(memcmp(first, second, 32) == 0);
    CHECK(memcmp(first, from_new, 32) == 0);
}

/* The hash is over the 32 raw bytes, not the text: SHA-256 of 00 01 .. 1f. */
static void test_token_hash_known(void)
{
    static const char token[] = "000102030405060708090a0b0c0d0e0f"
                                "101112131415161718191a1b1c1d1e1f";
    uint8_t hash[32];
    char hash_hex[65];

    CHECK_EQ_U(auth_token_hash(token, 64, hash), STATUS_OK);
    to_hex(hash, sizeof(hash), hash_hex);
    CHECK_STR(hash_hex, "630dcd2966c4336691125448bbb25b4ff412a49c732db2c8abc1b8581bd710dd");
}

static void test_token_hash_rejects(void)
{
    char hex[AUTH_TOKEN_HEX + 2];
    uint8_t hash[32];
    uint8_t ignored[32];

    CHECK_EQ_U(auth_token_new(hex, hash), STATUS_OK);
    CHECK_EQ_U(auth_token_hash(hex, 63, ignored), STATUS_UNAUTHENTICATED);
    CHECK_EQ_U(auth_token_hash(hex, 0, ignored), STATUS_UNAUTHENTICATED);
    CHECK_EQ_U(auth_token_hash(NULL, 64, ignored), STATUS_UNAUTHENTICATED);

    hex[64] = 'a';
    hex[65] = '\0';
    CHECK_EQ_U(auth_token_hash(hex, 65, ignored), STATUS_UNAUTHENTICATED);

    hex[64] = '\0';
    hex[10] = 'g';
    CHECK_EQ_U(auth_token_hash(hex, 64, ignored), STATUS_UNAUTHENTICATED);
    hex[10] = '\0';
    CHECK_EQ_U(auth_token_hash(hex, 64, ignored), STATUS_UNAUTHENTICATED);
    hex[10] = ' ';
    CHECK_EQ_U(auth_token_hash(hex, 64, ignored), STATUS_UNAUTHENTICATED);
}

static void test_random_hex(void)
{
    char a[2 * 16 + 1];
    char b[2 * 16 + 1];
    char big[2 * 100 + 2];

    CHECK_EQ_U(auth_random_hex(a, 16), STATUS_OK);
    CHECK_EQ_U(auth_random_hex(b, 16), STATUS_OK);
    CHECK_EQ_U(strlen(a), 32);
    CHECK(all_lower_hex(a, 32));
    CHECK(strcmp(a, b) != 0);

    /* Longer than one internal chunk, and nothing written past the NUL. */
    big[201] = '#';
    CHECK_EQ_U(auth_random_hex(big, 100), STATUS_OK);
    CHECK_EQ_U(strlen(big), 200);
    CHECK(all_lower_hex(big, 200));
    CHECK(big[201] == '#');

    a[0] = '#';
    CHECK_EQ_U(auth_random_hex(a, 0), STATUS_OK);
    CHECK(a[0] == '\0');
}

TEST_MAIN(TEST_CASE(test_hash_then_verify), TEST_CASE(test_record_matches_reference),
          TEST_CASE(test_wrong_password), TEST_CASE(test_length_not_strlen),
          TEST_CASE(test_salt_differs), TEST_CASE(test_password_limits),
          TEST_CASE(test_tampered_record), TEST_CASE(test_bad_parameters),
          TEST_CASE(test_parameter_bounds), TEST_CASE(test_garbage_record),
          TEST_CASE(test_null_record_sync), TEST_CASE(test_null_record_takes_time),
          TEST_CASE(test_async_hash_and_verify), TEST_CASE(test_async_rejects),
          TEST_CASE(test_token_new), TEST_CASE(test_token_hash), TEST_CASE(test_token_hash_known),
          TEST_CASE(test_token_hash_rejects), TEST_CASE(test_random_hex))
