/*
 * A WebSocket connection and its outbound queue.
 *
 * Every event for a connection is queued as a reference to a shared encoded
 * buffer (struct proto_buf), never copied per recipient. The events in the
 * queue are capped in number and in bytes: a client that cannot keep up is
 * closed with 1013 and resumes by seq when it returns, so it never makes the
 * server grow or slows anyone else. Replies to the client's own requests go
 * through the same queue, in order with the events, but are not held against
 * those caps: one reply may be larger than them (a join that replays many
 * messages), and a client must be able to receive what it asked for. While
 * the whole queue is past the caps, the connection's requests are not read,
 * so a client that does not read its replies cannot pile them up. Each
 * write sends everything queued as one frame: the buffer itself when only
 * one waits, otherwise a msgpack array of them. Writes happen once per loop
 * turn, straight from conn_flush_pending, for every connection that had
 * something queued during the turn; only a connection whose socket did not
 * take the whole frame waits for libwebsockets' writeable callback. Loop
 * thread only.
 */
#ifndef KOLAB_CONN_H
#define KOLAB_CONN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "codec.h"
#include "session.h"

struct lws;

/* Room for the client's address as text (HTTP_ADDR_MAX). */
#define CONN_PEER_MAX 48
/* Bad requests within a minute that close a connection (1008). */
#define CONN_BAD_REQUESTS 10

/* WebSocket close codes Kolab uses (see PROTOCOL.md). */
enum conn_close_code {
    CONN_CLOSE_GOING_AWAY = 1001,
    CONN_CLOSE_UNSUPPORTED = 1003,
    CONN_CLOSE_POLICY = 1008,
    CONN_CLOSE_TOO_LARGE = 1009,
    CONN_CLOSE_TRY_LATER = 1013,
    CONN_CLOSE_SESSION_ENDED = 4001,
    CONN_CLOSE_RATE_LIMITED = 4029,
};

/* One room this connection has joined, with its slot in the room's list of
 * subscribers (kept by rooms.c so leaving is O(1)). */
struct conn_room {
    uint64_t room;
    uint32_t slot;
};

/* One queued buffer, and whether it is a reply (see conn_reply). */
struct conn_item {
    struct proto_buf *buf;
    bool reply;
};

/*
 * One WebSocket. An idle connection should cost the server little (the aim
 * is 2 KiB with what libwebsockets holds, BENCHMARKS.md), so buffers are
 * allocated only while used and the fields are ordered to pack.
 */
struct conn {
    uint64_t id;
    struct lws *wsi;
    struct session session;
    /* The client's address (see http_client_addr) and its key in the
     * limits; `addr_counted` once ratelimit_conn_open counted it. */
    char peer[CONN_PEER_MAX];
    uint64_t addr_key;
    bool addr_counted;

    /* Outbound ring of shared buffers, replies and events together, and
     * the events among them, which the caps apply to (the byte cap is at
     * most 1 GiB). `rx_paused` while the requests are not read because the
     * queue is past the caps. The ring is freed whenever it empties.
     * `pending_slot` is the place + 1 in the list of connections to flush
     * this turn (0: not in it); `await_writable` once a writeable callback
     * was asked for instead. */
    struct conn_item *queue;
    uint32_t queue_head;
    uint32_t queue_count;
    uint32_t queue_cap;
    uint32_t queue_bytes;
    uint32_t event_count;
    uint32_t event_bytes;
    uint32_t pending_slot;
    bool await_writable;
    bool rx_paused;

    /* Rooms joined on this connection. */
    struct conn_room *rooms;
    uint32_t room_count;
    uint32_t room_cap;

    /* Reassembly of a message that arrives in several pieces (at most the
     * frame cap, itself under 4 GiB), and the bytes of an oversized message
     * skipped so far (see conn_receive). */
    uint8_t *rx;
    uint32_t rx_len;
    uint32_t rx_cap;
    uint32_t rx_skipped;
    bool rx_skipping;

    /* Times (ms) of the latest CONN_BAD_REQUESTS bad requests, for the
     * abuse limit: NULL until the first, since most clients send none. */
    uint64_t *bad_times;
    unsigned bad_next;

    int close_code;
    const char *close_reason;
    bool close_sent;
};

/* Queues a reference to event `b` (the caller keeps its own). Does nothing
 * on a closing connection; closes with 1013 when the events queued reach
 * the caps. */
void conn_send(struct conn *c, struct proto_buf *b);

/* Queues a reference to `b`, a reply to one of the connection's requests,
 * whatever the caps; past them, stops reading the connection's requests
 * until the queue is back under them. Does nothing on a closing connection. */
void conn_reply(struct conn *c, struct proto_buf *b);

/*
 * Closes `c` with `code` and `reason` (a static string). With `flush`,
 * what is queued is sent first; otherwise it is dropped. The connection
 * stays valid until the network layer reports it closed.
 */
void conn_close(struct conn *c, int code, const char *reason, bool flush);

/* True once conn_close was called. */
bool conn_closing(const struct conn *c);

/* The open connection with `id`, or NULL when it has closed. */
struct conn *conn_find(uint64_t id);

/* Iteration over all open connections: `for (size_t i = 0; (c = conn_next(&i));)`.
 * Connections must not be added or freed during the walk (closing is fine). */
struct conn *conn_next(size_t *pos);

/* Number of open connections. */
size_t conn_count(void);

/* Called by the network layer. */
struct conn *conn_new(struct lws *wsi);
void conn_free(struct conn *c);
/* Writes what is queued; returns -1 when the connection must now close. */
int conn_writeable(struct conn *c);
/*
 * Writes what was queued during this loop turn, one frame per connection,
 * without waiting for writeable callbacks: with libwebsockets on libuv each
 * of those costs about three epoll_ctl calls (BENCHMARKS.md, 2026-12-04). A
 * connection whose socket takes less than the frame (lws keeps the rest),
 * that has more than a frame queued, or that is closing, is left to the
 * writeable callback. Called by the network layer before the loop waits.
 */
void conn_flush_pending(void);
/* Takes received bytes; returns -1 when the connection must now close. */
int conn_receive(struct conn *c, const uint8_t *in, size_t len);

/* Sets the outbound bounds and the largest incoming message. */
void conn_configure(unsigned max_frame, unsigned queue_events, unsigned queue_bytes);

/* Milliseconds since the Unix epoch (wall clock). */
uint64_t conn_now_ms(void);

#endif
