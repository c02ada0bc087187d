#include "mentoring.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

#include "access.h"
#include "app.h"
#include "calls.h"
#include "cluster.h"
#include "conn.h"
#include "dispatch.h"
#include "encode.h"
#include "log.h"
#include "presence.h"
#include "session.h"
#include "sysline.h"
#include "store_mentoring.h"
#include "text.h"

#define MENTORING_LIST_MAX 200
/* Requests still open (waiting, offered, active) that one list shows, on
 * top of the newest MENTORING_LIST_MAX closed or cancelled ones. */
#define MENTORING_OPEN_LIST_MAX 1000
/* Requests one business may have waiting or offered at once. */
#define MENTORING_QUEUED_PER_BUSINESS 5
#define MENTORING_ROOM_MAX            1000
#define MENTORING_STAFF_MAX           256
#define MENTORING_QUEUE_MAX           1000
#define MENTORING_DURATION_MIN        15
#define MENTORING_DURATION_MAX        480
#define MENTORING_PAST_MS             (5ull * 60 * 1000)
#define MENTORING_AHEAD_MS            (366ull * 24 * 60 * 60 * 1000)
#define MENTORING_RATING_MAX          5
#define MENTORING_AUTO_ASSIGN         "mentoring_auto_assign"

#define LOADED (MSTATUS_OFFERED | MSTATUS_ACTIVE)

/* The fixed topics: the wire name and the Indonesian label of room titles. */
struct topic {
    const char *name;
    const char *label;
};

static const struct topic topics[] = {
    {"digital_marketing", "Pemasaran digital"},
    {"bookkeeping", "Pembukuan"},
    {"licensing", "Perizinan"},
    {"packaging", "Kemasan"},
    {"export", "Ekspor"},
    {"haki", "HAKI"},
    {"other", "Lainnya"},
};

#define TOPIC_COUNT (sizeof(topics) / sizeof(topics[0]))

static uv_timer_t reminder_timer;

static const struct topic *topic_find(const char *name)
{
    for (size_t i = 0; i < TOPIC_COUNT; i++) {
        if (strcmp(topics[i].name, name) == 0) {
            return &topics[i];
        }
    }
    return NULL;
}

static uint64_t caller(const struct req *r)
{
    return r->conn->session.user;
}

static bool caller_is_staff(const struct req *r)
{
    return session_is_staff(&r->conn->session);
}

/* ---- reading fields -------------------------------------------------------- */

/* A required string of at most `max` bytes; with `visible`, it must also
 * show something besides white space. */
static enum status read_text(struct req *r, const char *key, size_t max, bool visible,
                             const char **s)
{
    size_t len = 0;
    enum status st = req_str(r, key, s, &len);
    if (st != STATUS_OK) {
        return st;
    }
    if (len > max) {
        return req_fail(r, STATUS_TOO_LARGE, "`%s` is longer than %zu bytes", key, max);
    }
    if (visible && text_is_blank(*s, len)) {
        return req_fail(r, STATUS_BAD_REQUEST, "`%s` is empty", key);
    }
    return STATUS_OK;
}

/* The same for an optional string: *s is NULL when it is absent. */
static enum status read_opt_text(struct req *r, const char *key, size_t max, bool visible,
                                 const char **s)
{
    size_t len = 0;
    if (proto_get_str(r->msg, key, s, &len) == STATUS_NOT_FOUND) {
        *s = NULL;
        return STATUS_OK;
    }
    return read_text(r, key, max, visible, s);
}

static enum status read_opt_bool(struct req *r, const char *key, bool *present, bool *value)
{
    enum status st = proto_get_bool(r->msg, key, value);
    *present = st == STATUS_OK;
    if (st == STATUS_BAD_REQUEST) {
        return req_fail(r, st, "`%s` must be true or false", key);
    }
    return STATUS_OK;
}

/* An optional unsigned integer: *present tells whether it was given. */
static enum status read_opt_uint(struct req *r, const char *key, bool *present, uint64_t *value)
{
    *present = proto_get_uint(r->msg, key, value) != STATUS_NOT_FOUND;
    return *present ? req_uint(r, key, value) : STATUS_OK;
}

/* A topic name; NULL in *out when optional and absent. */
static enum status read_topic(struct req *r, bool required, const struct topic **out)
{
    const char *name = NULL;
    enum status st = required ? read_text(r, "topic", STORE_TOPIC_MAX, false, &name)
                              : read_opt_text(r, "topic", STORE_TOPIC_MAX, false, &name);
    *out = NULL;
    if (st == STATUS_TOO_LARGE) {
        st = req_fail(r, STATUS_BAD_REQUEST, "unknown topic");
    }
    if (st != STATUS_OK || name == NULL) {
        return st;
    }
    *out = topic_find(name);
    return *out != NULL ? STATUS_OK : req_fail(r, STATUS_BAD_REQUEST, "unknown topic");
}

static bool is_leap(unsigned year)
{
    return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
}

/* "" or a real date written YYYY-MM-DD, from the year 2000 on. */
static bool due_valid(const char *s)
{
    static const unsigned days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (s[0] == '\0') {
        return true;
    }
    if (strlen(s) != 10 || s[4] != '-' || s[7] != '-') {
        return false;
    }
    for (size_t i = 0; i < 10; i++) {
        if (i != 4 && i != 7 && (s[i] < '0' || s[i] > '9')) {
            return false;
        }
    }
    unsigned year = (unsigned)atoi(s);
    unsigned month = (unsigned)atoi(s + 5);
    unsigned day = (unsigned)atoi(s + 8);
    if (year < 2000 || month < 1 || month > 12 || day < 1) {
        return false;
    }
    unsigned last = days[month - 1] + (month == 2 && is_leap(year) ? 1 : 0);
    return day <= last;
}

static enum status read_opt_due(struct req *r, const char **due)
{
    enum status st = read_opt_text(r, "due", STORE_DUE_MAX, false, due);
    if (st == STATUS_TOO_LARGE || (st == STATUS_OK && *due != NULL && !due_valid(*due))) {
        return req_fail(r, STATUS_BAD_REQUEST,
                        "`due` must be a real date YYYY-MM-DD from 2000-01-01 on, or \"\"");
    }
    return st;
}

/* A session's start: not more than 5 minutes past, at most 366 days ahead. */
static enum status check_start(struct req *r, uint64_t starts_ts)
{
    uint64_t now = conn_now_ms();
    if (now > MENTORING_PAST_MS && starts_ts < now - MENTORING_PAST_MS) {
        return req_fail(r, STATUS_BAD_REQUEST, "`starts_ts` is in the past");
    }
    if (starts_ts > now + MENTORING_AHEAD_MS) {
        return req_fail(r, STATUS_BAD_REQUEST, "`starts_ts` is more than 366 days ahead");
    }
    return STATUS_OK;
}

static enum status check_duration(struct req *r, uint64_t minutes)
{
    if (minutes < MENTORING_DURATION_MIN || minutes > MENTORING_DURATION_MAX) {
        return req_fail(r, STATUS_BAD_REQUEST, "`duration_min` must be 15-480");
    }
    return STATUS_OK;
}

/* Reads the `request` field and loads that request. */
static enum status load_request(struct req *r, struct store_mrequest *q)
{
    uint64_t id = 0;
    enum status st = req_uint(r, "request", &id);
    if (st == STATUS_OK) {
        st = store_mrequest_get(app.store, id, q);
    }
    return st == STATUS_NOT_FOUND ? req_fail(r, st, "no such request") : st;
}

/* A mentoring room the caller may use so, and its request. */
static enum status load_room(struct req *r, uint64_t room, enum room_use use,
                             struct store_mrequest *q)
{
    struct store_room info;
    enum status st = access_check(r, room, use, &info, NULL);
    if (st != STATUS_OK) {
        return st;
    }
    st = store_mrequest_by_room(app.store, room, q);
    return st == STATUS_NOT_FOUND ? req_fail(r, st, "not a mentoring room") : st;
}

/* A user id that must be a mentor. */
static enum status check_mentor(struct req *r, uint64_t user)
{
    struct store_mentor m;
    enum status st = store_mentor_get(app.store, user, &m);
    return st == STATUS_NOT_FOUND ? req_fail(r, st, "no such mentor") : st;
}

