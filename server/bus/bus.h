/*
 * The bus: Redis pub/sub between the processes of one Kolab deployment.
 * Each process publishes events on named channels and receives those of the
 * channels it subscribed to, its own included. This module knows nothing of
 * rooms or events: a channel is a name, a payload is bytes that cross Redis
 * unchanged. It is the only code that includes hiredis.
 *
 * Two connections: one subscribing, one publishing (a subscribed Redis
 * connection cannot publish). The bus is "up" when both work and every
 * subscription is confirmed by Redis, and "down" from the moment either
 * fails. While down it reconnects with capped, jittered exponential backoff
 * and, before it reports up again, resubscribes every channel in its set.
 * Liveness: the publishing connection is pinged; the bus goes down when
 * nothing at all comes back for the ping deadline (counted in loop turns,
 * so a loop that is merely busy is not mistaken for a dead Redis).
 *
 * Delivery is at most once. A publish made around a failure can be lost,
 * and nothing received while the bus is down is delivered later: after each
 * on_state(true) the caller catches up from its own records.
 *
 * Every function runs on the loop thread only. Callbacks run on the loop
 * thread; they may call any bus function, bus_close included.
 */
#ifndef KOLAB_BUS_H
#define KOLAB_BUS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#include "status.h"

/* Longest channel name, in bytes. */
#define BUS_CHANNEL_MAX 128
/* Most channels one bus subscribes to at a time. */
#define BUS_CHANNELS_MAX (1u << 20)
/* Largest payload, both ways: bigger received ones are dropped. */
#define BUS_PAYLOAD_MAX (32u * 1024 * 1024)
/* Most bytes of publishes hiredis may hold for a Redis that does not keep
 * up; past it bus_publish refuses with STATUS_UNAVAILABLE. */
#define BUS_BACKLOG_MAX (64u * 1024 * 1024)

/* Defaults of struct bus_config, in milliseconds. */
#define BUS_CONNECT_TIMEOUT_MS 5000
#define BUS_PING_INTERVAL_MS   2000
#define BUS_PING_DEADLINE_MS   15000
#define BUS_BACKOFF_MIN_MS     100
#define BUS_BACKOFF_MAX_MS     5000

struct bus;

struct bus_config {
    /* "redis://HOST[:PORT]" (port 6379 when absent; "[addr]" for IPv6).
     * Borrowed for the duration of bus_open. */
    const char *url;
    /* Each field left 0 takes its BUS_*_MS default. */
    uint32_t connect_timeout_ms; /* from connect until up */
    uint32_t ping_interval_ms;
    uint32_t ping_deadline_ms; /* silence after which the bus goes down */
    uint32_t backoff_min_ms;   /* first retry delay, doubled per failure */
    uint32_t backoff_max_ms;   /* cap of the delay before jitter (+-50%) */
};

/* A message on a subscribed channel. `channel` (also NUL-terminated) and
 * `payload` are borrowed for the duration of the call. Only called while
 * the bus is up, and only for channels in the set at that moment. */
typedef void (*bus_message_fn)(void *ud, const char *channel, size_t channel_len,
                               const uint8_t *payload, size_t len);
/* `up` true: both connections work and every subscription is in place.
 * `up` false: one connection was lost; the bus is reconnecting. Calls
 * alternate, starting with true; there is no call for bus_close. */
typedef void (*bus_state_fn)(void *ud, bool up);

struct bus_callbacks {
    bus_message_fn on_message;
    bus_state_fn on_state;
};

/*
 * Parses the URL and starts connecting on `loop`; the result comes through
 * on_state. `cb` is copied; `ud` is passed to every callback. Caller owns
 * *out (bus_close). STATUS_BAD_REQUEST for a malformed URL, STATUS_NOMEM.
 * A Redis that cannot be reached is not an error here: the bus keeps
 * retrying until it comes up or is closed.
 */
enum status bus_open(uv_loop_t *loop, const struct bus_config *cfg, const struct bus_callbacks *cb,
                     void *ud, struct bus **out);

/* Stops everything, without calling on_state. The loop must run once more
 * afterwards so the handles close; `b` is freed then. NULL is allowed. */
void bus_close(struct bus *b);

/* Whether the bus is up: between on_state(true) and on_state(false). */
bool bus_up(const struct bus *b);

/*
 * Adds `channel` (NUL-terminated, copied) to the set and subscribes to it
 * when connected; while down, the subscription is made on reconnect, before
 * up is reported. Subscribing twice is one subscription. Messages start
 * once Redis has it: there is no confirmation, so a message published right
 * after this call may be missed. STATUS_BAD_REQUEST for an empty or too long
 * name, STATUS_TOO_LARGE past BUS_CHANNELS_MAX, STATUS_NOMEM.
 */
enum status bus_subscribe(struct bus *b, const char *channel);

/* Removes `channel` from the set; no message for it is delivered once this
 * returns. Removing an absent channel is not an error. */
void bus_unsubscribe(struct bus *b, const char *channel);

/*
 * Publishes `len` bytes of `payload` (borrowed; copied) on `channel`. Fire
 * and forget: STATUS_OK means the command is queued for Redis, not that
 * anyone received it. STATUS_UNAVAILABLE while the bus is down or its
 * backlog is full, STATUS_BAD_REQUEST for a bad channel name,
 * STATUS_TOO_LARGE past BUS_PAYLOAD_MAX, STATUS_NOMEM.
 */
enum status bus_publish(struct bus *b, const char *channel, const uint8_t *payload, size_t len);

#endif
