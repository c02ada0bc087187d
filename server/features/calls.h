/*
 * Calls: one audio/video call at a time between the two members of a
 * mentoring room. Requests: call_start, call_accept, call_signal, call_end.
 * The server keeps the call's state in the store and relays the WebRTC
 * signalling (offer, answer, ICE candidates) opaque from one member to the
 * other; the media never pass through it. A call left ringing for the ring
 * timeout (--call-ring-s) ends as `missed`, timed by the process that
 * started it. Loop thread only.
 */
#ifndef KOLAB_CALLS_H
#define KOLAB_CALLS_H

#include <stdint.h>

#include "codec.h"
#include "status.h"
#include "store_mentoring.h"

/* Registers the request table with the dispatcher, and sets again the
 * timers of calls that were on when the server last stopped. At start-up,
 * after the store is open. */
void calls_init(void);

/* Stops every ring timer (at shutdown); the loop must run once more so
 * their handles close. Calls left ringing stay so in the store. */
void calls_stop(void);

/*
 * Ends the ringing or active call of `room`, if any, with `reason` (a static
 * wire name: "transfer", "closed"): stores it, posts the call_ended system
 * line and sends the `call` event to the room. STATUS_OK also when there was
 * no call; another status when the store failed. For the mentoring feature
 * on transfer and close.
 */
enum status calls_end_room(uint64_t room, const char *reason);

/* The `call` object of PROTOCOL.md: {id, room, state, started_by,
 * started_ts, accepted_ts?, ended_ts?, end_reason?}. For mentoring_room. */
void calls_encode(struct proto_writer *w, const struct store_call *c);

#endif
