/*
 * Passwords and session tokens, with OpenSSL.
 *
 * Passwords are hashed with scrypt (OpenSSL's EVP_KDF "SCRYPT") and a fresh
 * 16-byte salt per user. Hashing takes tens of milliseconds on purpose, so it
 * runs on libuv's thread pool and reports back on the loop thread. The result
 * is one self-describing text record, "scrypt$N$r$p$<salt hex>$<hash hex>",
 * which the store keeps as it is; verification reads the parameters back from
 * the record, so they can be raised later without breaking old accounts.
 *
 * A session token is 32 random bytes (RAND_bytes) shown to the client once as
 * 64 hex characters. Only its SHA-256 is stored.
 */
#ifndef KOLAB_AUTH_H
#define KOLAB_AUTH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#include "status.h"

#define AUTH_RECORD_MAX   160
#define AUTH_TOKEN_BYTES  32
#define AUTH_TOKEN_HEX    (AUTH_TOKEN_BYTES * 2)
#define AUTH_PASSWORD_MIN 8
#define AUTH_PASSWORD_MAX 256

/* Called on the loop thread. `record` is the new password record (hash) or
 * NULL on failure; borrowed for the call. */
typedef void (*auth_hash_fn)(void *ud, enum status st, const char *record);
/* Called on the loop thread. `match` tells whether the password fits. */
typedef void (*auth_verify_fn)(void *ud, enum status st, bool match);

/*
 * Hashes `password` (copied) on the thread pool of `loop`. Returns
 * STATUS_BAD_REQUEST when `len` is outside AUTH_PASSWORD_MIN..AUTH_PASSWORD_MAX,
 * STATUS_NOMEM or STATUS_INTERNAL when the work cannot start; the callback
 * then never runs. Loop thread only.
 */
enum status auth_password_hash(uv_loop_t *loop, const char *password, size_t len, auth_hash_fn cb,
                               void *ud);

/*
 * Checks `password` (copied) against `record` (borrowed for the call) on the
 * thread pool, in constant time over the hash. A malformed record verifies as
 * no match. When `record` is NULL (unknown user) a dummy record is checked so
 * that the time taken does not tell whether the user exists; it never
 * matches. Returns STATUS_BAD_REQUEST when `len` exceeds AUTH_PASSWORD_MAX,
 * STATUS_NOMEM or STATUS_INTERNAL when the work cannot start; the callback
 * then never runs. Loop thread only.
 */
enum status auth_password_verify(uv_loop_t *loop, const char *password, size_t len,
                                 const char *record, auth_verify_fn cb, void *ud);

/* Synchronous versions, for the command line and tests; they block for as
 * long as one hash takes. `record` gets the NUL-terminated record; a `cap` of
 * AUTH_RECORD_MAX + 1 is always enough. The hash returns STATUS_BAD_REQUEST
 * for a length outside the limits above; the verify returns false for a
 * password longer than AUTH_PASSWORD_MAX and for any error. Any thread. */
enum status auth_password_hash_sync(const char *password, size_t len, char *record, size_t cap);
bool auth_password_verify_sync(const char *password, size_t len, const char *record);

/* A new token: `hex` gets AUTH_TOKEN_HEX characters and a NUL, `hash` its
 * SHA-256. STATUS_INTERNAL when the random generator fails. */
enum status auth_token_new(char hex[AUTH_TOKEN_HEX + 1], uint8_t hash[32]);

/* The SHA-256 of a token given as text. STATUS_UNAUTHENTICATED when `hex`
 * is not 64 hex characters. */
enum status auth_token_hash(const char *hex, size_t len, uint8_t hash[32]);

/* `n` random bytes as 2n hex characters and a NUL into `out`, which the
 * caller sizes at 2n + 1. STATUS_INTERNAL when the random generator fails. */
enum status auth_random_hex(char *out, size_t n);

#endif
