/*
 * A connection's session: who is on the other end, once they logged in.
 * Called by the network layer when a WebSocket opens and closes, and by the
 * accounts feature when a login, auth or logout succeeds. Loop thread only.
 */
#ifndef KOLAB_SESSION_H
#define KOLAB_SESSION_H

#include <stdbool.h>
#include <stdint.h>

#include "store.h"

struct conn;

struct session {
    /* 0 until the connection is authenticated. */
    uint64_t user;
    /* The user's role as its bit (enum role_bit). The name and username
     * are not kept: every connection holds a session, and an idle one
     * should cost the server little (BENCHMARKS.md). */
    unsigned role;
    /* The token this connection authenticated with, as stored (its hash). */
    uint8_t token_hash[32];
    bool has_token;
    uint64_t expires_ms;
};

/* The roles, as bits, for request tables. */
enum role_bit {
    ROLE_UMKM = 1u << 0,
    ROLE_KOPERASI = 1u << 1,
    ROLE_MENTOR = 1u << 2,
    ROLE_STUDENT = 1u << 3,
    ROLE_MODERATOR = 1u << 4,
    ROLE_ADMIN = 1u << 5,
};
#define ROLE_ANY 0x3fu

/* The bit of a role name; 0 for an unknown name. */
unsigned session_role_bit(const char *role);

/* True for moderators and admins, who may act on any room. */
bool session_is_staff(const struct session *s);

/*
 * Makes `c` the connection of `user`, holding the token `token_hash` (NULL
 * when none) that expires at `expires_ms`. Counts the user online.
 */
void session_attach(struct conn *c, const struct store_user *user, const uint8_t *token_hash,
                    uint64_t expires_ms);

/* The connection is no longer anyone's: leaves its rooms, counts the user
 * offline. Safe on a connection that was never authenticated. */
void session_detach(struct conn *c);

/* A WebSocket was opened: authenticates it by its cookie's token when it
 * carried one (`token_hex` may be NULL) and sends `hello`. */
void session_open(struct conn *c, const char *token_hex);

/* The WebSocket closed. */
void session_close(struct conn *c);

/* Called when a user comes online on this process while online nowhere, or
 * goes offline here and with that everywhere. One listener, set at
 * start-up (the calls feature's). */
typedef void (*session_presence_fn)(uint64_t user, bool online);
void session_on_presence(session_presence_fn fn);

/* Starts the timer that closes connections whose token has expired (4001),
 * checked every SESSION_EXPIRY_CHECK_MS, and the presence announcements of
 * changes elsewhere. */
#define SESSION_EXPIRY_CHECK_MS 5000
void session_start(void);

/* Stops that timer (at shutdown). */
void session_stop(void);

/* Closes every connection holding `token_hash` with `code` (4001 after
 * logout), except `except` (may be NULL). */
void session_end_token(const uint8_t token_hash[32], struct conn *except, int code);

#endif
