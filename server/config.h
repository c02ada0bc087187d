/*
 * Kolab's configuration: built-in defaults, then KOLAB_* environment
 * variables, then command-line flags, each overriding the one before.
 * Read once at start-up by main; read-only afterwards.
 */
#ifndef KOLAB_CONFIG_H
#define KOLAB_CONFIG_H

#include <limits.h>
#include <stdbool.h>
#include <stdint.h>

#include "log.h"
#include "status.h"

#define CONFIG_ORIGINS_MAX 16
#define CONFIG_STR_MAX     512
#define CONFIG_ICE_MAX     8
#define CONFIG_PROXIES_MAX 8

struct config {
    char host[CONFIG_STR_MAX];
    unsigned port;
    char data_dir[CONFIG_STR_MAX];
    char web_root[CONFIG_STR_MAX];
    char tls_cert[CONFIG_STR_MAX];
    char tls_key[CONFIG_STR_MAX];
    char origins[CONFIG_ORIGINS_MAX][CONFIG_STR_MAX];
    unsigned origin_count;
    enum log_level log_level;
    /* "redis://HOST:PORT" to share events with other processes; "" alone. */
    char redis[CONFIG_STR_MAX];
    /* Processes to run on one data directory and port (needs redis). */
    unsigned workers;
    /* STUN and TURN servers handed to call clients ("stun:", "stuns:",
     * "turn:" or "turns:" URLs), and the TURN servers' credentials ("" when
     * none). */
    char ice_servers[CONFIG_ICE_MAX][CONFIG_STR_MAX];
    unsigned ice_count;
    char turn_username[CONFIG_STR_MAX];
    char turn_credential[CONFIG_STR_MAX];
    /* Seconds a call may ring before it ends as missed. */
    unsigned call_ring_s;
    /* Seed demo accounts and rooms when the database is new. */
    bool demo;
    /* How long a session token lives, in seconds. */
    uint64_t token_ttl_s;
    /* Largest incoming WebSocket message. */
    unsigned max_frame;
    /* Outbound queue bounds per connection. */
    unsigned queue_events;
    unsigned queue_bytes;
    /* Seconds a WebSocket may go without answering a ping before it is
     * dropped; the ping goes out after two thirds of it. */
    unsigned idle_timeout_s;

    /* Abuse limits (see ratelimit.h). Per user, over all their connections:
     * requests and writes per second, and how many may come at once. */
    unsigned req_rate;
    unsigned req_burst;
    unsigned msg_rate;
    unsigned msg_burst;
    /* Per client address: open WebSockets, and new ones per second. */
    unsigned conns_per_ip;
    unsigned conn_rate_per_ip;
    /* Failed logins before each further attempt must wait, per account and
     * per address, and the longest wait. */
    unsigned login_failures;
    unsigned login_failures_ip;
    unsigned login_delay_max_s;
    /* New accounts per address per hour. */
    unsigned registrations_per_ip;
    /* Rooms one connection may have joined at once. */
    unsigned rooms_per_conn;
    /* Proxies whose X-Forwarded-For names the real client (IP addresses). */
    char trusted_proxies[CONFIG_PROXIES_MAX][64];
    unsigned trusted_proxy_count;
};

/*
 * Fills `cfg` from defaults, the environment and argv[first..argc). `exe` is
 * argv[0], used to find the built web client next to the binary. Returns
 * STATUS_BAD_REQUEST after printing a message for a bad flag or value, and
 * STATUS_NOT_FOUND when --help was given (the usage is printed).
 */
enum status config_load(struct config *cfg, const char *exe, int argc, char **argv, int first);

/* Prints the flags and their environment variables. */
void config_usage(const char *exe);

/* True when `addr` (a peer address as text) is a trusted proxy. */
bool config_proxy_trusted(const struct config *cfg, const char *addr);

/* True when `origin` (an Origin header's value) is allowed. */
bool config_origin_allowed(const struct config *cfg, const char *origin);

#endif