/* ---- encoders ------------------------------------------------------------ */

static uint32_t request_fields(const struct store_mrequest *q)
{
    uint32_t n = 6;
    n += q->mentor.id != 0;
    n += q->room != 0;
    n += q->status == MSTATUS_WAITING;
    n += q->assigned_ts != 0;
    n += q->accepted_ts != 0;
    n += q->closed_ts != 0;
    n += q->rating != 0 ? 2 : 0;
    n += q->note[0] != '\0';
    return n;
}

static void encode_request(struct proto_writer *w, const struct store_mrequest *q)
{
    proto_put_map(w, request_fields(q));
    proto_kv_uint(w, "id", q->id);
    proto_put_cstr(w, "business");
    encode_user(w, &q->business, 0);
    proto_kv_cstr(w, "topic", q->topic);
    proto_kv_cstr(w, "description", q->description);
    proto_kv_cstr(w, "status", store_mstatus_name(q->status));
    if (q->mentor.id != 0) {
        proto_put_cstr(w, "mentor");
        encode_user(w, &q->mentor, 0);
    }
    if (q->room != 0) {
        proto_kv_uint(w, "room", q->room);
    }
    if (q->status == MSTATUS_WAITING) {
        proto_kv_uint(w, "position", q->position);
    }
    proto_kv_uint(w, "created_ts", q->created_ts);
    if (q->assigned_ts != 0) {
        proto_kv_uint(w, "assigned_ts", q->assigned_ts);
    }
    if (q->accepted_ts != 0) {
        proto_kv_uint(w, "accepted_ts", q->accepted_ts);
    }
    if (q->closed_ts != 0) {
        proto_kv_uint(w, "closed_ts", q->closed_ts);
    }
    if (q->rating != 0) {
        proto_kv_uint(w, "rating", q->rating);
        proto_kv_cstr(w, "comment", q->comment);
    }
    if (q->note[0] != '\0') {
        proto_kv_cstr(w, "note", q->note);
    }
}

static void encode_mentor(struct proto_writer *w, const struct store_mentor *m)
{
    proto_put_map(w, 5);
    proto_put_cstr(w, "user");
    encode_user(w, &m->user, 0);
    proto_put_cstr(w, "topics");
    proto_put_array(w, m->topic_count);
    for (uint32_t i = 0; i < m->topic_count; i++) {
        proto_put_cstr(w, m->topics[i]);
    }
    proto_kv_bool(w, "available", m->available);
    proto_kv_uint(w, "load", m->load);
    proto_kv_bool(w, "online", presence_online(m->user.id));
}

static void encode_session(struct proto_writer *w, const struct store_msession *s)
{
    proto_put_map(w, 10);
    proto_kv_uint(w, "id", s->id);
    proto_kv_uint(w, "room", s->room);
    proto_kv_uint(w, "request", s->request);
    proto_kv_uint(w, "starts_ts", s->starts_ts);
    proto_kv_uint(w, "duration_min", s->duration_min);
    proto_kv_cstr(w, "agenda", s->agenda);
    proto_kv_cstr(w, "status", s->cancelled ? "cancelled" : "scheduled");
    proto_kv_uint(w, "created_by", s->created_by);
    proto_kv_uint(w, "created_ts", s->created_ts);
    proto_kv_uint(w, "updated_ts", s->updated_ts);
}

static void encode_note(struct proto_writer *w, const struct store_note *n)
{
    proto_put_map(w, 7);
    proto_kv_uint(w, "id", n->id);
    proto_kv_uint(w, "room", n->room);
    proto_kv_uint(w, "request", n->request);
    proto_kv_uint(w, "author", n->author);
    proto_kv_cstr(w, "body", n->body);
    proto_kv_uint(w, "created_ts", n->created_ts);
    proto_kv_uint(w, "updated_ts", n->updated_ts);
}

static void encode_action(struct proto_writer *w, const struct store_action *a)
{
    proto_put_map(w, 10);
    proto_kv_uint(w, "id", a->id);
    proto_kv_uint(w, "room", a->room);
    proto_kv_uint(w, "request", a->request);
    proto_kv_cstr(w, "text", a->text);
    proto_kv_uint(w, "owner", a->owner);
    proto_kv_cstr(w, "due", a->due);
    proto_kv_bool(w, "done", a->done);
    proto_kv_uint(w, "created_by", a->created_by);
    proto_kv_uint(w, "created_ts", a->created_ts);
    proto_kv_uint(w, "updated_ts", a->updated_ts);
}

/* ---- sending --------------------------------------------------------------- */

/*
 * The moderators and admins, who follow the queue; 0 of them when the
 * store fails (logged).
 * LIMITATION: only the first 256 staff accounts receive queue and mentor
 * events; the others see changes when they ask again. A fix would send one
 * event to a "staff" channel that every staff connection listens to.
 */
static size_t staff_ids(uint64_t *out)
{
    static const char *const roles[] = {"moderator", "admin", NULL};
    size_t n = 0;
    enum status st = store_users_by_role(app.store, roles, out, MENTORING_STAFF_MAX, &n);
    if (st != STATUS_OK) {
        log_error("mentoring", "could not list staff", "code=%s", status_code(st));
        return 0;
    }
    return n;
}

/* Sends `b` to each user of `users` once (0s are skipped) and to staff. */
static void send_to_users_and_staff(struct proto_buf *b, const uint64_t *users, size_t n)
{
    static uint64_t staff[MENTORING_STAFF_MAX];
    for (size_t i = 0; i < n; i++) {
        bool seen = users[i] == 0;
        for (size_t j = 0; j < i && !seen; j++) {
            seen = users[j] == users[i];
        }
        if (!seen) {
            cluster_user_event(users[i], b);
        }
    }
    size_t count = staff_ids(staff);
    for (size_t i = 0; i < count; i++) {
        cluster_user_event(staff[i], b);
    }
}

static void send_to_user(uint64_t user, struct proto_writer *w)
{
    struct proto_buf *b = proto_writer_finish(w);
    if (b != NULL) {
        cluster_user_event(user, b);
        proto_buf_unref(b);
    }
}

/* Finishes `w` and sends it to `room`'s joined connections at once; with
 * `removed_user`, that user's connections leave the room first. */
static void send_to_room(uint64_t room, uint64_t removed_user, struct proto_writer *w)
{
    struct proto_buf *b = proto_writer_finish(w);
    if (b != NULL) {
        cluster_room_event(room, 0, 0, 0, removed_user, b);
        proto_buf_unref(b);
    }
}

static void member_event(struct proto_writer *w, uint64_t room, uint64_t user, const char *action)
{
    event_begin(w, "member", 3);
    proto_kv_uint(w, "room", room);
    proto_kv_uint(w, "user", user);
    proto_kv_cstr(w, "action", action);
}

/* ---- announcing changes ------------------------------------------------------ */

/* `mentoring_request` to the business, the mentor, the previous mentor, the
 * staff and, once it exists, the room. */
static void notify_request(const struct store_mrequest *q, uint64_t previous)
{
    struct proto_writer w;
    event_begin(&w, "mentoring_request", 1);
    proto_put_cstr(&w, "request");
    encode_request(&w, q);
    struct proto_buf *b = proto_writer_finish(&w);
    if (b == NULL) {
        return;
    }
    uint64_t users[] = {q->business.id, q->mentor.id, previous};
    send_to_users_and_staff(b, users, sizeof(users) / sizeof(users[0]));
    if (q->room != 0) {
        cluster_room_event(q->room, 0, 0, 0, 0, b);
    }
    proto_buf_unref(b);
}

struct queue_notice {
    uint32_t from;
    uint64_t skip;
};

static void notify_waiting(void *ud, const struct store_mrequest *q)
{
    const struct queue_notice *n = ud;
    if (q->position < n->from || q->id == n->skip) {
        return;
    }
    struct proto_writer w;
    event_begin(&w, "mentoring_request", 1);
    proto_put_cstr(&w, "request");
    encode_request(&w, q);
    send_to_user(q->business.id, &w);
}

/* The queue moved from `from` on: each waiting request at that position or
 * later goes to its business again, with its new position. */
