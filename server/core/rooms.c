#include "rooms.h"

#include <stdlib.h>

#include "conn.h"
#include "idmap.h"

struct room_subs {
    uint64_t room;
    struct conn **conns;
    uint32_t count;
    uint32_t cap;
};

static struct idmap subs_by_room = IDMAP_INIT;

static struct conn_room *find_joined(const struct conn *c, uint64_t room)
{
    for (uint32_t i = 0; i < c->room_count; i++) {
        if (c->rooms[i].room == room) {
            return &c->rooms[i];
        }
    }
    return NULL;
}

bool rooms_subscribed(const struct conn *c, uint64_t room)
{
    return find_joined(c, room) != NULL;
}

static struct room_subs *subs_get_or_create(uint64_t room)
{
    struct room_subs *s = idmap_get(&subs_by_room, room);
    if (s != NULL) {
        return s;
    }
    s = calloc(1, sizeof(*s));
    if (s == NULL) {
        return NULL;
    }
    s->room = room;
    if (idmap_put(&subs_by_room, room, s) != STATUS_OK) {
        free(s);
        return NULL;
    }
    return s;
}

static bool grow_array(void **items, uint32_t *cap, size_t size)
{
    uint32_t n = *cap == 0 ? 4 : *cap * 2;
    void *p = realloc(*items, size * n);
    if (p == NULL) {
        return false;
    }
    *items = p;
    *cap = n;
    return true;
}

enum status rooms_subscribe(struct conn *c, uint64_t room)
{
    if (find_joined(c, room) != NULL) {
        return STATUS_OK;
    }
    struct room_subs *s = subs_get_or_create(room);
    if (s == NULL) {
        return STATUS_NOMEM;
    }
    if (s->count == s->cap && !grow_array((void **)&s->conns, &s->cap, sizeof(*s->conns))) {
        return STATUS_NOMEM;
    }
    if (c->room_count == c->room_cap &&
        !grow_array((void **)&c->rooms, &c->room_cap, sizeof(*c->rooms))) {
        return STATUS_NOMEM;
    }

    c->rooms[c->room_count].room = room;
    c->rooms[c->room_count].slot = s->count;
    c->room_count++;
    s->conns[s->count++] = c;
    return STATUS_OK;
}

/* Removes slot `slot` from the room's list by moving the last one into it,
 * then tells the moved connection its new slot. */
static void subs_remove_slot(struct room_subs *s, uint32_t slot)
{
    s->count--;
    if (slot != s->count) {
        struct conn *moved = s->conns[s->count];
        s->conns[slot] = moved;
        find_joined(moved, s->room)->slot = slot;
    }
    if (s->count == 0) {
        idmap_remove(&subs_by_room, s->room);
        free(s->conns);
        free(s);
    }
}

void rooms_unsubscribe(struct conn *c, uint64_t room)
{
    struct conn_room *joined = find_joined(c, room);
    if (joined == NULL) {
        return;
    }
    struct room_subs *s = idmap_get(&subs_by_room, room);
    uint32_t slot = joined->slot;

    *joined = c->rooms[c->room_count - 1];
    c->room_count--;
    subs_remove_slot(s, slot);
}

void rooms_unsubscribe_all(struct conn *c)
{
    while (c->room_count > 0) {
        rooms_unsubscribe(c, c->rooms[c->room_count - 1].room);
    }
}

void rooms_unsubscribe_user(uint64_t room, uint64_t user)
{
    struct room_subs *s = idmap_get(&subs_by_room, room);
    if (s == NULL) {
        return;
    }
    /* Walk backwards: removal moves the last entry into the freed slot. */
    for (uint32_t i = s->count; i > 0; i--) {
        struct conn *c = s->conns[i - 1];
        if (c->session.user == user) {
            bool last = s->count == 1;
            rooms_unsubscribe(c, room);
            if (last) {
                return;
            }
        }
    }
}

void rooms_publish(uint64_t room, struct proto_buf *b, uint64_t skip_user)
{
    struct room_subs *s = idmap_get(&subs_by_room, room);
    if (s == NULL) {
        return;
    }
    for (uint32_t i = 0; i < s->count; i++) {
        struct conn *c = s->conns[i];
        if (skip_user == 0 || c->session.user != skip_user) {
            conn_send(c, b);
        }
    }
}

uint32_t rooms_subscriber_count(uint64_t room)
{
    struct room_subs *s = idmap_get(&subs_by_room, room);
    return s == NULL ? 0 : s->count;
}
