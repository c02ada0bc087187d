/*
 * Calls in mentoring rooms.
 *
 * A call lives in the store as a row that goes ringing -> active -> ended
 * (or ringing -> ended). Each state change is stored first, then told to the
 * room as a `call` event, and its start and end are also posted as system
 * lines, so the room's history shows them. The signalling between the two
 * browsers (SDP offer and answer, ICE candidates) is relayed opaque as
 * `call_signal` user events to the other member only: the staff who may
 * read a mentoring room never receive it, so they cannot join the media.
 *
 * Every ringing call started here has a timer that ends it as `missed`;
 * accepting or ending it here stops the timer. A call accepted or ended on
 * another process leaves the timer running; when it fires it finds the call
 * no longer ringing and does nothing. A member whose last connection closes
 * here gets a timer of the same length too: still away when it fires, their
 * calls end as `disconnected`.
 */
#include "calls.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "access.h"
#include "app.h"
#include "cluster.h"
#include "conn.h"
#include "dispatch.h"
#include "encode.h"
#include "log.h"
#include "presence.h"
#include "session.h"
#include "sysline.h"

#define CALLS_DATA_MAX 16000
/* Members a call's room may have; a mentoring room has two. */
#define CALLS_PEERS_MAX 8
/* Calls one user may be in at once that an absence ends; one per
 * mentorship. */
#define CALLS_ROOMS_MAX 64
/* Calls on at start-up whose timers are set again: far more than a city's
 * mentoring rooms hold at once. */
#define CALLS_RESUME_MAX 4096

/* A timer of this process: the ring of a call started here (keyed by the
 * call), or the absence of a member whose calls wait for them to come back
 * (keyed by the user). */
struct call_timer {
    uv_timer_t timer;
    uint64_t key;
    struct call_timer *next;
};

static struct call_timer *rings;
static struct call_timer *absences;

/* ---- events ---------------------------------------------------------------- */

void calls_encode(struct proto_writer *w, const struct store_call *c)
{
    bool ended = c->ended_ts != 0;
    proto_put_map(w, 5 + (c->accepted_ts != 0) + 2 * ended);
    proto_kv_uint(w, "id", c->id);
    proto_kv_uint(w, "room", c->room);
    proto_kv_cstr(w, "state", c->state);
    proto_kv_uint(w, "started_by", c->started_by);
    proto_kv_uint(w, "started_ts", c->started_ts);
    if (c->accepted_ts != 0) {
        proto_kv_uint(w, "accepted_ts", c->accepted_ts);
    }
    if (ended) {
        proto_kv_uint(w, "ended_ts", c->ended_ts);
        proto_kv_cstr(w, "end_reason", c->end_reason);
    }
}

/* The `call` event to everyone joined to the call's room, on every process. */
static void publish_call(const struct store_call *c)
{
    struct proto_writer w;
    event_begin(&w, "call", 1);
    proto_put_cstr(&w, "call");
    calls_encode(&w, c);
    struct proto_buf *b = proto_writer_finish(&w);
    if (b != NULL) {
        cluster_room_event(c->room, 0, 0, 0, 0, b);
        proto_buf_unref(b);
    }
}

static void post_started(const struct store_call *c)
{
    sysline_post(c->room, "{\"event\":\"call_started\",\"call\":%llu,\"by\":%llu}",
                 (unsigned long long)c->id, (unsigned long long)c->started_by);
}

/* The call's length counts from its acceptance: a call never answered
 * lasted 0 seconds. */
static void post_ended(const struct store_call *c)
{
    uint64_t duration_s = 0;
    if (c->accepted_ts != 0 && c->ended_ts > c->accepted_ts) {
        duration_s = (c->ended_ts - c->accepted_ts) / 1000;
    }
    sysline_post(c->room,
                 "{\"event\":\"call_ended\",\"call\":%llu,\"reason\":\"%s\","
                 "\"duration_s\":%llu}",
                 (unsigned long long)c->id, c->end_reason, (unsigned long long)duration_s);
}

