#include "auth.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <openssl/params.h>
#include <openssl/rand.h>

#include "log.h"

/* The parameters of new records: about 16 MiB of memory per hash. */
#define AUTH_SCRYPT_N   16384
#define AUTH_SCRYPT_R   8
#define AUTH_SCRYPT_P   1
#define AUTH_SALT_BYTES 16
#define AUTH_HASH_BYTES 32

/* What a stored record may ask for. Records are ours, but a damaged one must
 * not make a worker thread allocate without bound. */
#define AUTH_LOG2_N_MIN 10
#define AUTH_LOG2_N_MAX 20
#define AUTH_R_MAX      32
#define AUTH_P_MAX      16

struct scrypt_params {
    uint64_t n;
    uint32_t r;
    uint32_t p;
    uint8_t salt[AUTH_SALT_BYTES];
    uint8_t hash[AUTH_HASH_BYTES];
};

/* What verification compares against: a stored record, the dummy used for
 * unknown users, or a record that did not parse. */
enum record_kind { RECORD_REAL, RECORD_DUMMY, RECORD_BAD };

/* One password job on the thread pool. The password is a private copy, wiped
 * as soon as the KDF has run and, with everything else, before release. */
struct auth_work {
    uv_work_t req;
    char password[AUTH_PASSWORD_MAX];
    size_t len;
    auth_hash_fn hash_cb;
    auth_verify_fn verify_cb;
    void *ud;
    enum record_kind kind;
    struct scrypt_params params;
    enum status st;
    bool match;
    char record[AUTH_RECORD_MAX + 1];
};

static const char auth_hex_digits[] = "0123456789abcdef";

/* ---- hex ------------------------------------------------------------- */

static void hex_encode(const uint8_t *in, size_t n, char *out)
{
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = auth_hex_digits[in[i] >> 4];
        out[2 * i + 1] = auth_hex_digits[in[i] & 0x0f];
    }
    out[2 * n] = '\0';
}

static int hex_value(char c)
{
    if (c >= '0' && c <= '9') {
        return c - '0';
    }
    if (c >= 'a' && c <= 'f') {
        return c - 'a' + 10;
    }
    if (c >= 'A' && c <= 'F') {
        return c - 'A' + 10;
    }
    return -1;
}

/* Decodes exactly 2n hex characters. Stops at the first bad one, so it never
 * reads past a NUL in a short string. */
static bool hex_decode(const char *in, uint8_t *out, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        int hi = hex_value(in[2 * i]);
        if (hi < 0) {
            return false;
        }
        int lo = hex_value(in[2 * i + 1]);
        if (lo < 0) {
            return false;
        }
        out[i] = (uint8_t)(hi << 4 | lo);
    }
    return true;
}

/* ---- records --------------------------------------------------------- */

/* Reads a decimal number without sign or leading zero, at most `max`, and
 * the '$' after it. */
static bool parse_number(const char **s, uint64_t max, uint64_t *out)
{
    const char *p = *s;
    uint64_t v = 0;

    if (*p < '1' || *p > '9') {
        return false;
    }
    while (*p >= '0' && *p <= '9') {
        v = v * 10 + (uint64_t)(*p - '0');
        if (v > max) {
            return false;
        }
        p++;
    }
    if (*p != '$') {
        return false;
    }
    *s = p + 1;
    *out = v;
    return true;
}

static bool params_in_bounds(const struct scrypt_params *sp)
{
    uint64_t n = sp->n;

    if (n < (1u << AUTH_LOG2_N_MIN) || n > (1u << AUTH_LOG2_N_MAX) || (n & (n - 1)) != 0) {
        return false;
    }
    if (sp->r < 1 || sp->r > AUTH_R_MAX || sp->p < 1 || sp->p > AUTH_P_MAX) {
        return false;
    }
    /* scrypt itself requires N < 2^(16r), which only bites when r is 1. */
    return sp->r > 1 || n < (1u << 16);
}