static void notify_queue(uint32_t from, uint64_t skip)
{
    struct queue_notice n = {from, skip};
    enum status st = store_mrequest_queue(app.store, notify_waiting, &n);
    if (st != STATUS_OK) {
        log_error("mentoring", "could not read the queue", "code=%s", status_code(st));
    }
}

/* `mentor` to that mentor and the staff: their profile or load changed. */
static void notify_mentor(uint64_t user)
{
    struct store_mentor m;
    if (store_mentor_get(app.store, user, &m) != STATUS_OK) {
        return;
    }
    struct proto_writer w;
    event_begin(&w, "mentor", 1);
    proto_put_cstr(&w, "mentor");
    encode_mentor(&w, &m);
    struct proto_buf *b = proto_writer_finish(&w);
    if (b != NULL) {
        send_to_users_and_staff(b, &user, 1);
        proto_buf_unref(b);
    }
}

/*
 * Tells everyone concerned that a request went from `before` to `after`:
 * the request itself, the queue positions that moved (unless `queue` is
 * false, for a caller that reports the queue once after several changes),
 * and the loads of the mentors it left or reached.
 */
static void announce(const struct store_mrequest *before, const struct store_mrequest *after,
                     bool queue)
{
    bool moved = before->mentor.id != after->mentor.id;
    notify_request(after, moved ? before->mentor.id : 0);

    bool was_waiting = before->status == MSTATUS_WAITING;
    bool is_waiting = after->status == MSTATUS_WAITING;
    if (queue && was_waiting && !is_waiting) {
        notify_queue(before->position, after->id);
    } else if (queue && !was_waiting && is_waiting) {
        notify_queue(after->position + 1, after->id);
    }

    bool was_loaded = (before->status & LOADED) != 0 && before->mentor.id != 0;
    bool is_loaded = (after->status & LOADED) != 0 && after->mentor.id != 0;
    if (was_loaded && (!is_loaded || moved)) {
        notify_mentor(before->mentor.id);
    }
    if (is_loaded && (!was_loaded || moved)) {
        notify_mentor(after->mentor.id);
    }
}

static void reply_request(struct req *r, const struct store_mrequest *q)
{
    struct proto_writer w;
    reply_begin(&w, &r->ref, 1);
    proto_put_cstr(&w, "request");
    encode_request(&w, q);
    reply_send(&r->ref, &w);
}

/* ---- routing ---------------------------------------------------------------- */

static bool auto_assign_on(void)
{
    bool on = false;
    store_setting_get_bool(app.store, MENTORING_AUTO_ASSIGN, false, &on);
    return on;
}

/* Offers waiting request `q` to the least-loaded available mentor of its
 * topic. STATUS_NOT_FOUND when there is none; *out is then unchanged. */
static enum status offer_least_loaded(const struct store_mrequest *q, uint64_t actor,
                                      struct store_mrequest *out)
{
    uint64_t mentor = 0;
    enum status st = store_mrequest_pick(app.store, q->id, q->topic, &mentor);
    if (st == STATUS_OK) {
        st = store_mrequest_offer(app.store, q->id, mentor, actor, out);
    }
    if (st == STATUS_OK) {
        log_info("mentoring", "request offered", "request=%llu mentor=%llu auto=%d",
                 (unsigned long long)q->id, (unsigned long long)mentor, actor == 0);
    }
    return st;
}

struct id_list {
    uint64_t ids[MENTORING_QUEUE_MAX];
    size_t count;
};

static void collect_waiting(void *ud, const struct store_mrequest *q)
{
    struct id_list *l = ud;
    if (l->count < MENTORING_QUEUE_MAX) {
        l->ids[l->count++] = q->id;
    }
}

/*
 * With auto-assign on, offers every waiting request, oldest first, to the
 * least-loaded mentor for it, when there is one: after a mentor became
 * available or changed topics, or the setting was turned on.
 * LIMITATION: only the oldest 1000 waiting requests are looked at in one
 * sweep; the rest wait for the next sweep or a moderator. A fix would page
 * through the queue.
 */
static void sweep_queue(void)
{
    static struct id_list waiting;
    uint32_t from = UINT32_MAX;

    if (!auto_assign_on()) {
        return;
    }
    waiting.count = 0;
    if (store_mrequest_queue(app.store, collect_waiting, &waiting) != STATUS_OK) {
        return;
    }
    for (size_t i = 0; i < waiting.count; i++) {
        struct store_mrequest before, after;
        if (store_mrequest_get(app.store, waiting.ids[i], &before) != STATUS_OK ||
            before.status != MSTATUS_WAITING) {
            continue;
        }
        if (offer_least_loaded(&before, 0, &after) == STATUS_OK) {
            announce(&before, &after, false);
            from = before.position < from ? before.position : from;
        }
    }
    if (from != UINT32_MAX) {
        notify_queue(from, 0);
    }
}

/* ---- the request's life ------------------------------------------------------ */

static void count_request(void *ud, const struct store_mrequest *q)
{
    (*(unsigned *)ud)++;
}

static enum status handle_open(struct req *r)
{
    const struct topic *topic = NULL;
    const char *description = NULL;

    enum status st = read_topic(r, true, &topic);
    if (st == STATUS_OK) {
        st = read_text(r, "description", STORE_DESCRIPTION_MAX, true, &description);
    }
    if (st != STATUS_OK) {
        return st;
    }

    /* One business cannot fill the agency's queue on its own. */
    unsigned queued = 0;
    st = store_mrequest_list(app.store, MSTATUS_WAITING | MSTATUS_OFFERED, caller(r), 0,
                             MENTORING_QUEUED_PER_BUSINESS, count_request, &queued);
    if (st != STATUS_OK) {
        return st;
    }
    if (queued >= MENTORING_QUEUED_PER_BUSINESS) {
        return req_fail(r, STATUS_CONFLICT,
                        "%d requests are waiting already; cancel one or wait for a mentor",
                        MENTORING_QUEUED_PER_BUSINESS);
    }

    struct store_mrequest before = {0}, q, offered;
    st = store_mrequest_create(app.store, caller(r), topic->name, description, &q);
    if (st != STATUS_OK) {
        return st;
    }
    log_info("mentoring", "request opened", "request=%llu topic=%s", (unsigned long long)q.id,
             q.topic);
    if (auto_assign_on() && offer_least_loaded(&q, 0, &offered) == STATUS_OK) {
        q = offered;
    }
    reply_request(r, &q);
    announce(&before, &q, true);
    return STATUS_OK;
}

struct request_list {
    struct store_mrequest *items;
    size_t count;
    size_t cap;
    bool failed;
};

static void collect_request(void *ud, const struct store_mrequest *q)
{
    struct request_list *l = ud;
    if (l->failed || l->count == MENTORING_OPEN_LIST_MAX + MENTORING_LIST_MAX) {
        return;
    }
    if (l->count == l->cap) {
        size_t cap = l->cap == 0 ? 8 : l->cap * 2;
        struct store_mrequest *p = realloc(l->items, cap * sizeof(*p));
        if (p == NULL) {
            l->failed = true;
            return;
        }
        l->items = p;
        l->cap = cap;
    }
    l->items[l->count++] = *q;
}

/* The statuses the caller may see, as a filter, and whose requests. */
static unsigned visible_statuses(const struct req *r, uint64_t *business, uint64_t *mentor)
{
    unsigned role = r->conn->session.role;
    *business = 0;
    *mentor = 0;
    if (caller_is_staff(r)) {
        return MSTATUS_ANY;
    }
    if (role & (ROLE_UMKM | ROLE_KOPERASI)) {
        *business = caller(r);
        return MSTATUS_ANY;
    }
    if (role & ROLE_MENTOR) {
        *mentor = caller(r);
        return MSTATUS_OFFERED | MSTATUS_ACTIVE | MSTATUS_CLOSED;
    }
    return 0;
}

static enum status handle_requests(struct req *r)
{
    struct request_list list = {0};
    uint64_t business = 0, mentor = 0;
    unsigned statuses = visible_statuses(r, &business, &mentor);
    const char *name = NULL;

