/*
 * Who is online on this process: each user with their open, authenticated
 * connections. A user is online while any of them is open (several tabs
 * and devices are normal). Loop thread only.
 */
#ifndef KOLAB_PRESENCE_H
#define KOLAB_PRESENCE_H

#include <stdbool.h>
#include <stdint.h>

#include "codec.h"
#include "status.h"

struct conn;

/* Adds an authenticated connection. *first is set when the user just came
 * online. */
enum status presence_add(struct conn *c, bool *first);

/* Removes it. *last is set when the user just went offline. */
void presence_remove(struct conn *c, bool *last);

bool presence_online(uint64_t user);

/* Queues `b` to every connection of `user`. The caller keeps its reference. */
void presence_send_user(uint64_t user, struct proto_buf *b);

/* Calls `fn` for every connection of `user` (the list may not change
 * during the walk, except by closing). */
void presence_each_conn(uint64_t user, void (*fn)(struct conn *c, void *ud), void *ud);

#endif
