/*
 * Events between the kolabd processes of one deployment.
 *
 * Every room event goes through here: it is delivered to this process's
 * joined connections (through the room's order gate for messages and events
 * about them) and, when a bus is configured (--redis), published so the
 * other processes deliver it to theirs. Each process subscribes to the
 * channel of a room while it has connections joined to it, and to the
 * channel of a user while that user has connections on it. The encoded
 * event crosses Redis unchanged behind a small fixed header (see cluster.c).
 * Without a bus everything stays local. Loop thread only.
 */
#ifndef KOLAB_CLUSTER_H
#define KOLAB_CLUSTER_H

#include <stdbool.h>
#include <stdint.h>

#include "codec.h"
#include "status.h"

/* Connects to Redis at `url` ("redis://HOST:PORT"); NULL or "" keeps this
 * process alone. */
enum status cluster_start(const char *url);
void cluster_stop(void);

/* False only while a configured bus is down. */
bool cluster_healthy(void);

/*
 * A room event. `seq` and `after` place it in the room's message order as
 * for rooms_deliver; otherwise it goes out at once, to every joined
 * connection except those of `skip_user` (0: none). With `removed_user`,
 * that user's connections leave the room (on every process) before the
 * event goes out. The caller keeps its reference to `b`.
 */
void cluster_room_event(uint64_t room, uint64_t seq, uint64_t after, uint64_t skip_user,
                        uint64_t removed_user, struct proto_buf *b);

/* Closes the other processes' connections of `user` that hold the token
 * with this hash (4001), after a logout here. */
void cluster_end_session(uint64_t user, const uint8_t token_hash[32]);

/* An event for every connection of `user`, on every process. */
void cluster_user_event(uint64_t user, struct proto_buf *b);

/* Tells the other processes that `user` now has connections here, or none
 * (presence.c). Every CLUSTER_HEARTBEAT_MS each process also repeats the
 * list of its users. */
#define CLUSTER_HEARTBEAT_MS 10000
void cluster_presence(uint64_t user, bool online);

/* Called by rooms.c and presence.c as the first connection of a room or a
 * user appears on this process, and as the last one goes. */
void cluster_watch_room(uint64_t room, bool watch);
void cluster_watch_user(uint64_t user, bool watch);

#endif
