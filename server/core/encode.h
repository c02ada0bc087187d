/*
 * Encoders for the protocol's objects (user, room, message), shared by the
 * features so that each object has one wire shape. Each writes one map.
 */
#ifndef KOLAB_ENCODE_H
#define KOLAB_ENCODE_H

#include <stdbool.h>
#include <stdint.h>

#include "codec.h"
#include "store.h"

/* {id, username, name, role}, plus `extra` pairs the caller writes after. */
void encode_user(struct proto_writer *w, const struct store_user *u, uint32_t extra);

/* {id, kind, title, last_seq, epoch}, plus `extra` pairs. */
void encode_room(struct proto_writer *w, const struct store_room *r, uint32_t extra);

/* The message object of PROTOCOL.md. */
void encode_message(struct proto_writer *w, const struct store_message *m);

/* A `message` event for `m`; NULL when out of memory. Caller owns it. */
struct proto_buf *encode_message_event(const struct store_message *m);

#endif
