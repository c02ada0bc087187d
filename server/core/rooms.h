/*
 * Live room subscriptions and local fan-out.
 *
 * Two mirror maps: each room lists the connections that joined it, and each
 * connection lists the rooms it joined (struct conn_room, with its slot in
 * the room's list so leaving costs O(1)). Subscribing and unsubscribing are
 * written as mirror images. Membership itself lives in the store; this is
 * only who receives a room's events on this process right now.
 * Loop thread only.
 */
#ifndef KOLAB_ROOMS_H
#define KOLAB_ROOMS_H

#include <stdbool.h>
#include <stdint.h>

#include "codec.h"
#include "status.h"

struct conn;

/* Starts delivering `room`'s events to `c`, which has seen (or will fetch
 * by history) every message up to `seen`. Joining twice is harmless. */
enum status rooms_subscribe(struct conn *c, uint64_t room, uint64_t seen);

/* Stops it. Leaving a room not joined is harmless. */
void rooms_unsubscribe(struct conn *c, uint64_t room);

/* Leaves every room `c` joined (when it closes). */
void rooms_unsubscribe_all(struct conn *c);

/* Stops delivery of `room` to every connection of `user` (removed member). */
void rooms_unsubscribe_user(uint64_t room, uint64_t user);

bool rooms_subscribed(const struct conn *c, uint64_t room);

/* Queues `b` to every connection joined to `room`, except those of
 * `skip_user` (0 skips nobody), at once: for events outside the message
 * order (typing, presence, read markers, membership). The caller keeps its
 * reference. */
void rooms_publish(uint64_t room, struct proto_buf *b, uint64_t skip_user);

/*
 * Delivers a room event in the room's message order, whichever process
 * stored it. With `seq`, `b` is the message of that seq: it goes out once,
 * after every lower seq, to each joined connection that has not seen it.
 * A message that arrives ahead of a missing one waits ROOMS_GAP_WAIT_MS for
 * it, then the missing ones are read from the store. With `after`, `b` is
 * about message `after` (an edit or deletion) and waits until that message
 * is out. With neither, it goes out at once. The caller keeps its reference.
 */
#define ROOMS_GAP_WAIT_MS 100

/* Reads from the store every message each joined room is missing and sends
 * it in order: after the bus between processes was away. */
void rooms_catch_up(void);
void rooms_deliver(uint64_t room, uint64_t seq, uint64_t after, struct proto_buf *b);

/* Connections joined to `room` on this process. */
uint32_t rooms_subscriber_count(uint64_t room);

#endif