    enum status st = read_opt_text(r, "status", STORE_MSTATUS_MAX, false, &name);
    if (st == STATUS_TOO_LARGE || (st == STATUS_OK && name && store_mstatus_bit(name) == 0)) {
        return req_fail(r, STATUS_BAD_REQUEST, "unknown status");
    }
    if (st != STATUS_OK) {
        return st;
    }
    if (name != NULL) {
        statuses &= store_mstatus_bit(name);
    }
    /* Open requests are what people act on: all of them come first, so an
     * old waiting request is never pushed out by newer finished ones. */
    unsigned open = statuses & (MSTATUS_WAITING | MSTATUS_OFFERED | MSTATUS_ACTIVE);
    unsigned finished = statuses & ~open;
    if (open != 0) {
        st = store_mrequest_list(app.store, open, business, mentor, MENTORING_OPEN_LIST_MAX,
                                 collect_request, &list);
    }
    if (st == STATUS_OK && finished != 0) {
        st = store_mrequest_list(app.store, finished, business, mentor, MENTORING_LIST_MAX,
                                 collect_request, &list);
    }
    if (st == STATUS_OK && list.failed) {
        st = STATUS_NOMEM;
    }
    if (st == STATUS_OK) {
        struct proto_writer w;
        reply_begin(&w, &r->ref, 1);
        proto_put_cstr(&w, "requests");
        proto_put_array(&w, (uint32_t)list.count);
        for (size_t i = 0; i < list.count; i++) {
            encode_request(&w, &list.items[i]);
        }
        reply_send(&r->ref, &w);
    }
    free(list.items);
    return st;
}

static enum status handle_cancel(struct req *r)
{
    struct store_mrequest q, after;
    enum status st = load_request(r, &q);
    if (st != STATUS_OK) {
        return st;
    }
    if (q.business.id != caller(r)) {
        return req_fail(r, STATUS_FORBIDDEN, "only the business that opened it may cancel it");
    }
    st = store_mrequest_cancel(app.store, q.id, caller(r), &after);
    if (st == STATUS_CONFLICT) {
        return req_fail(r, st, "the request is not waiting or offered");
    }
    if (st != STATUS_OK) {
        return st;
    }
    reply_request(r, &after);
    announce(&q, &after, true);
    return STATUS_OK;
}

static enum status handle_assign(struct req *r)
{
    struct store_mrequest q, after;
    uint64_t mentor = 0;

    enum status st = load_request(r, &q);
    /* Without `mentor` the server picks; `mentor: 0` names nobody. */
    bool named = proto_get_uint(r->msg, "mentor", &mentor) != STATUS_NOT_FOUND;
    if (st == STATUS_OK) {
        st = req_opt_uint(r, "mentor", 0, &mentor);
    }
    if (st != STATUS_OK) {
        return st;
    }
    if ((q.status & (MSTATUS_WAITING | MSTATUS_OFFERED)) == 0) {
        return req_fail(r, STATUS_CONFLICT, "the request is not waiting");
    }
    if (named) {
        st = check_mentor(r, mentor);
    } else {
        st = store_mrequest_pick(app.store, q.id, q.topic, &mentor);
        if (st == STATUS_NOT_FOUND) {
            st = req_fail(r, st, "no available mentor for this topic");
        }
    }
    if (st == STATUS_OK) {
        st = store_mrequest_offer(app.store, q.id, mentor, caller(r), &after);
        if (st == STATUS_NOT_FOUND) {
            st = req_fail(r, st, "no such mentor");
        } else if (st == STATUS_CONFLICT) {
            st = req_fail(r, st, "the request is not waiting");
        }
    }
    if (st != STATUS_OK) {
        return st;
    }
    log_info("mentoring", "request offered", "request=%llu mentor=%llu by=%llu",
             (unsigned long long)q.id, (unsigned long long)mentor, (unsigned long long)caller(r));
    reply_request(r, &after);
    announce(&q, &after, true);
    return STATUS_OK;
}

/* The request is offered to the caller. */
static enum status check_offered(struct req *r, const struct store_mrequest *q)
{
    if (q->mentor.id != caller(r)) {
        return req_fail(r, STATUS_FORBIDDEN, "the request is not offered to you");
    }
    if (q->status != MSTATUS_OFFERED) {
        return req_fail(r, STATUS_CONFLICT, "the request is not offered");
    }
    return STATUS_OK;
}

/* "<topic label>: <business name>", cut to a room title's length at a
 * character boundary. */
static void room_title(const struct store_mrequest *q, char out[STORE_TITLE_MAX + 1])
{
    char full[STORE_TITLE_MAX + STORE_NAME_MAX + 64];
    const struct topic *t = topic_find(q->topic);
    snprintf(full, sizeof(full), "%s: %s", t != NULL ? t->label : q->topic, q->business.name);

    size_t len = strlen(full);
    if (len > STORE_TITLE_MAX) {
        len = STORE_TITLE_MAX;
        while (len > 0 && ((unsigned char)full[len] & 0xc0) == 0x80) {
            len--;
        }
    }
    memcpy(out, full, len);
    out[len] = '\0';
}

static enum status handle_accept(struct req *r)
{
    struct store_mrequest q, after;
    char title[STORE_TITLE_MAX + 1];

    enum status st = load_request(r, &q);
    if (st == STATUS_OK) {
        st = check_offered(r, &q);
    }
    if (st != STATUS_OK) {
        return st;
    }
    room_title(&q, title);
    st = store_mrequest_accept(app.store, q.id, caller(r), title, &after);
    if (st == STATUS_CONFLICT) {
        return req_fail(r, st, "the request is not offered to you");
    }
    if (st != STATUS_OK) {
        return st;
    }
    log_info("mentoring", "request accepted", "request=%llu room=%llu", (unsigned long long)q.id,
             (unsigned long long)after.room);
    reply_request(r, &after);

    /* Both members learn of the new room as they would of any other. */
    struct proto_writer w;
    member_event(&w, after.room, after.business.id, "added");
    send_to_user(after.business.id, &w);
    member_event(&w, after.room, after.mentor.id, "added");
    send_to_user(after.mentor.id, &w);
    announce(&q, &after, true);
    sysline_post(after.room, "{\"event\":\"mentoring_started\",\"request\":%llu,\"mentor\":%llu}",
                 (unsigned long long)after.id, (unsigned long long)after.mentor.id);
    return STATUS_OK;
}

static enum status handle_decline(struct req *r)
{
    struct store_mrequest q, after, offered;
    const char *reason = NULL;

    enum status st = load_request(r, &q);
    if (st == STATUS_OK) {
        st = read_text(r, "reason", STORE_REASON_MAX, true, &reason);
    }
    if (st == STATUS_OK) {
        st = check_offered(r, &q);
    }
    if (st != STATUS_OK) {
        return st;
    }
    st = store_mrequest_decline(app.store, q.id, caller(r), reason, &after);
    if (st == STATUS_CONFLICT) {
        return req_fail(r, st, "the request is not offered to you");
    }
    if (st != STATUS_OK) {
        return st;
    }
    log_info("mentoring", "request declined", "request=%llu mentor=%llu", (unsigned long long)q.id,
             (unsigned long long)caller(r));
    if (auto_assign_on() && offer_least_loaded(&after, 0, &offered) == STATUS_OK) {
        after = offered;
    }
    reply_request(r, &after);
    announce(&q, &after, true);
    return STATUS_OK;
}

/* Moves an active request's room from mentor `from` to `to`: the old
 * mentor's connections leave it on every process before anything else is
 * published there, and a call in it ends. */
static void move_room(const struct store_mrequest *q, uint64_t from, uint64_t to)
{
    /* The call ends first, so that the old mentor still hears it end. */
    if (calls_end_room(q->room, "transfer") != STATUS_OK) {
        log_error("mentoring", "could not end the call", "room=%llu", (unsigned long long)q->room);
    }

    struct proto_writer w;
    member_event(&w, q->room, from, "removed");
    send_to_room(q->room, from, &w);
    member_event(&w, q->room, from, "removed");
    send_to_user(from, &w);
    member_event(&w, q->room, to, "added");
    send_to_room(q->room, 0, &w);
    member_event(&w, q->room, to, "added");
    send_to_user(to, &w);
    sysline_post(q->room,
                 "{\"event\":\"mentoring_transferred\",\"request\":%llu,\"from\":%llu,\"to\":%llu}",
                 (unsigned long long)q->id, (unsigned long long)from, (unsigned long long)to);
}