/* ---- timers ------------------------------------------------------------------ */

static uint64_t ring_ms(void)
{
    return (uint64_t)app.cfg->call_ring_s * 1000;
}

static void timer_closed(uv_handle_t *h)
{
    free(h->data);
}

/* Takes the timer of `key` out of `list` and stops it; none is fine. */
static void timer_cancel(struct call_timer **list, uint64_t key)
{
    for (struct call_timer **p = list; *p != NULL; p = &(*p)->next) {
        struct call_timer *t = *p;
        if (t->key == key) {
            *p = t->next;
            uv_timer_stop(&t->timer);
            uv_close((uv_handle_t *)&t->timer, timer_closed);
            return;
        }
    }
}

/* Runs `fn` once after `timeout_ms`, unless cancelled first; a timer
 * already running for `key` keeps going. */
static void timer_start(struct call_timer **list, uint64_t key, uint64_t timeout_ms, uv_timer_cb fn)
{
    for (struct call_timer *t = *list; t != NULL; t = t->next) {
        if (t->key == key) {
            return;
        }
    }
    struct call_timer *t = malloc(sizeof(*t));
    if (t == NULL) {
        /* The call waits until someone ends it; nothing else is lost. */
        log_error("calls", "no memory for a timer", "key=%llu", (unsigned long long)key);
        return;
    }
    t->key = key;
    uv_timer_init(app.loop, &t->timer);
    t->timer.data = t;
    uv_timer_start(&t->timer, fn, timeout_ms, 0);
    t->next = *list;
    *list = t;
}

static void ended(const struct store_call *c);

static void ring_expired(uv_timer_t *t)
{
    struct call_timer *ring = t->data;
    uint64_t id = ring->key;
    timer_cancel(&rings, id);

    /*
     * LIMITATION: the state is read, then the end stored, in two store
     * calls. Should another process accept the call between the two, the
     * fresh call is ended as missed. The window is one store call wide and
     * needs an acceptance in the ring's last millisecond; a store call that
     * ends a call only from a given state would close it.
     */
    struct store_call c;
    if (store_call_get(app.store, id, &c) != STATUS_OK || strcmp(c.state, "ringing") != 0) {
        return;
    }
    if (store_call_end(app.store, id, "missed", &c) == STATUS_OK) {
        ended(&c);
    }
}

/*
 * A member whose last connection went away may come back: a phone on weak
 * data drops its socket often, and the media of a call may flow on
 * meanwhile. Only when they are still away after the ring timeout do their
 * calls end, as `disconnected`, so that the other member is not left in a
 * call with nobody and the room can call again.
 */
static void absence_expired(uv_timer_t *t)
{
    uint64_t user = ((struct call_timer *)t->data)->key;
    uint64_t rooms[CALLS_ROOMS_MAX];
    size_t n = 0;

    timer_cancel(&absences, user);
    if (presence_online(user) ||
        store_call_rooms_of(app.store, user, rooms, CALLS_ROOMS_MAX, &n) != STATUS_OK) {
        return;
    }
    for (size_t i = 0; i < n; i++) {
        calls_end_room(rooms[i], "disconnected");
    }
}

static void presence_changed(uint64_t user, bool online)
{
    uint64_t room = 0;
    size_t n = 0;

    if (online) {
        timer_cancel(&absences, user);
    } else if (store_call_rooms_of(app.store, user, &room, 1, &n) == STATUS_OK && n > 0) {
        timer_start(&absences, user, ring_ms(), absence_expired);
    }
}

/* ---- calls that were on when this process started ----------------------------- */

struct open_calls {
    struct store_call items[CALLS_RESUME_MAX];
    size_t count;
};

static void collect_open(void *ud, const struct store_call *c)
{
    struct open_calls *l = ud;
    if (l->count < CALLS_RESUME_MAX) {
        l->items[l->count++] = *c;
    }
}