/* Parses "scrypt$N$r$p$<salt hex>$<hash hex>" and nothing else. */
static bool record_parse(const char *record, struct scrypt_params *sp)
{
    static const char prefix[] = "scrypt$";
    const char *s = record;
    uint64_t r;
    uint64_t p;

    if (strncmp(s, prefix, sizeof(prefix) - 1) != 0) {
        return false;
    }
    s += sizeof(prefix) - 1;
    if (!parse_number(&s, 1u << AUTH_LOG2_N_MAX, &sp->n) || !parse_number(&s, AUTH_R_MAX, &r) ||
        !parse_number(&s, AUTH_P_MAX, &p)) {
        return false;
    }
    sp->r = (uint32_t)r;
    sp->p = (uint32_t)p;

    if (!hex_decode(s, sp->salt, AUTH_SALT_BYTES) || s[2 * AUTH_SALT_BYTES] != '$') {
        return false;
    }
    s += 2 * AUTH_SALT_BYTES + 1;
    if (!hex_decode(s, sp->hash, AUTH_HASH_BYTES) || s[2 * AUTH_HASH_BYTES] != '\0') {
        return false;
    }
    return params_in_bounds(sp);
}

static enum status record_format(const struct scrypt_params *sp, char *record, size_t cap)
{
    char salt[2 * AUTH_SALT_BYTES + 1];
    char hash[2 * AUTH_HASH_BYTES + 1];

    hex_encode(sp->salt, AUTH_SALT_BYTES, salt);
    hex_encode(sp->hash, AUTH_HASH_BYTES, hash);
    int n = snprintf(record, cap, "scrypt$%llu$%u$%u$%s$%s", (unsigned long long)sp->n,
                     (unsigned)sp->r, (unsigned)sp->p, salt, hash);
    if (n < 0 || (size_t)n >= cap) {
        return STATUS_INTERNAL;
    }
    return STATUS_OK;
}

/* Fills `sp` from `record`. For an unknown user (NULL) it is the dummy: the
 * parameters of a new record, so the work costs the same as for a real
 * account, with a zero salt and hash that a match is never reported for. */
static enum record_kind record_load(const char *record, struct scrypt_params *sp)
{
    memset(sp, 0, sizeof(*sp));
    if (record == NULL) {
        sp->n = AUTH_SCRYPT_N;
        sp->r = AUTH_SCRYPT_R;
        sp->p = AUTH_SCRYPT_P;
        return RECORD_DUMMY;
    }
    return record_parse(record, sp) ? RECORD_REAL : RECORD_BAD;
}

/* ---- scrypt ---------------------------------------------------------- */

static enum status scrypt_derive(const char *password, size_t len, const struct scrypt_params *sp,
                                 uint8_t out[AUTH_HASH_BYTES])
{
    uint64_t n = sp->n;
    uint32_t r = sp->r;
    uint32_t p = sp->p;
    /* What OpenSSL allocates: 128 r p bytes for B and 128 r (N + 2) for V. */
    uint64_t maxmem = 128u * (uint64_t)r * (n + p + 2);
    OSSL_PARAM params[] = {
        OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_PASSWORD, (void *)password, len),
        OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT, (void *)sp->salt, AUTH_SALT_BYTES),
        OSSL_PARAM_construct_uint64(OSSL_KDF_PARAM_SCRYPT_N, &n),
        OSSL_PARAM_construct_uint32(OSSL_KDF_PARAM_SCRYPT_R, &r),
        OSSL_PARAM_construct_uint32(OSSL_KDF_PARAM_SCRYPT_P, &p),
        OSSL_PARAM_construct_uint64(OSSL_KDF_PARAM_SCRYPT_MAXMEM, &maxmem),
        OSSL_PARAM_construct_end(),
    };

    EVP_KDF *kdf = EVP_KDF_fetch(NULL, OSSL_KDF_NAME_SCRYPT, NULL);
    if (kdf == NULL) {
        log_error("auth", "scrypt unavailable", NULL);
        ERR_clear_error();
        return STATUS_INTERNAL;
    }
    /* The context keeps its own reference to the algorithm. */
    EVP_KDF_CTX *ctx = EVP_KDF_CTX_new(kdf);
    EVP_KDF_free(kdf);
    if (ctx == NULL) {
        ERR_clear_error();
        return STATUS_NOMEM;
    }

    enum status st = STATUS_OK;
    if (EVP_KDF_derive(ctx, out, AUTH_HASH_BYTES, params) <= 0) {
        log_error("auth", "scrypt failed", "n=%llu r=%u p=%u", (unsigned long long)n, r, p);
        ERR_clear_error();
        st = STATUS_INTERNAL;
    }
    EVP_KDF_CTX_free(ctx);
    return st;
}