static enum status handle_transfer(struct req *r)
{
    struct store_mrequest q, after;
    uint64_t to = 0, from = 0;
    const char *note = NULL;

    enum status st = load_request(r, &q);
    if (st == STATUS_OK) {
        st = req_uint(r, "mentor", &to);
    }
    if (st == STATUS_OK) {
        st = read_text(r, "note", STORE_REASON_MAX, true, &note);
    }
    if (st != STATUS_OK) {
        return st;
    }
    if (!caller_is_staff(r) && q.mentor.id != caller(r)) {
        return req_fail(r, STATUS_FORBIDDEN, "only the current mentor or staff may transfer");
    }
    if ((q.status & LOADED) == 0) {
        return req_fail(r, STATUS_CONFLICT, "the request is not offered or active");
    }
    if (to == q.mentor.id) {
        return req_fail(r, STATUS_CONFLICT, "the request is already with this mentor");
    }
    st = check_mentor(r, to);
    if (st == STATUS_OK) {
        st = store_mrequest_transfer(app.store, q.id, caller(r), to, note, &from, &after);
    }
    if (st == STATUS_CONFLICT) {
        return req_fail(r, st, "the request is not offered or active");
    }
    if (st != STATUS_OK) {
        return st;
    }
    log_info("mentoring", "request transferred", "request=%llu from=%llu to=%llu",
             (unsigned long long)q.id, (unsigned long long)from, (unsigned long long)to);
    if (after.status == MSTATUS_ACTIVE) {
        move_room(&after, from, to);
    }
    reply_request(r, &after);
    announce(&q, &after, true);
    return STATUS_OK;
}

struct closing {
    uint64_t closed_ts;
    struct proto_writer w;
};

static void publish_if_cancelled(void *ud, const struct store_msession *s)
{
    struct closing *c = ud;
    if (s->cancelled && s->updated_ts == c->closed_ts) {
        event_begin(&c->w, "mentoring_session", 1);
        proto_put_cstr(&c->w, "session");
        encode_session(&c->w, s);
        send_to_room(s->room, 0, &c->w);
    }
}

/* The room hears of the sessions the close cancelled, one event each. */
static void announce_cancelled_sessions(const struct store_mrequest *q)
{
    struct closing c = {.closed_ts = q->closed_ts};
    if (store_msessions(app.store, q->room, publish_if_cancelled, &c) != STATUS_OK) {
        log_error("mentoring", "could not read the sessions of a closed mentorship", "room=%llu",
                  (unsigned long long)q->room);
    }
}

static enum status handle_close(struct req *r)
{
    struct store_mrequest q, after;
    uint64_t rating = 0;
    const char *comment = NULL;

    enum status st = load_request(r, &q);
    if (st == STATUS_OK) {
        st = req_uint(r, "rating", &rating);
    }
    if (st == STATUS_OK && (rating < 1 || rating > MENTORING_RATING_MAX)) {
        st = req_fail(r, STATUS_BAD_REQUEST, "`rating` must be 1-5");
    }
    if (st == STATUS_OK) {
        st = read_opt_text(r, "comment", STORE_COMMENT_MAX, false, &comment);
    }
    if (st != STATUS_OK) {
        return st;
    }
    if (q.business.id != caller(r)) {
        return req_fail(r, STATUS_FORBIDDEN, "only the business that opened it may close it");
    }
    st = store_mrequest_close(app.store, q.id, caller(r), (uint32_t)rating,
                              comment != NULL ? comment : "", &after);
    if (st == STATUS_CONFLICT) {
        return req_fail(r, st, "the request is not active");
    }
    if (st != STATUS_OK) {
        return st;
    }
    log_info("mentoring", "request closed", "request=%llu rating=%u", (unsigned long long)q.id,
             after.rating);
    if (calls_end_room(after.room, "closed") != STATUS_OK) {
        log_error("mentoring", "could not end the call", "room=%llu",
                  (unsigned long long)after.room);
    }
    sysline_post(after.room, "{\"event\":\"mentoring_closed\",\"request\":%llu,\"rating\":%u}",
                 (unsigned long long)after.id, after.rating);
    reply_request(r, &after);
    announce(&q, &after, true);
    announce_cancelled_sessions(&after);
    return STATUS_OK;
}

/* ---- settings and mentors ------------------------------------------------------ */

static enum status handle_settings(struct req *r)
{
    bool present = false, value = false;
    enum status st = read_opt_bool(r, "auto_assign", &present, &value);
    if (st != STATUS_OK) {
        return st;
    }
    bool was = auto_assign_on();
    if (present && value != was) {
        st = store_setting_put_bool(app.store, MENTORING_AUTO_ASSIGN, value);
        if (st != STATUS_OK) {
            return st;
        }
        log_info("mentoring", "auto-assign changed", "on=%d by=%llu", value,
                 (unsigned long long)caller(r));
    }
    struct proto_writer w;
    reply_begin(&w, &r->ref, 1);
    proto_kv_bool(&w, "auto_assign", present ? value : was);
    reply_send(&r->ref, &w);

    /* Turning it on serves the requests already waiting. */
    if (present && value && !was) {
        sweep_queue();
    }
    return STATUS_OK;
}

/* The `topics` field: distinct known topic names, copied into `names`. */
static enum status read_topics(struct req *r, char names[][STORE_TOPIC_MAX + 1], size_t *n)
{
    enum status st = proto_get_str_array(r->msg, "topics", &names[0][0], STORE_TOPIC_MAX + 1,
                                         STORE_TOPICS_MAX, n);
    if (st == STATUS_TOO_LARGE) {
        return req_fail(r, STATUS_BAD_REQUEST, "`topics` holds at most 7 known topics");
    }
    if (st == STATUS_BAD_REQUEST) {
        return req_fail(r, st, "`topics` must be an array of topic names");
    }
    if (st != STATUS_OK) {
        return st;
    }
    for (size_t i = 0; i < *n; i++) {
        if (topic_find(names[i]) == NULL) {
            return req_fail(r, STATUS_BAD_REQUEST, "unknown topic");
        }
        for (size_t j = 0; j < i; j++) {
            if (strcmp(names[i], names[j]) == 0) {
                return req_fail(r, STATUS_BAD_REQUEST, "`topics` repeats a topic");
            }
        }
    }
    return STATUS_OK;
}

static enum status handle_profile(struct req *r)
{
    char names[STORE_TOPICS_MAX][STORE_TOPIC_MAX + 1];
    const char *list[STORE_TOPICS_MAX];
    size_t n = 0;
    bool present = false, available = false;

    enum status st = read_topics(r, names, &n);
    bool has_topics = st == STATUS_OK;
    if (st == STATUS_NOT_FOUND) {
        st = STATUS_OK;
    }
    if (st == STATUS_OK) {
        st = read_opt_bool(r, "available", &present, &available);
    }
    if (st != STATUS_OK) {
        return st;
    }
    for (size_t i = 0; i < n; i++) {
        list[i] = names[i];
    }

    struct store_mentor before, after;
    st = store_mentor_get(app.store, caller(r), &before);
    if (st == STATUS_OK) {
        st = store_mentor_set(app.store, caller(r), has_topics ? list : NULL, n,
                              present ? &available : NULL, &after);
    }
    if (st != STATUS_OK) {
        return st;
    }
    struct proto_writer w;
    reply_begin(&w, &r->ref, 1);
    proto_put_cstr(&w, "mentor");
    encode_mentor(&w, &after);
    reply_send(&r->ref, &w);

    notify_mentor(caller(r));
    if (after.available && (!before.available || has_topics)) {
        sweep_queue();
    }
    return STATUS_OK;
}

struct mentor_list {
    struct store_mentor *items;
    size_t count;
    size_t cap;
    bool failed;
};

static void collect_mentor(void *ud, const struct store_mentor *m)
{
    struct mentor_list *l = ud;
    if (l->failed) {
        return;
    }
    if (l->count == l->cap) {
        size_t cap = l->cap == 0 ? 8 : l->cap * 2;
        struct store_mentor *p = realloc(l->items, cap * sizeof(*p));
        if (p == NULL) {
            l->failed = true;
            return;
        }
        l->items = p;
        l->cap = cap;
    }
    l->items[l->count++] = *m;
}

