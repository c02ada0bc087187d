/*
 * Abuse limits: how fast one user may write, how many WebSockets one client
 * address may hold and open, and how often logins may fail.
 *
 * Every limit is a count kept in this process, keyed by what the attacker
 * cannot multiply cheaply: the user (not the connection, so opening more
 * sockets buys nothing), the client's address (an IPv4 address, or the /64
 * prefix of an IPv6 one), and the account name tried at login. Callers ask
 * before doing the work and get STATUS_RATE_LIMITED with the milliseconds
 * after which the same attempt can succeed. The values come from the
 * configuration (app.cfg); entries nobody touched for a while are swept so
 * that memory follows the active clients.
 *
 * LIMITATION: with several processes (--workers) each keeps its own counts,
 * so a user whose connections land on N processes may write N times the
 * configured rate, and an address may hold N times its connections.
 * Sharing the counts would take a round trip to Redis per request.
 *
 * Loop thread only.
 */
#ifndef KOLAB_RATELIMIT_H
#define KOLAB_RATELIMIT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "status.h"

/* The key of a client address given as text ("203.0.113.7", "2001:db8::1");
 * 0 when it is not an address. */
uint64_t ratelimit_addr_key(const char *addr);

/*
 * A WebSocket from `addr` wants to open. STATUS_OK counts it open (call
 * ratelimit_conn_closed when it closes); STATUS_RATE_LIMITED when the address
 * holds its maximum of connections or opened too many in the last seconds,
 * with *retry_ms set.
 */
enum status ratelimit_conn_open(uint64_t addr, uint64_t now_ms, uint64_t *retry_ms);
void ratelimit_conn_closed(uint64_t addr);

/*
 * A request of `user`: every request takes from the user's request budget,
 * and a `write` (one that stores or sends something others see) also from
 * the user's message budget. STATUS_RATE_LIMITED with *retry_ms when either
 * is spent; nothing is taken then.
 */
enum status ratelimit_request(uint64_t user, bool write, uint64_t now_ms, uint64_t *retry_ms);

/*
 * A login for `username` from `addr` is about to check a password. Counts
 * the attempt as a failure at once, so a burst of parallel guesses is
 * throttled before any of their checks returns; ratelimit_login_succeeded
 * takes it back. After a few failures each further attempt must wait,
 * twice as long each time, up to a cap. STATUS_RATE_LIMITED with *retry_ms
 * while the account or the address must wait; *first is set on the first
 * such refusal of a wait, for the audit log.
 */
enum status ratelimit_login_attempt(const char *username, size_t username_len, uint64_t addr,
                                    uint64_t now_ms, uint64_t *retry_ms, bool *first);
void ratelimit_login_succeeded(const char *username, size_t username_len, uint64_t addr);

/* A new account from `addr`: STATUS_RATE_LIMITED with *retry_ms when the
 * address registered too many lately. */
enum status ratelimit_register(uint64_t addr, uint64_t now_ms, uint64_t *retry_ms);

/* Starts and stops the sweep of idle entries. */
void ratelimit_start(void);
void ratelimit_stop(void);

#endif