/* Runs the KDF even for the dummy, and compares in constant time. */
static enum status record_check(const char *password, size_t len, enum record_kind kind,
                                const struct scrypt_params *sp, bool *match)
{
    uint8_t derived[AUTH_HASH_BYTES];

    *match = false;
    if (kind == RECORD_BAD) {
        return STATUS_OK;
    }
    enum status st = scrypt_derive(password, len, sp, derived);
    if (st == STATUS_OK) {
        bool same = CRYPTO_memcmp(derived, sp->hash, AUTH_HASH_BYTES) == 0;
        *match = same && kind == RECORD_REAL;
    }
    OPENSSL_cleanse(derived, sizeof(derived));
    return st;
}

/* ---- synchronous API ------------------------------------------------- */

enum status auth_password_hash_sync(const char *password, size_t len, char *record, size_t cap)
{
    struct scrypt_params sp = {.n = AUTH_SCRYPT_N, .r = AUTH_SCRYPT_R, .p = AUTH_SCRYPT_P};

    if (password == NULL || len < AUTH_PASSWORD_MIN || len > AUTH_PASSWORD_MAX) {
        return STATUS_BAD_REQUEST;
    }
    if (record == NULL || cap == 0) {
        return STATUS_INTERNAL;
    }
    if (RAND_bytes(sp.salt, AUTH_SALT_BYTES) != 1) {
        ERR_clear_error();
        return STATUS_INTERNAL;
    }

    enum status st = scrypt_derive(password, len, &sp, sp.hash);
    if (st == STATUS_OK) {
        st = record_format(&sp, record, cap);
    }
    OPENSSL_cleanse(&sp, sizeof(sp));
    return st;
}

bool auth_password_verify_sync(const char *password, size_t len, const char *record)
{
    struct scrypt_params sp;
    bool match = false;

    if ((password == NULL && len > 0) || len > AUTH_PASSWORD_MAX) {
        return false;
    }
    enum record_kind kind = record_load(record, &sp);
    record_check(password, len, kind, &sp, &match);
    return match;
}

/* ---- thread pool ----------------------------------------------------- */

static struct auth_work *work_new(const char *password, size_t len, void *ud)
{
    struct auth_work *w = calloc(1, sizeof(*w));
    if (w == NULL) {
        return NULL;
    }
    if (len > 0) {
        memcpy(w->password, password, len);
    }
    w->len = len;
    w->ud = ud;
    w->req.data = w;
    return w;
}

static void work_free(struct auth_work *w)
{
    OPENSSL_cleanse(w, sizeof(*w));
    free(w);
}

/* Thread pool. */
static void hash_work(uv_work_t *req)
{
    struct auth_work *w = req->data;

    w->st = auth_password_hash_sync(w->password, w->len, w->record, sizeof(w->record));
    OPENSSL_cleanse(w->password, sizeof(w->password));
}

/* Loop thread. */
static void hash_after(uv_work_t *req, int status)
{
    struct auth_work *w = req->data;
    enum status st = status == 0 ? w->st : STATUS_INTERNAL;

    w->hash_cb(w->ud, st, st == STATUS_OK ? w->record : NULL);
    work_free(w);
}

/* Thread pool. */
static void verify_work(uv_work_t *req)
{
    struct auth_work *w = req->data;

    w->st = record_check(w->password, w->len, w->kind, &w->params, &w->match);
    OPENSSL_cleanse(w->password, sizeof(w->password));
}