static enum status handle_mentors(struct req *r)
{
    struct mentor_list list = {0};
    const struct topic *topic = NULL;

    enum status st = read_topic(r, false, &topic);
    if (st == STATUS_OK) {
        st = store_mentors(app.store, topic != NULL ? topic->name : NULL, collect_mentor, &list);
    }
    if (st == STATUS_OK && list.failed) {
        st = STATUS_NOMEM;
    }
    if (st == STATUS_OK) {
        struct proto_writer w;
        reply_begin(&w, &r->ref, 1);
        proto_put_cstr(&w, "mentors");
        proto_put_array(&w, (uint32_t)list.count);
        for (size_t i = 0; i < list.count; i++) {
            encode_mentor(&w, &list.items[i]);
        }
        reply_send(&r->ref, &w);
    }
    free(list.items);
    return st;
}

/* ---- the room's snapshot ---------------------------------------------------------- */

/*
 * What mentoring_room returns besides the request, each list capped.
 * LIMITATION: a room with more than 1000 sessions, notes or action items
 * shows only the first 1000 of each; a fix would page them like history.
 */
struct room_lists {
    struct store_msession *sessions;
    struct store_note *notes;
    struct store_action *actions;
    size_t session_count;
    size_t note_count;
    size_t action_count;
    bool failed;
};

/* Appends `item` of `size` bytes to the array at *items of *count. */
static void room_list_add(struct room_lists *l, void **items, size_t *count, const void *item,
                          size_t size)
{
    if (l->failed || *count == MENTORING_ROOM_MAX) {
        return;
    }
    /* The capacity is the count rounded up to a power of two, so it doubles
     * whenever the count reaches one. */
    size_t n = *count;
    if (n == 0 || (n & (n - 1)) == 0) {
        void *p = realloc(*items, (n == 0 ? 1 : n * 2) * size);
        if (p == NULL) {
            l->failed = true;
            return;
        }
        *items = p;
    }
    memcpy((char *)*items + n * size, item, size);
    *count = n + 1;
}

static void collect_session(void *ud, const struct store_msession *s)
{
    struct room_lists *l = ud;
    room_list_add(l, (void **)&l->sessions, &l->session_count, s, sizeof(*s));
}

static void collect_note(void *ud, const struct store_note *n)
{
    struct room_lists *l = ud;
    room_list_add(l, (void **)&l->notes, &l->note_count, n, sizeof(*n));
}

static void collect_action(void *ud, const struct store_action *a)
{
    struct room_lists *l = ud;
    room_list_add(l, (void **)&l->actions, &l->action_count, a, sizeof(*a));
}

/* People are few per mentorship: a business and the mentors it had. */
#define MENTORING_PEOPLE_MAX 64

struct people {
    struct store_user users[MENTORING_PEOPLE_MAX];
    size_t count;
};

static void collect_person(void *ud, const struct store_user *u)
{
    struct people *p = ud;
    if (p->count < MENTORING_PEOPLE_MAX) {
        p->users[p->count++] = *u;
    }
}

static void reply_room(struct req *r, const struct store_mrequest *q, const struct room_lists *l,
                       const struct people *people, const struct store_call *call)
{
    struct proto_writer w;
    reply_begin(&w, &r->ref, 5 + (call != NULL));
    proto_put_cstr(&w, "request");
    encode_request(&w, q);
    proto_put_cstr(&w, "sessions");
    proto_put_array(&w, (uint32_t)l->session_count);
    for (size_t i = 0; i < l->session_count; i++) {
        encode_session(&w, &l->sessions[i]);
    }
    proto_put_cstr(&w, "notes");
    proto_put_array(&w, (uint32_t)l->note_count);
    for (size_t i = 0; i < l->note_count; i++) {
        encode_note(&w, &l->notes[i]);
    }
    proto_put_cstr(&w, "actions");
    proto_put_array(&w, (uint32_t)l->action_count);
    for (size_t i = 0; i < l->action_count; i++) {
        encode_action(&w, &l->actions[i]);
    }
    proto_put_cstr(&w, "people");
    proto_put_array(&w, (uint32_t)people->count);
    for (size_t i = 0; i < people->count; i++) {
        encode_user(&w, &people->users[i], 0);
    }
    if (call != NULL) {
        proto_put_cstr(&w, "call");
        calls_encode(&w, call);
    }
    reply_send(&r->ref, &w);
}

static enum status handle_room(struct req *r)
{
    struct store_mrequest q;
    struct store_call call;
    struct room_lists lists = {0};
    uint64_t room = 0;

    enum status st = req_uint(r, "room", &room);
    if (st == STATUS_OK) {
        st = load_room(r, room, ROOM_READ, &q);
    }
    if (st == STATUS_OK) {
        st = store_msessions(app.store, room, collect_session, &lists);
    }
    if (st == STATUS_OK) {
        st = store_notes(app.store, room, collect_note, &lists);
    }
    if (st == STATUS_OK) {
        st = store_actions(app.store, room, collect_action, &lists);
    }
    static struct people people;
    people.count = 0;
    if (st == STATUS_OK) {
        st = store_mrequest_people(app.store, q.id, MENTORING_PEOPLE_MAX, collect_person, &people);
    }
    if (st == STATUS_OK && lists.failed) {
        st = STATUS_NOMEM;
    }
    enum status call_st = STATUS_NOT_FOUND;
    if (st == STATUS_OK) {
        call_st = store_call_current(app.store, room, &call);
        st = call_st == STATUS_NOT_FOUND ? STATUS_OK : call_st;
    }
    if (st == STATUS_OK) {
        reply_room(r, &q, &lists, &people, call_st == STATUS_OK ? &call : NULL);
    }
    free(lists.sessions);
    free(lists.notes);
    free(lists.actions);
    return st;
}

/* ---- sessions ------------------------------------------------------------------------ */

static void reply_and_publish_session(struct req *r, const struct store_msession *s)
{
    struct proto_writer w;
    reply_begin(&w, &r->ref, 1);
    proto_put_cstr(&w, "session");
    encode_session(&w, s);
    reply_send(&r->ref, &w);

    event_begin(&w, "mentoring_session", 1);
    proto_put_cstr(&w, "session");
    encode_session(&w, s);
    send_to_room(s->room, 0, &w);
}

static enum status handle_session_add(struct req *r)
{
    struct store_mrequest q;
    struct store_msession s;
    uint64_t room = 0, starts_ts = 0, duration = 0;
    const char *agenda = NULL;

    enum status st = req_uint(r, "room", &room);
    if (st == STATUS_OK) {
        st = req_uint(r, "starts_ts", &starts_ts);
    }
    if (st == STATUS_OK) {
        st = req_uint(r, "duration_min", &duration);
    }
    if (st == STATUS_OK) {
        st = read_text(r, "agenda", STORE_AGENDA_MAX, true, &agenda);
    }
    if (st == STATUS_OK) {
        st = check_start(r, starts_ts);
    }
    if (st == STATUS_OK) {
        st = check_duration(r, duration);
    }
    if (st == STATUS_OK) {
        st = load_room(r, room, ROOM_WRITE, &q);
    }
    if (st == STATUS_OK) {
        st = store_msession_add(app.store, q.id, room, caller(r), starts_ts, (uint32_t)duration,
                                agenda, &s);
    }
    if (st != STATUS_OK) {
        return st;
    }
    reply_and_publish_session(r, &s);
    sysline_post(room, "{\"event\":\"session_scheduled\",\"session\":%llu,\"starts_ts\":%llu}",
                 (unsigned long long)s.id, (unsigned long long)s.starts_ts);
    return STATUS_OK;
}

/* Reads the `session` field, loads it, and checks the caller may change it. */
static enum status load_session(struct req *r, struct store_msession *s)
{
    struct store_mrequest q;
    uint64_t id = 0;
    enum status st = req_uint(r, "session", &id);
    if (st == STATUS_OK) {
        st = store_msession_get(app.store, id, s);
        if (st == STATUS_NOT_FOUND) {
            st = req_fail(r, st, "no such session");
        }
    }
    if (st == STATUS_OK) {
        st = load_room(r, s->room, ROOM_WRITE, &q);
    }
    if (st == STATUS_OK && s->cancelled) {
        st = req_fail(r, STATUS_CONFLICT, "the session is cancelled");
    }
    return st;
}

