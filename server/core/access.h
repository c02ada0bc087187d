/*
 * Who may read and who may write a room.
 *
 * The base rule: a room's members may read it and write to it, nobody else
 * may do either. A feature that owns a kind of room may register one rule
 * for that kind which bends the base rule: let some non-members read (staff
 * reading mentoring rooms), or refuse writes (a closed mentorship). Every
 * request that touches a room goes through access_check. Loop thread only.
 */
#ifndef KOLAB_ACCESS_H
#define KOLAB_ACCESS_H

#include <stdbool.h>
#include <stdint.h>

#include "dispatch.h"
#include "session.h"
#include "store.h"

enum room_use {
    ROOM_READ,  /* join, history, a feature's snapshot of the room */
    ROOM_WRITE, /* send, edit, read markers, typing, a feature's changes */
};

/*
 * A kind's rule. Called after the room was found, with `member` telling
 * whether the caller belongs to it. Returns STATUS_OK to allow, or an error
 * status after setting r->why through req_fail.
 */
typedef enum status (*access_rule_fn)(struct req *r, const struct store_room *room, bool member,
                                      enum room_use use);

/* Registers the rule for rooms of `kind` (static string). At start-up. */
void access_rule(const char *kind, access_rule_fn rule);

/*
 * Finds `room` and decides whether the caller of `r` may use it so: the
 * kind's rule when there is one, else the base rule. STATUS_NOT_FOUND "no
 * such room", STATUS_FORBIDDEN "not a member of this room", or the rule's
 * answer. *out receives the room; *last_read (may be NULL) the caller's read
 * marker, 0 for a non-member.
 */
enum status access_check(struct req *r, uint64_t room, enum room_use use, struct store_room *out,
                         uint64_t *last_read);

#endif
