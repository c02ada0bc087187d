/*
 * Who is online: each user with their open, authenticated connections on
 * this process, and, with a bus, the other processes where they have some.
 * A user is online while any connection on any process is open (several
 * tabs and devices are normal). Other processes report their changes over
 * the bus and repeat their whole list every few seconds; a process that
 * stops reporting is forgotten after PRESENCE_REMOTE_TTL_MS. Loop thread
 * only.
 */
#ifndef KOLAB_PRESENCE_H
#define KOLAB_PRESENCE_H

#include <stdbool.h>
#include <stdint.h>

#include "codec.h"
#include "status.h"

struct conn;

#define PRESENCE_REMOTE_TTL_MS 30000

/* Called when a user comes online or goes offline everywhere because of
 * another process (this process's own changes are reported by the return
 * values below). */
typedef void (*presence_change_fn)(uint64_t user, bool online);
void presence_set_listener(presence_change_fn fn);

/* Adds an authenticated connection. *first is set when the user just came
 * online (they were online nowhere). */
enum status presence_add(struct conn *c, bool *first);

/* Removes it. *last is set when the user just went offline everywhere. */
void presence_remove(struct conn *c, bool *last);

/* Online on any process. */
bool presence_online(uint64_t user);

/* Another process reports `user` online or offline there. */
void presence_remote(uint64_t node, uint64_t user, bool online, uint64_t now_ms);

/* Forgets reports older than PRESENCE_REMOTE_TTL_MS. */
void presence_expire(uint64_t now_ms);

/* Calls `fn` for each user with connections on this process. */
void presence_each_local(void (*fn)(uint64_t user, void *ud), void *ud);

/* Queues `b` to every connection of `user`. The caller keeps its reference. */
void presence_send_user(uint64_t user, struct proto_buf *b);

/* Calls `fn` for every connection of `user` (the list may not change
 * during the walk, except by closing). */
void presence_each_conn(uint64_t user, void (*fn)(struct conn *c, void *ud), void *ud);

#endif