static enum status handle_session_update(struct req *r)
{
    struct store_msession before, after;
    uint64_t starts_ts = 0, duration = 0;
    bool has_start = false, has_duration = false;
    const char *agenda = NULL;

    enum status st = read_opt_uint(r, "starts_ts", &has_start, &starts_ts);
    if (st == STATUS_OK) {
        st = read_opt_uint(r, "duration_min", &has_duration, &duration);
    }
    if (st == STATUS_OK) {
        st = read_opt_text(r, "agenda", STORE_AGENDA_MAX, true, &agenda);
    }
    if (st == STATUS_OK && !has_start && !has_duration && agenda == NULL) {
        st = req_fail(r, STATUS_BAD_REQUEST, "nothing to change");
    }
    if (st == STATUS_OK && has_start) {
        st = check_start(r, starts_ts);
    }
    if (st == STATUS_OK && has_duration) {
        st = check_duration(r, duration);
    }
    if (st == STATUS_OK) {
        st = load_session(r, &before);
    }
    if (st == STATUS_OK) {
        st = store_msession_update(app.store, before.id, starts_ts, (uint32_t)duration, agenda,
                                   &after);
    }
    if (st == STATUS_CONFLICT) {
        return req_fail(r, st, "the session is cancelled");
    }
    if (st != STATUS_OK) {
        return st;
    }
    reply_and_publish_session(r, &after);
    if (after.starts_ts != before.starts_ts) {
        sysline_post(after.room,
                     "{\"event\":\"session_rescheduled\",\"session\":%llu,\"starts_ts\":%llu}",
                     (unsigned long long)after.id, (unsigned long long)after.starts_ts);
    }
    return STATUS_OK;
}

static enum status handle_session_cancel(struct req *r)
{
    struct store_msession before, after;
    enum status st = load_session(r, &before);
    if (st == STATUS_OK) {
        st = store_msession_cancel(app.store, before.id, &after);
    }
    if (st == STATUS_CONFLICT) {
        return req_fail(r, st, "the session is cancelled");
    }
    if (st != STATUS_OK) {
        return st;
    }
    reply_and_publish_session(r, &after);
    sysline_post(after.room, "{\"event\":\"session_cancelled\",\"session\":%llu}",
                 (unsigned long long)after.id);
    return STATUS_OK;
}

/* ---- notes ---------------------------------------------------------------------------- */

static void reply_and_publish_note(struct req *r, const struct store_note *n)
{
    struct proto_writer w;
    reply_begin(&w, &r->ref, 1);
    proto_put_cstr(&w, "note");
    encode_note(&w, n);
    reply_send(&r->ref, &w);

    event_begin(&w, "mentoring_note", 1);
    proto_put_cstr(&w, "note");
    encode_note(&w, n);
    send_to_room(n->room, 0, &w);
}

static enum status handle_note_add(struct req *r)
{
    struct store_mrequest q;
    struct store_note n;
    uint64_t room = 0;
    const char *body = NULL;

    enum status st = req_uint(r, "room", &room);
    if (st == STATUS_OK) {
        st = read_text(r, "body", STORE_NOTE_MAX, true, &body);
    }
    if (st == STATUS_OK) {
        st = load_room(r, room, ROOM_WRITE, &q);
    }
    if (st == STATUS_OK && q.mentor.id != caller(r)) {
        st = req_fail(r, STATUS_FORBIDDEN, "only the mentor writes notes");
    }
    if (st == STATUS_OK) {
        st = store_note_add(app.store, q.id, room, caller(r), body, &n);
    }
    if (st != STATUS_OK) {
        return st;
    }
    reply_and_publish_note(r, &n);
    return STATUS_OK;
}

static enum status handle_note_edit(struct req *r)
{
    struct store_mrequest q;
    struct store_note n;
    uint64_t id = 0;
    const char *body = NULL;

    enum status st = req_uint(r, "note", &id);
    if (st == STATUS_OK) {
        st = read_text(r, "body", STORE_NOTE_MAX, true, &body);
    }
    if (st == STATUS_OK) {
        st = store_note_get(app.store, id, &n);
        if (st == STATUS_NOT_FOUND) {
            st = req_fail(r, st, "no such note");
        }
    }
    if (st == STATUS_OK) {
        st = load_room(r, n.room, ROOM_WRITE, &q);
    }
    if (st == STATUS_OK && n.author != caller(r)) {
        st = req_fail(r, STATUS_FORBIDDEN, "only the author may edit a note");
    }
    if (st == STATUS_OK) {
        st = store_note_edit(app.store, id, body, &n);
    }
    if (st != STATUS_OK) {
        return st;
    }
    reply_and_publish_note(r, &n);
    return STATUS_OK;
}

/* ---- action items ------------------------------------------------------------------------ */

static void reply_and_publish_action(struct req *r, const struct store_action *a)
{
    struct proto_writer w;
    reply_begin(&w, &r->ref, 1);
    proto_put_cstr(&w, "action");
    encode_action(&w, a);
    reply_send(&r->ref, &w);

    event_begin(&w, "mentoring_action", 1);
    proto_put_cstr(&w, "action");
    encode_action(&w, a);
    send_to_room(a->room, 0, &w);
}

static enum status check_owner(struct req *r, const struct store_mrequest *q, uint64_t owner)
{
    if (owner != q->business.id && owner != q->mentor.id) {
        return req_fail(r, STATUS_BAD_REQUEST, "`owner` must be the business or the mentor");
    }
    return STATUS_OK;
}

static enum status handle_action_add(struct req *r)
{
    struct store_mrequest q;
    struct store_action a;
    uint64_t room = 0, owner = 0;
    const char *text = NULL, *due = NULL;

    enum status st = req_uint(r, "room", &room);
    if (st == STATUS_OK) {
        st = read_text(r, "text", STORE_ACTION_MAX, true, &text);
    }
    if (st == STATUS_OK) {
        st = req_uint(r, "owner", &owner);
    }
    if (st == STATUS_OK) {
        st = read_opt_due(r, &due);
    }
    if (st == STATUS_OK) {
        st = load_room(r, room, ROOM_WRITE, &q);
    }
    if (st == STATUS_OK && q.mentor.id != caller(r)) {
        st = req_fail(r, STATUS_FORBIDDEN, "only the mentor adds action items");
    }
    if (st == STATUS_OK) {
        st = check_owner(r, &q, owner);
    }
    if (st == STATUS_OK) {
        st = store_action_add(app.store, q.id, room, caller(r), text, owner, due != NULL ? due : "",
                              &a);
    }
    if (st != STATUS_OK) {
        return st;
    }
    reply_and_publish_action(r, &a);
    return STATUS_OK;
}

/* The mentor may change every field of an action item; its owner only
 * whether it is done. */
static enum status check_action_change(struct req *r, const struct store_mrequest *q,
                                       const struct store_action *a, bool only_done, bool has_owner,
                                       uint64_t owner)
{
    if (q->mentor.id == caller(r)) {
        return has_owner ? check_owner(r, q, owner) : STATUS_OK;
    }
    if (a->owner != caller(r)) {
        return req_fail(r, STATUS_FORBIDDEN, "only the mentor or the owner may change it");
    }
    if (!only_done) {
        return req_fail(r, STATUS_FORBIDDEN, "the owner may only mark it done");
    }
    return STATUS_OK;
}

static enum status handle_action_update(struct req *r)
{
    struct store_mrequest q;
    struct store_action a;
    uint64_t id = 0, owner = 0;
    bool has_owner = false, has_done = false, done = false;
    const char *text = NULL, *due = NULL;