static void collect_absent(void *ud, const struct store_user *u, uint64_t last_read)
{
    if (!presence_online(u->id)) {
        timer_start(&absences, u->id, ring_ms(), absence_expired);
    }
}

/*
 * The timers of calls that were on when a process stopped went with it. A
 * call still ringing gets its ring back for the time it had left; the
 * members of an active one are counted away until they connect, which ends
 * the call if neither comes back within the ring timeout.
 */
static void resume_open_calls(void)
{
    static struct open_calls open;
    uint64_t now = conn_now_ms();

    open.count = 0;
    if (store_calls_open(app.store, collect_open, &open) != STATUS_OK) {
        log_error("calls", "could not read the calls that were on", NULL);
        return;
    }
    for (size_t i = 0; i < open.count; i++) {
        const struct store_call *c = &open.items[i];
        if (strcmp(c->state, "ringing") == 0) {
            uint64_t due = c->started_ts + ring_ms();
            timer_start(&rings, c->id, due > now ? due - now : 0, ring_expired);
        } else {
            store_members(app.store, c->room, collect_absent, NULL);
        }
    }
    if (open.count > 0) {
        log_info("calls", "resumed calls that were on", "count=%zu", open.count);
    }
}

void calls_stop(void)
{
    while (rings != NULL) {
        timer_cancel(&rings, rings->key);
    }
    while (absences != NULL) {
        timer_cancel(&absences, absences->key);
    }
}

/* What follows every end, whoever ended the call. */
static void ended(const struct store_call *c)
{
    timer_cancel(&rings, c->id);
    log_debug("calls", "call ended", "call=%llu reason=%s", (unsigned long long)c->id,
              c->end_reason);
    publish_call(c);
    post_ended(c);
}

enum status calls_end_room(uint64_t room, const char *reason)
{
    struct store_call c;
    enum status st = store_call_current(app.store, room, &c);
    if (st == STATUS_NOT_FOUND) {
        return STATUS_OK;
    }
    if (st == STATUS_OK) {
        st = store_call_end(app.store, c.id, reason, &c);
    }
    /* Ended meanwhile by someone else: what the caller wanted. */
    if (st == STATUS_CONFLICT) {
        return STATUS_OK;
    }
    if (st == STATUS_OK) {
        ended(&c);
    }
    return st;
}

/* ---- checks -------------------------------------------------------------------- */

/*
 * The caller may act in the call room `room`: it is a mentoring room the
 * caller belongs to, and with `use` ROOM_WRITE not a closed mentorship
 * (the mentoring rule's answer). Staff reading the room are no members.
 */
static enum status require_party(struct req *r, uint64_t room, enum room_use use)
{
    struct store_room info;
    bool member = false;

    enum status st = access_check(r, room, use, &info, NULL);
    if (st != STATUS_OK) {
        return st;
    }
    if (strcmp(info.kind, "mentoring") != 0) {
        return req_fail(r, STATUS_FORBIDDEN, "calls are only in mentoring rooms");
    }
    st = store_member_get(app.store, room, r->conn->session.user, &member, NULL);
    if (st == STATUS_OK && !member) {
        return req_fail(r, STATUS_FORBIDDEN, "only the room's members take part in calls");
    }
    return st;
}

/* Reads `call` and finds it. */
static enum status read_call(struct req *r, struct store_call *c)
{
    uint64_t id = 0;
    enum status st = req_uint(r, "call", &id);
    if (st != STATUS_OK) {
        return st;
    }
    st = store_call_get(app.store, id, c);
    return st == STATUS_NOT_FOUND ? req_fail(r, st, "no such call") : st;
}

static bool call_live(const struct store_call *c)
{
    return strcmp(c->state, "ringing") == 0 || strcmp(c->state, "active") == 0;
}

/* ---- replies ---------------------------------------------------------------------- */