/* Loop thread. */
static void verify_after(uv_work_t *req, int status)
{
    struct auth_work *w = req->data;
    enum status st = status == 0 ? w->st : STATUS_INTERNAL;

    w->verify_cb(w->ud, st, st == STATUS_OK && w->match);
    work_free(w);
}

static enum status work_queue(uv_loop_t *loop, struct auth_work *w, uv_work_cb work,
                              uv_after_work_cb after)
{
    if (uv_queue_work(loop, &w->req, work, after) != 0) {
        log_error("auth", "cannot queue password work", NULL);
        work_free(w);
        return STATUS_INTERNAL;
    }
    return STATUS_OK;
}

/* ---- asynchronous API ------------------------------------------------ */

enum status auth_password_hash(uv_loop_t *loop, const char *password, size_t len, auth_hash_fn cb,
                               void *ud)
{
    if (password == NULL || len < AUTH_PASSWORD_MIN || len > AUTH_PASSWORD_MAX) {
        return STATUS_BAD_REQUEST;
    }
    struct auth_work *w = work_new(password, len, ud);
    if (w == NULL) {
        return STATUS_NOMEM;
    }
    w->hash_cb = cb;
    return work_queue(loop, w, hash_work, hash_after);
}

enum status auth_password_verify(uv_loop_t *loop, const char *password, size_t len,
                                 const char *record, auth_verify_fn cb, void *ud)
{
    if ((password == NULL && len > 0) || len > AUTH_PASSWORD_MAX) {
        return STATUS_BAD_REQUEST;
    }
    struct auth_work *w = work_new(password, len, ud);
    if (w == NULL) {
        return STATUS_NOMEM;
    }
    w->verify_cb = cb;

    /* Parsing is cheap, so it happens here and the record need not be kept. */
    w->kind = record_load(record, &w->params);
    return work_queue(loop, w, verify_work, verify_after);
}

/* ---- tokens ---------------------------------------------------------- */

static enum status sha256(const uint8_t *data, size_t len, uint8_t hash[32])
{
    if (EVP_Digest(data, len, hash, NULL, EVP_sha256(), NULL) != 1) {
        ERR_clear_error();
        return STATUS_INTERNAL;
    }
    return STATUS_OK;
}

enum status auth_token_new(char hex[AUTH_TOKEN_HEX + 1], uint8_t hash[32])
{
    uint8_t raw[AUTH_TOKEN_BYTES];

    if (RAND_bytes(raw, sizeof(raw)) != 1) {
        ERR_clear_error();
        return STATUS_INTERNAL;
    }
    enum status st = sha256(raw, sizeof(raw), hash);
    if (st == STATUS_OK) {
        hex_encode(raw, sizeof(raw), hex);
    }
    OPENSSL_cleanse(raw, sizeof(raw));
    return st;
}

enum status auth_token_hash(const char *hex, size_t len, uint8_t hash[32])
{
    uint8_t raw[AUTH_TOKEN_BYTES];

    if (hex == NULL || len != AUTH_TOKEN_HEX || !hex_decode(hex, raw, sizeof(raw))) {
        return STATUS_UNAUTHENTICATED;
    }
    enum status st = sha256(raw, sizeof(raw), hash);
    OPENSSL_cleanse(raw, sizeof(raw));
    return st;
}

enum status auth_random_hex(char *out, size_t n)
{
    uint8_t chunk[32];

    if (out == NULL) {
        return STATUS_INTERNAL;
    }
    /* A fixed buffer and a loop, so any length works without allocating. */
    for (size_t done = 0; done < n;) {
        size_t k = n - done < sizeof(chunk) ? n - done : sizeof(chunk);
        if (RAND_bytes(chunk, (int)k) != 1) {
            ERR_clear_error();
            out[0] = '\0';
            return STATUS_INTERNAL;
        }
        hex_encode(chunk, k, out + 2 * done);
        done += k;
    }
    out[2 * n] = '\0';
    OPENSSL_cleanse(chunk, sizeof(chunk));
    return STATUS_OK;
}
