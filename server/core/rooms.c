#include "rooms.h"

#include <stdlib.h>
#include <uv.h>

#include "app.h"
#include "cluster.h"
#include "conn.h"
#include "encode.h"
#include "idmap.h"
#include "log.h"

/* Most events held back while a room waits for a missing message. */
#define ROOMS_HELD_MAX 4096

/* An event waiting for its turn: a message (`seq`) or an event about one
 * (`after`). */
struct held {
    uint64_t seq;
    uint64_t after;
    struct proto_buf *buf;
};

/*
 * A room with joined connections on this process. `delivered` is the
 * highest seq sent to them all: the order gate. It starts at the room's
 * last seq when the first connection joins, since each joiner has seen
 * everything up to its own join.
 */
struct subscriber {
    struct conn *conn;
    uint64_t seen;
};

struct room_subs {
    uint64_t room;
    /* The joined connections, each with the newest seq sent to it, so no
     * message reaches a connection twice. */
    struct subscriber *subs;
    uint32_t count;
    uint32_t cap;
    uint64_t delivered;
    struct held *held;
    uint32_t held_count;
    uint32_t held_cap;
    uv_timer_t *gap_timer;
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

static struct room_subs *subs_get_or_create(uint64_t room, uint64_t seen)
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
    s->delivered = seen;
    if (idmap_put(&subs_by_room, room, s) != STATUS_OK) {
        free(s);
        return NULL;
    }
    cluster_watch_room(room, true);
    return s;
}

/* Doubles an array's room, starting from `first` items. */
static bool grow_array(void **items, uint32_t *cap, size_t size, uint32_t first)
{
    uint32_t n = *cap == 0 ? first : *cap * 2;
    void *p = realloc(*items, size * n);
    if (p == NULL) {
        return false;
    }
    *items = p;
    *cap = n;
    return true;
}

enum status rooms_subscribe(struct conn *c, uint64_t room, uint64_t seen)
{
    struct conn_room *joined = find_joined(c, room);
    if (joined != NULL) {
        struct room_subs *s = idmap_get(&subs_by_room, room);
        struct subscriber *sub = &s->subs[joined->slot];
        sub->seen = seen > sub->seen ? seen : sub->seen;
        return STATUS_OK;
    }
    struct room_subs *s = subs_get_or_create(room, seen);
    if (s == NULL) {
        return STATUS_NOMEM;
    }
    if (s->count == s->cap && !grow_array((void **)&s->subs, &s->cap, sizeof(*s->subs), 4)) {
        return STATUS_NOMEM;
    }
    /* A connection's list starts with one room: many connections are idle
     * in one room, and each byte of theirs counts (BENCHMARKS.md). */
    if (c->room_count == c->room_cap &&
        !grow_array((void **)&c->rooms, &c->room_cap, sizeof(*c->rooms), 1)) {
        return STATUS_NOMEM;
    }

    c->rooms[c->room_count].room = room;
    c->rooms[c->room_count].slot = s->count;
    c->room_count++;
    s->subs[s->count++] = (struct subscriber){c, seen};
    return STATUS_OK;
}

static void free_timer(uv_handle_t *handle)
{
    free(handle);
}

static void subs_free(struct room_subs *s)
{
    cluster_watch_room(s->room, false);
    idmap_remove(&subs_by_room, s->room);
    for (uint32_t i = 0; i < s->held_count; i++) {
        proto_buf_unref(s->held[i].buf);
    }
    if (s->gap_timer != NULL) {
        uv_close((uv_handle_t *)s->gap_timer, free_timer);
    }
    free(s->held);
    free(s->subs);
    free(s);
}

/* Removes slot `slot` from the room's list by moving the last one into it,
 * then tells the moved connection its new slot. */
