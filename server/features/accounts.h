/*
 * Accounts: registration, login, token auth, logout, and finding people.
 * Requests: register, login, auth, logout, ping, users. The HTTP login
 * endpoint and the `kolabd user add` command use the functions below.
 * Loop thread only (except accounts_create_user, for the command line).
 */
#ifndef KOLAB_ACCOUNTS_H
#define KOLAB_ACCOUNTS_H

#include <stddef.h>
#include <stdint.h>

#include "status.h"
#include "store.h"

/* Registers the request table with the dispatcher. */
void accounts_init(void);

/* `user` and `token_hex` are borrowed for the call; on failure both NULL. */
typedef void (*accounts_login_fn)(void *ud, enum status st, const struct store_user *user,
                                  const char *token_hex);

/*
 * Checks a username and password (off the loop) and, when they match,
 * creates a session token. STATUS_UNAUTHENTICATED for a wrong pair. `addr`
 * is the client's address as text (borrowed), for the login limits and the
 * audit log. Returns an error when the check cannot start, and `cb` then
 * never runs: STATUS_RATE_LIMITED with *retry_ms when the account or the
 * address must wait after failed attempts, or too many checks are waiting.
 */
#define ACCOUNTS_ADDR_MAX 64
enum status accounts_login(const char *username, size_t username_len, const char *password,
                           size_t password_len, const char *addr, uint64_t *retry_ms,
                           accounts_login_fn cb, void *ud);

/* Revokes the token given as text and closes the connections holding it
 * with 4001. Unknown tokens are ignored. */
void accounts_logout_token(const char *token_hex);

/* Validates and creates a user of any role, hashing synchronously: for
 * the command line. Prints nothing; *why explains a failure. */
enum status accounts_create_user(struct store *store, const char *username, const char *name,
                                 const char *role, const char *password, const char **why);

#endif
