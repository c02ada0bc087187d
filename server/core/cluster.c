#include "cluster.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "app.h"
#include "bus.h"
#include "conn.h"
#include "log.h"
#include "presence.h"
#include "rooms.h"
#include "session.h"

/*
 * A bus message is a 48-byte header, all integers little-endian, then the
 * encoded event exactly as clients receive it:
 *
 *   0  u8  version (1)       8  u64 origin process    24 u64 seq
 *   1  u8  kind (room/user) 16  u64 room or user id   32 u64 after
 *   2  6 bytes zero                                   40 u64 skip_user
 *
 * The removed user of a membership change travels in `skip_user` with the
 * kind CLUSTER_ROOM_REMOVAL. A process ignores what it published itself.
 */
#define CLUSTER_HEADER  48
#define CLUSTER_VERSION 1

enum cluster_kind {
    CLUSTER_ROOM = 1,
    CLUSTER_ROOM_REMOVAL = 2,
    CLUSTER_USER = 3,
    /* "I was cut off and may have stored what you never heard of." */
    CLUSTER_SYNC = 4,
    /* A user's connections here came (seq 1) or went (seq 0). */
    CLUSTER_PRESENCE = 5,
    /* The users with connections here, as u64 ids after the header. */
    CLUSTER_HEARTBEAT = 6,
    /* A session ended: the token's hash (32 bytes) after the header. */
    CLUSTER_END_SESSION = 7,
};

#define CLUSTER_PRESENCE_CHANNEL "kolab.presence"
/* Users per heartbeat message. */
#define CLUSTER_HEARTBEAT_USERS 4096

#define CLUSTER_SYNC_CHANNEL "kolab.sync"
/* Pub/sub is at most once: every so often each room is compared with the
 * store anyway, so a lost message never stays lost for long. */
#define CLUSTER_SWEEP_MS 5000

static struct bus *bus;
static uint64_t self_id;
static uv_timer_t sweep_timer;
static uv_timer_t heartbeat_timer;

static void put_u64(uint8_t *p, uint64_t v)
{
    for (int i = 0; i < 8; i++) {
        p[i] = (uint8_t)(v >> (8 * i));
    }
}

static uint64_t get_u64(const uint8_t *p)
{
    uint64_t v = 0;
    for (int i = 0; i < 8; i++) {
        v |= (uint64_t)p[i] << (8 * i);
    }
    return v;
}

static void channel_name(char *out, size_t cap, const char *what, uint64_t id)
{
    snprintf(out, cap, "kolab.%s.%llu", what, (unsigned long long)id);
}

static void publish(enum cluster_kind kind, uint64_t target, uint64_t seq, uint64_t after,
                    uint64_t user, const struct proto_buf *b)
{
    /* `b` is NULL for a sync, which carries no event. */
    if (bus == NULL) {
        return;
    }
    size_t len = b != NULL ? b->len : 0;
    uint8_t *msg = malloc(CLUSTER_HEADER + len);
    if (msg == NULL) {
        return;
    }
    memset(msg, 0, CLUSTER_HEADER);
    msg[0] = CLUSTER_VERSION;
    msg[1] = (uint8_t)kind;
    put_u64(msg + 8, self_id);
    put_u64(msg + 16, target);
    put_u64(msg + 24, seq);
    put_u64(msg + 32, after);
    put_u64(msg + 40, user);
    if (len > 0) {
        memcpy(msg + CLUSTER_HEADER, b->data + PROTO_HEADROOM, len);
    }

    char channel[64];
    if (kind == CLUSTER_SYNC) {
        snprintf(channel, sizeof(channel), "%s", CLUSTER_SYNC_CHANNEL);
    } else if (kind == CLUSTER_PRESENCE || kind == CLUSTER_HEARTBEAT) {
        snprintf(channel, sizeof(channel), "%s", CLUSTER_PRESENCE_CHANNEL);
    } else {
        bool per_user = kind == CLUSTER_USER || kind == CLUSTER_END_SESSION;
        channel_name(channel, sizeof(channel), per_user ? "user" : "room", target);
    }
    /* Without the bus the store still has every message: the other
     * processes catch up from it when the bus returns. */
    bus_publish(bus, channel, msg, CLUSTER_HEADER + len);
    free(msg);
}

