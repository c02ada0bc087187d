/*
 * A list of messages copied out of store callbacks (whose strings are only
 * borrowed), so that a reply can be sized before it is encoded.
 */
#ifndef KOLAB_MSGLIST_H
#define KOLAB_MSGLIST_H

#include <stdbool.h>
#include <stddef.h>

#include "codec.h"
#include "store.h"

struct msglist {
    struct store_message *items;
    size_t count;
    size_t cap;
    bool failed;
};

/* A store_message_fn: appends a copy of `m` to the msglist `ud`. */
void msglist_add(void *ud, const struct store_message *m);

/* Writes the messages as a msgpack array. */
void msglist_encode(const struct msglist *l, struct proto_writer *w);

void msglist_free(struct msglist *l);

#endif