static void subs_remove_slot(struct room_subs *s, uint32_t slot)
{
    s->count--;
    if (slot != s->count) {
        s->subs[slot] = s->subs[s->count];
        find_joined(s->subs[slot].conn, s->room)->slot = slot;
    }
    if (s->count == 0) {
        subs_free(s);
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
        struct conn *c = s->subs[i - 1].conn;
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
        struct conn *c = s->subs[i].conn;
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

/* ---- the order gate ---------------------------------------------------------- */

/* Sends message `seq` to every joined connection that has not seen it. */
static void send_message(struct room_subs *s, uint64_t seq, struct proto_buf *b)
{
    for (uint32_t i = 0; i < s->count; i++) {
        struct subscriber *sub = &s->subs[i];
        if (seq > sub->seen) {
            sub->seen = seq;
            conn_send(sub->conn, b);
        }
    }
    s->delivered = seq;
}

/* Sends what was held and is now in order; drops messages already out. */
static void release_held(struct room_subs *s)
{
    bool progress = true;
    while (progress) {
        progress = false;
        for (uint32_t i = 0; i < s->held_count; i++) {
            struct held h = s->held[i];
            bool ready = h.seq != 0 ? h.seq <= s->delivered + 1 : h.after <= s->delivered;
            if (!ready) {
                continue;
            }
            s->held[i] = s->held[--s->held_count];
            if (h.seq == s->delivered + 1) {
                send_message(s, h.seq, h.buf);
            } else if (h.seq == 0) {
                rooms_publish(s->room, h.buf, 0);
            }
            proto_buf_unref(h.buf);
            progress = true;
            i--;
        }
    }
}

static void deliver_from_store(void *ud, const struct store_message *m)
{
    struct room_subs *s = ud;
    if (m->seq != s->delivered + 1) {
        return;
    }
    struct proto_buf *b = encode_message_event(m);
    if (b != NULL) {
        send_message(s, m->seq, b);
        proto_buf_unref(b);
    }
}

/* The missing message did not come in time: read it, and what follows it,
 * from the store, which holds every committed message. */
static void catch_up_room(struct room_subs *s);

static void fill_gap(uv_timer_t *timer)
{
    struct room_subs *s = timer->data;
    log_debug("rooms", "filling a gap from the store", "room=%llu after=%llu",
              (unsigned long long)s->room, (unsigned long long)s->delivered);
    catch_up_room(s);
    if (s->held_count > 0) {
        uv_timer_start(timer, fill_gap, ROOMS_GAP_WAIT_MS, 0);
    }
}

static void hold(struct room_subs *s, uint64_t seq, uint64_t after, struct proto_buf *b)
{
    if (s->held_count == s->held_cap) {
        uint32_t cap = s->held_cap == 0 ? 8 : s->held_cap * 2;
        struct held *p = cap <= ROOMS_HELD_MAX ? realloc(s->held, cap * sizeof(*p)) : NULL;
        if (p == NULL) {
            /* Too much out of order: the store has it all, read it now. */
            fill_gap(s->gap_timer);
            return;
        }
        s->held = p;
        s->held_cap = cap;
    }
    proto_buf_ref(b);
    s->held[s->held_count++] = (struct held){seq, after, b};
    if (!uv_is_active((uv_handle_t *)s->gap_timer)) {
        uv_timer_start(s->gap_timer, fill_gap, ROOMS_GAP_WAIT_MS, 0);
    }
}

static bool ensure_timer(struct room_subs *s)
{
    if (s->gap_timer != NULL) {
        return true;
    }
    s->gap_timer = malloc(sizeof(*s->gap_timer));
    if (s->gap_timer == NULL) {
        return false;
    }
    uv_timer_init(app.loop, s->gap_timer);
    s->gap_timer->data = s;
    return true;
}

void rooms_deliver(uint64_t room, uint64_t seq, uint64_t after, struct proto_buf *b)
{
    struct room_subs *s = idmap_get(&subs_by_room, room);
    if (s == NULL) {
        return;
    }
    if (seq == 0 && after <= s->delivered) {
        rooms_publish(room, b, 0);
        return;
    }
    if (seq != 0 && seq <= s->delivered) {
        return;
    }
    if (seq == s->delivered + 1) {
        send_message(s, seq, b);
        release_held(s);
        return;
    }
    if (ensure_timer(s)) {
        hold(s, seq, after, b);
    }
}

/* Sends what the store has beyond what this room delivered. When that is
 * more than can be sent live, its connections are closed with 1013 and
 * resume by seq (their `join` then reports the gap). */
static void catch_up_room(struct room_subs *s)
{
    bool gap = false;
    store_since(app.store, s->room, s->delivered, ROOMS_HELD_MAX, deliver_from_store, s, &gap);
    if (gap) {
        log_warn("rooms", "too far behind to catch up live", "room=%llu",
                 (unsigned long long)s->room);
        for (uint32_t i = 0; i < s->count; i++) {
            conn_close(s->subs[i].conn, CONN_CLOSE_TRY_LATER, "too far behind", false);
        }
        return;
    }
    release_held(s);
}

void rooms_catch_up(void)
{
    uint64_t key = 0;
    void *value = NULL;
    for (size_t pos = 0; idmap_next(&subs_by_room, &pos, &key, &value);) {
        catch_up_room(value);
    }
}