static void deliver_room(enum cluster_kind kind, uint64_t room, uint64_t seq, uint64_t after,
                         uint64_t user, struct proto_buf *b)
{
    if (kind == CLUSTER_ROOM_REMOVAL) {
        rooms_unsubscribe_user(room, user);
        rooms_publish(room, b, 0);
    } else if (seq != 0 || after != 0) {
        rooms_deliver(room, seq, after, b);
    } else {
        rooms_publish(room, b, user);
    }
}

void cluster_room_event(uint64_t room, uint64_t seq, uint64_t after, uint64_t skip_user,
                        uint64_t removed_user, struct proto_buf *b)
{
    enum cluster_kind kind = removed_user != 0 ? CLUSTER_ROOM_REMOVAL : CLUSTER_ROOM;
    uint64_t user = removed_user != 0 ? removed_user : skip_user;
    deliver_room(kind, room, seq, after, user, b);
    publish(kind, room, seq, after, user, b);
}

void cluster_end_session(uint64_t user, const uint8_t token_hash[32])
{
    struct proto_buf *b = proto_buf_new(32);
    if (b != NULL) {
        memcpy(proto_buf_payload(b), token_hash, 32);
        b->len = 32;
        publish(CLUSTER_END_SESSION, user, 0, 0, 0, b);
        proto_buf_unref(b);
    }
}

void cluster_user_event(uint64_t user, struct proto_buf *b)
{
    presence_send_user(user, b);
    publish(CLUSTER_USER, user, 0, 0, 0, b);
}

static void on_message(void *ud, const char *channel, size_t channel_len, const uint8_t *payload,
                       size_t len)
{
    if (len < CLUSTER_HEADER || payload[0] != CLUSTER_VERSION || get_u64(payload + 8) == self_id) {
        return;
    }
    struct proto_buf *b = proto_buf_new(len - CLUSTER_HEADER);
    if (b == NULL) {
        return;
    }
    memcpy(proto_buf_payload(b), payload + CLUSTER_HEADER, len - CLUSTER_HEADER);
    b->len = len - CLUSTER_HEADER;

    enum cluster_kind kind = payload[1];
    uint64_t target = get_u64(payload + 16);
    uint64_t origin = get_u64(payload + 8);
    if (kind == CLUSTER_SYNC) {
        rooms_catch_up();
    } else if (kind == CLUSTER_PRESENCE) {
        presence_remote(origin, target, get_u64(payload + 24) != 0, conn_now_ms());
    } else if (kind == CLUSTER_HEARTBEAT) {
        for (size_t at = CLUSTER_HEADER; at + 8 <= len; at += 8) {
            presence_remote(origin, get_u64(payload + at), true, conn_now_ms());
        }
    } else if (kind == CLUSTER_END_SESSION && len == CLUSTER_HEADER + 32) {
        session_end_token(payload + CLUSTER_HEADER, NULL, CONN_CLOSE_SESSION_ENDED);
    } else if (kind == CLUSTER_USER) {
        presence_send_user(target, b);
    } else if (kind == CLUSTER_ROOM || kind == CLUSTER_ROOM_REMOVAL) {
        deliver_room(kind, target, get_u64(payload + 24), get_u64(payload + 32),
                     get_u64(payload + 40), b);
    }
    proto_buf_unref(b);
}

static void heartbeat(uv_timer_t *timer);

static void on_state(void *ud, bool up)
{
    log_info("cluster", up ? "bus up" : "bus down", NULL);
    if (up) {
        /* Whatever the others stored while the bus was away is in the store;
         * and what this process stored meanwhile, the others never heard
         * of: ask them to look too. */
        rooms_catch_up();
        publish(CLUSTER_SYNC, 0, 0, 0, 0, NULL);
        heartbeat(&heartbeat_timer);
    }
}