static bool is_turn(const char *url)
{
    return strncmp(url, "turn:", 5) == 0 || strncmp(url, "turns:", 6) == 0;
}

/* The configured STUN and TURN servers, one entry per URL, as WebRTC's
 * RTCIceServer wants them. */
static void encode_ice_servers(struct proto_writer *w)
{
    const struct config *cfg = app.cfg;
    bool credentials = cfg->turn_username[0] != '\0';

    proto_put_array(w, cfg->ice_count);
    for (unsigned i = 0; i < cfg->ice_count; i++) {
        bool turn = credentials && is_turn(cfg->ice_servers[i]);
        proto_put_map(w, turn ? 3 : 1);
        proto_put_cstr(w, "urls");
        proto_put_array(w, 1);
        proto_put_cstr(w, cfg->ice_servers[i]);
        if (turn) {
            proto_kv_cstr(w, "username", cfg->turn_username);
            proto_kv_cstr(w, "credential", cfg->turn_credential);
        }
    }
}

static void reply_call(struct req *r, const struct store_call *c, bool ice)
{
    struct proto_writer w;
    reply_begin(&w, &r->ref, ice ? 2 : 1);
    proto_put_cstr(&w, "call");
    calls_encode(&w, c);
    if (ice) {
        proto_put_cstr(&w, "ice_servers");
        encode_ice_servers(&w);
    }
    reply_send(&r->ref, &w);
}

/* ---- requests --------------------------------------------------------------------- */

static enum status handle_call_start(struct req *r)
{
    struct store_call c;
    uint64_t room = 0;

    enum status st = req_uint(r, "room", &room);
    if (st == STATUS_OK) {
        st = require_party(r, room, ROOM_WRITE);
    }
    if (st != STATUS_OK) {
        return st;
    }
    st = store_call_start(app.store, room, r->conn->session.user, &c);
    if (st != STATUS_OK) {
        return st == STATUS_CONFLICT ? req_fail(r, st, "a call is already on") : st;
    }

    log_debug("calls", "call started", "call=%llu room=%llu", (unsigned long long)c.id,
              (unsigned long long)room);
    timer_start(&rings, c.id, ring_ms(), ring_expired);
    reply_call(r, &c, true);
    publish_call(&c);
    post_started(&c);
    return STATUS_OK;
}

static enum status handle_call_accept(struct req *r)
{
    struct store_call c;

    enum status st = read_call(r, &c);
    if (st == STATUS_OK) {
        st = require_party(r, c.room, ROOM_WRITE);
    }
    if (st != STATUS_OK) {
        return st;
    }
    if (c.started_by == r->conn->session.user) {
        return req_fail(r, STATUS_FORBIDDEN, "the other member accepts a call");
    }
    st = store_call_accept(app.store, c.id, &c);
    if (st != STATUS_OK) {
        return st == STATUS_CONFLICT ? req_fail(r, st, "the call is not ringing") : st;
    }

    timer_cancel(&rings, c.id);
    reply_call(r, &c, true);
    publish_call(&c);
    return STATUS_OK;
}

static enum status handle_call_end(struct req *r)
{
    struct store_call c;
    const char *reason = "hangup";
    size_t len = 0;

    enum status st = proto_get_str(r->msg, "reason", &reason, &len);
    if (st == STATUS_NOT_FOUND) {
        reason = "hangup";
    } else if (st != STATUS_OK ||
               (strcmp(reason, "hangup") != 0 && strcmp(reason, "declined") != 0)) {
        return req_fail(r, STATUS_BAD_REQUEST, "`reason` must be hangup or declined");
    }
    /* Hanging up is allowed in a closed mentorship too: a call must never
     * be left running because the room stopped taking messages. */
    st = read_call(r, &c);
    if (st == STATUS_OK) {
        st = require_party(r, c.room, ROOM_READ);
    }
    if (st == STATUS_OK && !call_live(&c)) {
        st = req_fail(r, STATUS_CONFLICT, "the call has ended");
    }
    if (st == STATUS_OK) {
        st = store_call_end(app.store, c.id, reason, &c);
        if (st == STATUS_CONFLICT) {
            st = req_fail(r, st, "the call has ended");
        }
    }
    if (st != STATUS_OK) {
        return st;
    }