    enum status st = req_uint(r, "action", &id);
    if (st == STATUS_OK) {
        st = read_opt_text(r, "text", STORE_ACTION_MAX, true, &text);
    }
    if (st == STATUS_OK) {
        st = read_opt_uint(r, "owner", &has_owner, &owner);
    }
    if (st == STATUS_OK) {
        st = read_opt_due(r, &due);
    }
    if (st == STATUS_OK) {
        st = read_opt_bool(r, "done", &has_done, &done);
    }
    bool only_done = text == NULL && !has_owner && due == NULL;
    if (st == STATUS_OK && only_done && !has_done) {
        st = req_fail(r, STATUS_BAD_REQUEST, "nothing to change");
    }
    if (st == STATUS_OK) {
        st = store_action_get(app.store, id, &a);
        if (st == STATUS_NOT_FOUND) {
            st = req_fail(r, st, "no such action item");
        }
    }
    if (st == STATUS_OK) {
        st = load_room(r, a.room, ROOM_WRITE, &q);
    }
    if (st == STATUS_OK) {
        st = check_action_change(r, &q, &a, only_done, has_owner, owner);
    }
    if (st == STATUS_OK) {
        st = store_action_update(app.store, id, text, has_owner ? owner : 0, due,
                                 has_done ? &done : NULL, &a);
    }
    if (st != STATUS_OK) {
        return st;
    }
    reply_and_publish_action(r, &a);
    return STATUS_OK;
}

/* ---- figures ------------------------------------------------------------------------------ */

struct figure_rows {
    struct store_mfigures rows[TOPIC_COUNT + 1];
    struct store_mfigures total;
    size_t count;
};

static void collect_figures(void *ud, const struct store_mfigures *f)
{
    struct figure_rows *l = ud;
    if (f->topic[0] == '\0') {
        l->total = *f;
    } else if (l->count < TOPIC_COUNT + 1) {
        l->rows[l->count++] = *f;
    }
}

static void encode_figures(struct proto_writer *w, const struct store_mfigures *f)
{
    bool topic = f->topic[0] != '\0';
    proto_put_map(w, 6 + topic);
    if (topic) {
        proto_kv_cstr(w, "topic", f->topic);
    }
    proto_kv_uint(w, "requests", f->requests);
    proto_kv_uint(w, "assigned", f->assigned);
    proto_kv_uint(w, "wait_avg_s", f->assigned != 0 ? f->wait_total_s / f->assigned : 0);
    proto_kv_uint(w, "sessions_held", f->sessions_held);
    proto_kv_uint(w, "ratings", f->ratings);
    proto_kv_double(w, "rating_avg",
                    f->ratings != 0 ? (double)f->rating_sum / (double)f->ratings : 0.0);
}

static enum status handle_figures(struct req *r)
{
    struct figure_rows rows = {0};
    uint64_t since = 0;

    enum status st = req_opt_uint(r, "since_ts", 0, &since);
    if (st == STATUS_OK) {
        st = store_mfigures(app.store, since, collect_figures, &rows);
    }
    if (st != STATUS_OK) {
        return st;
    }
    struct proto_writer w;
    reply_begin(&w, &r->ref, 2);
    proto_put_cstr(&w, "topics");
    proto_put_array(&w, (uint32_t)rows.count);
    for (size_t i = 0; i < rows.count; i++) {
        encode_figures(&w, &rows.rows[i]);
    }
    proto_put_cstr(&w, "total");
    encode_figures(&w, &rows.total);
    reply_send(&r->ref, &w);
    return STATUS_OK;
}

/* ---- the room kind's rule -------------------------------------------------------------- */

/*
 * Members read and write; staff read without being members; nobody else
 * does either. A closed mentorship is read-only, except that a member's
 * read marker still moves, so its last lines do not stay unread for ever.
 */
static enum status mentoring_access(struct req *r, const struct store_room *room, bool member,
                                    enum room_use use)
{
    if (!member && (use != ROOM_READ || !caller_is_staff(r))) {
        return req_fail(r, STATUS_FORBIDDEN, "not a member of this room");
    }
    if (use == ROOM_READ || strcmp(proto_msg_type(r->msg), "read") == 0) {
        return STATUS_OK;
    }
    struct store_mrequest q;
    enum status st = store_mrequest_by_room(app.store, room->id, &q);
    if (st == STATUS_OK && q.status == MSTATUS_CLOSED) {
        return req_fail(r, STATUS_CONFLICT, "the mentorship is closed");
    }
    return st == STATUS_NOT_FOUND ? STATUS_OK : st;
}

/* ---- reminders ------------------------------------------------------------------------- */

static void remind(void *ud, const struct store_msession *s)
{
    uint64_t now = *(const uint64_t *)ud;
    struct store_mrequest q;

    /* A closed mentorship has no more sessions to go to. */
    if (store_mrequest_by_room(app.store, s->room, &q) == STATUS_OK && q.status == MSTATUS_CLOSED) {
        return;
    }
    uint64_t minutes = s->starts_ts > now ? (s->starts_ts - now + 59999) / 60000 : 0;
    sysline_post(s->room,
                 "{\"event\":\"session_reminder\",\"session\":%llu,\"starts_ts\":%llu,"
                 "\"minutes\":%llu}",
                 (unsigned long long)s->id, (unsigned long long)s->starts_ts,
                 (unsigned long long)minutes);
}

static void reminder_scan(uv_timer_t *timer)
{
    if (app.shutting_down || app.store == NULL) {
        return;
    }
    uint64_t now = conn_now_ms();
    enum status st = store_msession_claim_reminders(
        app.store, now, (uint64_t)MENTORING_REMINDER_MIN * 60 * 1000, remind, &now);
    if (st != STATUS_OK) {
        log_warn("mentoring", "reminder scan failed", "code=%s", status_code(st));
    }
}

/* ---- registration ------------------------------------------------------------------------ */

#define BUSINESS (ROLE_UMKM | ROLE_KOPERASI)
#define STAFF    (ROLE_MODERATOR | ROLE_ADMIN)

static const struct request_def requests[] = {
    {"mentoring_open", true, BUSINESS, handle_open, REQ_WRITE},
    {"mentoring_requests", true, ROLE_ANY, handle_requests, 0},
    {"mentoring_cancel", true, BUSINESS, handle_cancel, REQ_WRITE},
    {"mentoring_assign", true, STAFF, handle_assign, 0},
    {"mentoring_accept", true, ROLE_MENTOR, handle_accept, 0},
    {"mentoring_decline", true, ROLE_MENTOR, handle_decline, REQ_WRITE},
    {"mentoring_transfer", true, ROLE_MENTOR | STAFF, handle_transfer, REQ_WRITE},
    {"mentoring_close", true, BUSINESS, handle_close, REQ_WRITE},
    {"mentoring_settings", true, STAFF, handle_settings, 0},
    {"mentor_profile", true, ROLE_MENTOR, handle_profile, 0},
    {"mentors", true, ROLE_MENTOR | STAFF, handle_mentors, 0},
    {"mentoring_room", true, ROLE_ANY, handle_room, 0},
    {"mentoring_session_add", true, ROLE_ANY, handle_session_add, REQ_WRITE},
    {"mentoring_session_update", true, ROLE_ANY, handle_session_update, REQ_WRITE},
    {"mentoring_session_cancel", true, ROLE_ANY, handle_session_cancel, REQ_WRITE},
    {"mentoring_note_add", true, ROLE_ANY, handle_note_add, REQ_WRITE},
    {"mentoring_note_edit", true, ROLE_ANY, handle_note_edit, REQ_WRITE},
    {"mentoring_action_add", true, ROLE_ANY, handle_action_add, REQ_WRITE},
    {"mentoring_action_update", true, ROLE_ANY, handle_action_update, REQ_WRITE},
    {"mentoring_figures", true, STAFF, handle_figures, 0},
};

void mentoring_init(void)
{
    dispatch_register(requests, sizeof(requests) / sizeof(requests[0]));
    access_rule("mentoring", mentoring_access);
    uv_timer_init(app.loop, &reminder_timer);
    uv_timer_start(&reminder_timer, reminder_scan, MENTORING_SCAN_MS, MENTORING_SCAN_MS);
    /* The timer alone never keeps the loop running, so a start that fails
     * later still ends. */
    uv_unref((uv_handle_t *)&reminder_timer);
}

void mentoring_stop(void)
{
    uv_timer_stop(&reminder_timer);
    uv_close((uv_handle_t *)&reminder_timer, NULL);
}