static void sweep(uv_timer_t *timer)
{
    rooms_catch_up();
}

void cluster_presence(uint64_t user, bool online)
{
    publish(CLUSTER_PRESENCE, user, online ? 1 : 0, 0, 0, NULL);
}

struct heartbeat {
    struct proto_buf *buf;
    uint32_t count;
};

static void heartbeat_flush(struct heartbeat *h)
{
    if (h->count > 0) {
        h->buf->len = (size_t)h->count * 8;
        publish(CLUSTER_HEARTBEAT, 0, 0, 0, 0, h->buf);
        h->count = 0;
    }
}

static void heartbeat_add(uint64_t user, void *ud)
{
    struct heartbeat *h = ud;
    put_u64(proto_buf_payload(h->buf) + (size_t)h->count * 8, user);
    if (++h->count == CLUSTER_HEARTBEAT_USERS) {
        heartbeat_flush(h);
    }
}

/* Repeats this process's users, so others forget none of them and drop
 * those of a process that died without saying so. */
static void heartbeat(uv_timer_t *timer)
{
    struct heartbeat h = {proto_buf_new(CLUSTER_HEARTBEAT_USERS * 8), 0};
    if (h.buf != NULL) {
        presence_each_local(heartbeat_add, &h);
        heartbeat_flush(&h);
        proto_buf_unref(h.buf);
    }
    presence_expire(conn_now_ms());
}

static void watch(const char *what, uint64_t id, bool on)
{
    char channel[64];
    if (bus == NULL) {
        return;
    }
    channel_name(channel, sizeof(channel), what, id);
    if (on) {
        bus_subscribe(bus, channel);
    } else {
        bus_unsubscribe(bus, channel);
    }
}

void cluster_watch_room(uint64_t room, bool on)
{
    watch("room", room, on);
}

void cluster_watch_user(uint64_t user, bool on)
{
    watch("user", user, on);
}

enum status cluster_start(const char *url)
{
    if (url == NULL || url[0] == '\0') {
        return STATUS_OK;
    }
    uint8_t random[8];
    FILE *f = fopen("/dev/urandom", "rb");
    if (f == NULL || fread(random, 1, sizeof(random), f) != sizeof(random)) {
        if (f != NULL) {
            fclose(f);
        }
        return STATUS_INTERNAL;
    }
    fclose(f);
    self_id = get_u64(random) | 1;

    struct bus_config cfg = {.url = url};
    struct bus_callbacks cb = {on_message, on_state};
    enum status st = bus_open(app.loop, &cfg, &cb, NULL, &bus);
    if (st == STATUS_OK) {
        st = bus_subscribe(bus, CLUSTER_SYNC_CHANNEL);
    }
    if (st == STATUS_OK) {
        st = bus_subscribe(bus, CLUSTER_PRESENCE_CHANNEL);
    }
    if (st == STATUS_OK) {
        uv_timer_init(app.loop, &sweep_timer);
        uv_timer_start(&sweep_timer, sweep, CLUSTER_SWEEP_MS, CLUSTER_SWEEP_MS);
        uv_timer_init(app.loop, &heartbeat_timer);
        uv_timer_start(&heartbeat_timer, heartbeat, CLUSTER_HEARTBEAT_MS, CLUSTER_HEARTBEAT_MS);
    }
    return st;
}

void cluster_stop(void)
{
    if (bus != NULL) {
        uv_timer_stop(&sweep_timer);
        uv_close((uv_handle_t *)&sweep_timer, NULL);
        uv_timer_stop(&heartbeat_timer);
        uv_close((uv_handle_t *)&heartbeat_timer, NULL);
    }
    bus_close(bus);
    bus = NULL;
}

bool cluster_healthy(void)
{
    return bus == NULL || bus_up(bus);
}