    reply_call(r, &c, false);
    ended(&c);
    return STATUS_OK;
}

/* ---- call_signal -------------------------------------------------------------- */

struct peers {
    uint64_t ids[CALLS_PEERS_MAX];
    size_t count;
    uint64_t self;
};

static void collect_peer(void *ud, const struct store_user *u, uint64_t last_read)
{
    struct peers *p = ud;
    if (u->id != p->self && p->count < CALLS_PEERS_MAX) {
        p->ids[p->count++] = u->id;
    }
}

static enum status read_signal(struct req *r, const char **kind, const char **data, size_t *len)
{
    size_t kind_len = 0;
    enum status st = req_str(r, "kind", kind, &kind_len);
    if (st != STATUS_OK) {
        return st;
    }
    if (strcmp(*kind, "offer") != 0 && strcmp(*kind, "answer") != 0 && strcmp(*kind, "ice") != 0) {
        return req_fail(r, STATUS_BAD_REQUEST, "`kind` must be offer, answer or ice");
    }
    st = req_str(r, "data", data, len);
    if (st != STATUS_OK) {
        return st;
    }
    if (*len == 0) {
        return req_fail(r, STATUS_BAD_REQUEST, "`data` is empty");
    }
    if (*len > CALLS_DATA_MAX) {
        return req_fail(r, STATUS_TOO_LARGE, "`data` is longer than 16000 bytes");
    }
    return STATUS_OK;
}

/* Relays one piece of signalling to the room's other member, on whichever
 * process their connections are, and to nobody else. */
static enum status handle_call_signal(struct req *r)
{
    struct store_call c;
    struct peers peers = {.self = r->conn->session.user};
    const char *kind, *data;
    size_t len = 0;

    enum status st = read_call(r, &c);
    if (st == STATUS_OK) {
        st = read_signal(r, &kind, &data, &len);
    }
    if (st == STATUS_OK) {
        st = require_party(r, c.room, ROOM_WRITE);
    }
    if (st == STATUS_OK && !call_live(&c)) {
        st = req_fail(r, STATUS_CONFLICT, "the call has ended");
    }
    if (st == STATUS_OK) {
        st = store_members(app.store, c.room, collect_peer, &peers);
    }
    if (st != STATUS_OK) {
        return st;
    }

    struct proto_writer w;
    event_begin(&w, "call_signal", 5);
    proto_kv_uint(&w, "call", c.id);
    proto_kv_uint(&w, "room", c.room);
    proto_kv_uint(&w, "from", peers.self);
    proto_kv_cstr(&w, "kind", kind);
    proto_kv_str(&w, "data", data, len);
    struct proto_buf *b = proto_writer_finish(&w);
    if (b == NULL) {
        return STATUS_NOMEM;
    }
    for (size_t i = 0; i < peers.count; i++) {
        cluster_user_event(peers.ids[i], b);
    }
    proto_buf_unref(b);
    reply_empty(&r->ref);
    return STATUS_OK;
}

static const struct request_def requests[] = {
    {"call_start", true, ROLE_ANY, handle_call_start, REQ_WRITE},
    {"call_accept", true, ROLE_ANY, handle_call_accept, 0},
    {"call_signal", true, ROLE_ANY, handle_call_signal, 0},
    {"call_end", true, ROLE_ANY, handle_call_end, 0},
};

void calls_init(void)
{
    dispatch_register(requests, sizeof(requests) / sizeof(requests[0]));
    session_on_presence(presence_changed);
    resume_open_calls();
}
