#include "chat.h"

#include <stdlib.h>
#include <string.h>

#include "access.h"
#include "app.h"
#include "cluster.h"
#include "conn.h"
#include "dispatch.h"
#include "encode.h"
#include "log.h"
#include "msglist.h"
#include "presence.h"
#include "rooms.h"
#include "session.h"
#include "text.h"

#define CHAT_BODY_MAX        4000
#define CHAT_CLIENT_ID_MAX   64
#define CHAT_REPLAY_CAP      1000
#define CHAT_HISTORY_DEFAULT 50
#define CHAT_HISTORY_MAX     100

/* What a queued store write needs to answer and fan out after the commit. */
struct write_job {
    struct req_ref ref;
    uint64_t room;
    uint64_t seq;
    uint64_t user;
};

static struct write_job *write_job_new(const struct req *r, uint64_t room, uint64_t seq)
{
    struct write_job *job = malloc(sizeof(*job));
    if (job != NULL) {
        job->ref = r->ref;
        job->room = room;
        job->seq = seq;
        job->user = r->conn->session.user;
    }
    return job;
}

/* After queueing a store write: the reply comes later, or, when nothing was
 * queued, the job is released and the error answered now. */
static enum status queued_or_free(enum status st, void *job)
{
    if (st != STATUS_OK) {
        free(job);
        return st;
    }
    return STATUS_PENDING;
}

/* ---- checks -------------------------------------------------------------- */

/* A message body: 1-4000 bytes with something besides white space. */
static enum status read_body(struct req *r, const char **body, size_t *len)
{
    enum status st = req_str(r, "body", body, len);
    if (st != STATUS_OK) {
        return st;
    }
    if (*len > CHAT_BODY_MAX) {
        return req_fail(r, STATUS_TOO_LARGE, "`body` is longer than 4000 bytes");
    }
    if (text_is_blank(*body, *len)) {
        return req_fail(r, STATUS_BAD_REQUEST, "`body` is empty");
    }
    return STATUS_OK;
}

/* Finishes `w` and sends it as a room event (see cluster_room_event). */
static void room_event(uint64_t room, uint64_t seq, uint64_t after, uint64_t skip_user,
                       uint64_t removed_user, struct proto_writer *w)
{
    struct proto_buf *b = proto_writer_finish(w);
    if (b != NULL) {
        cluster_room_event(room, seq, after, skip_user, removed_user, b);
        proto_buf_unref(b);
    }
}

static void publish(uint64_t room, struct proto_writer *w, uint64_t skip_user)
{
    room_event(room, 0, 0, skip_user, 0, w);
}

/* An event about message `seq`: it never overtakes that message. */
static void deliver_after(uint64_t room, uint64_t seq, struct proto_writer *w)
{
    room_event(room, 0, seq, 0, 0, w);
}

static void send_to_user(uint64_t user, struct proto_writer *w)
{
    struct proto_buf *b = proto_writer_finish(w);
    if (b != NULL) {
        cluster_user_event(user, b);
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

/* ---- room_create ------------------------------------------------------------ */

static enum status read_members(struct req *r, uint64_t *members, size_t *n)
{
    enum status st = proto_get_uint_array(r->msg, "members", members, STORE_MEMBERS_MAX, n);
    if (st == STATUS_TOO_LARGE) {
        return req_fail(r, st, "at most 256 members");
    }
    if (st != STATUS_OK) {
        return req_fail(r, STATUS_BAD_REQUEST, "`members` must be an array of user ids");
    }
    /* Drop the creator and repeats; the store expects distinct others. */
    size_t kept = 0;
    for (size_t i = 0; i < *n; i++) {
        bool seen = members[i] == r->conn->session.user || members[i] == 0;
        for (size_t j = 0; j < kept && !seen; j++) {
            seen = members[j] == members[i];
        }
        if (!seen) {
            members[kept++] = members[i];
        }
    }
    *n = kept;
    return STATUS_OK;
}

static enum status read_title(struct req *r, const char *kind, const char **title)
{
    size_t len = 0;
    enum status st = proto_get_str(r->msg, "title", title, &len);
    if (strcmp(kind, "dm") == 0) {
        *title = "";
        return st == STATUS_BAD_REQUEST ? req_fail(r, st, "`title` must be a string") : STATUS_OK;
    }
    if (st != STATUS_OK || len > STORE_TITLE_MAX || strlen(*title) != len ||
        text_is_blank(*title, len)) {
        return req_fail(r, STATUS_BAD_REQUEST, "a group needs a visible `title` of 1-100 bytes");
    }
    return STATUS_OK;
}

static enum status handle_room_create(struct req *r)
{
    static uint64_t members[STORE_MEMBERS_MAX];
    const char *kind, *title;
    size_t kind_len, n = 0;

    enum status st = req_str(r, "kind", &kind, &kind_len);
    if (st != STATUS_OK) {
        return st;
    }
    if (strcmp(kind, "dm") != 0 && strcmp(kind, "group") != 0) {
        return req_fail(r, STATUS_BAD_REQUEST, "`kind` must be dm or group");
    }
    st = read_title(r, kind, &title);
    if (st == STATUS_OK) {
        st = read_members(r, members, &n);
    }
    if (st != STATUS_OK) {
        return st;
    }
    if (strcmp(kind, "dm") == 0 && n != 1) {
        return req_fail(r, STATUS_BAD_REQUEST, "a dm has exactly one other member");
    }

    struct store_room room;
    bool existed = false;
    st = store_room_create(app.store, kind, title, r->conn->session.user, members, n, &room,
                           &existed);
    if (st != STATUS_OK) {
        return req_fail(r, st, st == STATUS_NOT_FOUND ? "no such user" : "");
    }

    struct proto_writer w;
    reply_begin(&w, &r->ref, 1);
    proto_put_cstr(&w, "room");
    encode_room(&w, &room, 0);
    reply_send(&r->ref, &w);

    for (size_t i = 0; i < n && !existed; i++) {
        member_event(&w, room.id, members[i], "added");
        send_to_user(members[i], &w);
    }
    return STATUS_OK;
}

/* ---- rooms ----------------------------------------------------------------- */

struct summary_list {
    struct store_room_summary *items;
    struct msglist last;
    size_t count;
    size_t cap;
    bool failed;
};

static void collect_summary(void *ud, const struct store_room_summary *s)
{
    struct summary_list *l = ud;
    if (l->failed) {
        return;
    }
    if (l->count == l->cap) {
        size_t cap = l->cap == 0 ? 16 : l->cap * 2;
        struct store_room_summary *p = realloc(l->items, cap * sizeof(*p));
        if (p == NULL) {
            l->failed = true;
            return;
        }
        l->items = p;
        l->cap = cap;
    }
    l->items[l->count] = *s;
    /* The last message's strings are borrowed: keep a copy in `last`. */
    if (s->has_last) {
        msglist_add(&l->last, &s->last);
        l->items[l->count].last = l->last.items[l->last.count - 1];
    }
    l->count++;
}

static void encode_summary(struct proto_writer *w, const struct store_room_summary *s)
{
    bool dm = strcmp(s->room.kind, "dm") == 0;
    encode_room(w, &s->room, 2 + (s->has_last ? 1 : 0) + (dm ? 1 : 0));
    proto_kv_uint(w, "unread", s->unread);
    proto_kv_uint(w, "last_read", s->last_read);
    if (s->has_last) {
        proto_put_cstr(w, "last");
        encode_message(w, &s->last);
    }
    if (dm) {
        proto_put_cstr(w, "peer");
        encode_user(w, &s->peer, 1);
        proto_kv_bool(w, "online", presence_online(s->peer.id));
    }
}

static enum status handle_rooms(struct req *r)
{
    struct summary_list list = {0};
    enum status st = store_room_summaries(app.store, r->conn->session.user, collect_summary, &list);
    if (st == STATUS_OK && (list.failed || list.last.failed)) {
        st = STATUS_NOMEM;
    }
    if (st == STATUS_OK) {
        struct proto_writer w;
        reply_begin(&w, &r->ref, 1);
        proto_put_cstr(&w, "rooms");
        proto_put_array(&w, (uint32_t)list.count);
        for (size_t i = 0; i < list.count; i++) {
            encode_summary(&w, &list.items[i]);
        }
        reply_send(&r->ref, &w);
    }
    free(list.items);
    msglist_free(&list.last);
    return st;
}

/* ---- join, leave ----------------------------------------------------------- */

struct member_list {
    struct store_user users[STORE_MEMBERS_MAX + 1];
    uint64_t last_read[STORE_MEMBERS_MAX + 1];
    uint32_t count;
};

static void collect_member(void *ud, const struct store_user *u, uint64_t last_read)
{
    struct member_list *l = ud;
    if (l->count < STORE_MEMBERS_MAX + 1) {
        l->users[l->count] = *u;
        l->last_read[l->count] = last_read;
        l->count++;
    }
}

static void encode_members(struct proto_writer *w, const struct member_list *l)
{
    proto_put_array(w, l->count);
    for (uint32_t i = 0; i < l->count; i++) {
        encode_user(w, &l->users[i], 2);
        proto_kv_bool(w, "online", presence_online(l->users[i].id));
        proto_kv_uint(w, "last_read", l->last_read[i]);
    }
}

/*
 * Reads what the client missed. With `since`, every message after it, or
 * a gap when there are more than the replay cap or the database is not the
 * one the client saw (another epoch).
 */
static enum status read_missed(struct req *r, const struct store_room *room, struct msglist *l,
                               bool *gap)
{
    uint64_t since = 0;
    enum status st = proto_get_uint(r->msg, "since", &since);
    *gap = false;
    if (st == STATUS_NOT_FOUND) {
        return STATUS_OK;
    }
    if (st != STATUS_OK) {
        return req_fail(r, st, "`since` must be an unsigned integer");
    }

    const char *epoch = NULL;
    size_t epoch_len = 0;
    st = proto_get_str(r->msg, "epoch", &epoch, &epoch_len);
    if (st == STATUS_BAD_REQUEST) {
        return req_fail(r, st, "`epoch` must be a string");
    }
    if ((st == STATUS_OK && strcmp(epoch, store_epoch(app.store)) != 0) || since > room->last_seq) {
        *gap = true;
        return STATUS_OK;
    }
    st = store_since(app.store, room->id, since, CHAT_REPLAY_CAP, msglist_add, l, gap);
    return st == STATUS_OK && l->failed ? STATUS_NOMEM : st;
}

static enum status handle_join(struct req *r)
{
    static struct member_list members;
    struct store_room room;
    struct msglist missed = {0};
    uint64_t id = 0, last_read = 0;
    bool gap = false;

    enum status st = req_uint(r, "room", &id);
    if (st == STATUS_OK && !rooms_subscribed(r->conn, id) &&
        r->conn->room_count >= app.cfg->rooms_per_conn) {
        /* Leaving a room makes room again; nothing else will. */
        r->retry_ms = 60000;
        return req_fail(r, STATUS_RATE_LIMITED, "joined too many rooms; leave one first");
    }
    if (st == STATUS_OK) {
        st = access_check(r, id, ROOM_READ, &room, &last_read);
    }
    members.count = 0;
    if (st == STATUS_OK) {
        st = store_members(app.store, id, collect_member, &members);
    }
    if (st == STATUS_OK) {
        st = read_missed(r, &room, &missed, &gap);
    }
    /* Subscribing and reading happen in one loop turn: nothing committed
     * in between can slip past both the replay and the live events. */
    if (st == STATUS_OK) {
        st = rooms_subscribe(r->conn, id, room.last_seq);
    }
    if (st == STATUS_OK) {
        struct proto_writer w;
        reply_begin(&w, &r->ref, 5);
        proto_put_cstr(&w, "room");
        encode_room(&w, &room, 0);
        proto_put_cstr(&w, "members");
        encode_members(&w, &members);
        proto_put_cstr(&w, "messages");
        msglist_encode(&missed, &w);
        proto_kv_bool(&w, "gap", gap);
        proto_kv_uint(&w, "last_read", last_read);
        reply_send(&r->ref, &w);
    }
    msglist_free(&missed);
    return st;
}

static enum status handle_leave(struct req *r)
{
    uint64_t room = 0;
    enum status st = req_uint(r, "room", &room);
    if (st != STATUS_OK) {
        return st;
    }
    rooms_unsubscribe(r->conn, room);
    reply_empty(&r->ref);
    return STATUS_OK;
}

/* ---- send ------------------------------------------------------------------- */

static void send_stored(void *ud, enum status st, const struct store_message *m, bool duplicate)
{
    struct write_job *job = ud;
    if (st != STATUS_OK) {
        reply_fail(&job->ref, st, st == STATUS_NOT_FOUND ? "`reply_to` is not in this room" : "");
        free(job);
        return;
    }

    /* The sender hears first, then everyone joined to the room. */
    struct proto_writer w;
    reply_begin(&w, &job->ref, 2);
    proto_kv_uint(&w, "seq", m->seq);
    proto_kv_uint(&w, "ts", m->ts);
    reply_send(&job->ref, &w);

    if (!duplicate) {
        struct proto_buf *b = encode_message_event(m);
        if (b != NULL) {
            cluster_room_event(m->room, m->seq, 0, 0, 0, b);
            proto_buf_unref(b);
        }
    }
    free(job);
}

static enum status handle_send(struct req *r)
{
    struct store_room room;
    const char *body, *client_id;
    size_t body_len, client_id_len;
    uint64_t id = 0, reply_to = 0;

    enum status st = req_uint(r, "room", &id);
    if (st == STATUS_OK) {
        st = read_body(r, &body, &body_len);
    }
    if (st == STATUS_OK) {
        st = req_str(r, "client_id", &client_id, &client_id_len);
    }
    if (st == STATUS_OK && (client_id_len == 0 || client_id_len > CHAT_CLIENT_ID_MAX)) {
        st = req_fail(r, STATUS_BAD_REQUEST, "`client_id` must be 1-64 bytes");
    }
    if (st == STATUS_OK) {
        st = req_opt_uint(r, "reply_to", 0, &reply_to);
    }
    /* 0 is never a seq: an explicit reply to it points at nothing. */
    if (st == STATUS_OK && reply_to == 0 && proto_get_uint(r->msg, "reply_to", &reply_to) == 0) {
        st = req_fail(r, STATUS_NOT_FOUND, "`reply_to` is not in this room");
    }
    if (st == STATUS_OK) {
        st = access_check(r, id, ROOM_WRITE, &room, NULL);
    }
    if (st != STATUS_OK) {
        return st;
    }

    struct write_job *job = write_job_new(r, id, 0);
    if (job == NULL) {
        return STATUS_NOMEM;
    }
    st = store_append(app.store, id, r->conn->session.user, "text", body, body_len, client_id,
                      client_id_len, reply_to, send_stored, job);
    return queued_or_free(st, job);
}

/* ---- history ------------------------------------------------------------------ */

static enum status handle_history(struct req *r)
{
    struct store_room room;
    struct msglist list = {0};
    uint64_t id = 0, before = 0, limit = 0;
    bool more = false;

    enum status st = req_uint(r, "room", &id);
    if (st == STATUS_OK) {
        st = req_opt_uint(r, "before", STORE_NEWEST, &before);
    }
    if (st == STATUS_OK) {
        st = req_opt_uint(r, "limit", CHAT_HISTORY_DEFAULT, &limit);
    }
    if (st == STATUS_OK && (limit < 1 || limit > CHAT_HISTORY_MAX)) {
        st = req_fail(r, STATUS_BAD_REQUEST, "`limit` must be 1-100");
    }
    if (st == STATUS_OK) {
        st = access_check(r, id, ROOM_READ, &room, NULL);
    }
    if (st == STATUS_OK) {
        st = store_history(app.store, id, before, (unsigned)limit, msglist_add, &list, &more);
    }
    if (st == STATUS_OK && list.failed) {
        st = STATUS_NOMEM;
    }
    if (st == STATUS_OK) {
        struct proto_writer w;
        reply_begin(&w, &r->ref, 2);
        proto_put_cstr(&w, "messages");
        msglist_encode(&list, &w);
        proto_kv_bool(&w, "more", more);
        reply_send(&r->ref, &w);
    }
    msglist_free(&list);
    return st;
}

/* ---- read, typing ---------------------------------------------------------- */

static void read_stored(void *ud, enum status st, uint64_t seq, bool moved)
{
    struct write_job *job = ud;
    if (st != STATUS_OK) {
        reply_fail(&job->ref, st, NULL);
        free(job);
        return;
    }
    struct proto_writer w;
    reply_begin(&w, &job->ref, 1);
    proto_kv_uint(&w, "seq", seq);
    reply_send(&job->ref, &w);

    if (moved) {
        event_begin(&w, "read", 3);
        proto_kv_uint(&w, "room", job->room);
        proto_kv_uint(&w, "user", job->user);
        proto_kv_uint(&w, "seq", seq);
        publish(job->room, &w, 0);
    }
    free(job);
}

/* Reads the `room` and `seq` fields and checks the caller may use the room
 * so. */
static enum status read_room_seq(struct req *r, enum room_use use, uint64_t *room, uint64_t *seq)
{
    struct store_room info;
    enum status st = req_uint(r, "room", room);
    if (st == STATUS_OK) {
        st = req_uint(r, "seq", seq);
    }
    if (st == STATUS_OK) {
        st = access_check(r, *room, use, &info, NULL);
    }
    return st;
}

static enum status handle_read(struct req *r)
{
    uint64_t room = 0, seq = 0;
    enum status st = read_room_seq(r, ROOM_WRITE, &room, &seq);
    if (st != STATUS_OK) {
        return st;
    }
    struct write_job *job = write_job_new(r, room, seq);
    if (job == NULL) {
        return STATUS_NOMEM;
    }
    st = store_read(app.store, room, r->conn->session.user, seq, read_stored, job);
    return queued_or_free(st, job);
}

static enum status handle_typing(struct req *r)
{
    struct store_room room;
    uint64_t id = 0;
    enum status st = req_uint(r, "room", &id);
    if (st == STATUS_OK) {
        st = access_check(r, id, ROOM_WRITE, &room, NULL);
    }
    if (st != STATUS_OK) {
        return st;
    }

    struct proto_writer w;
    event_begin(&w, "typing", 2);
    proto_kv_uint(&w, "room", id);
    proto_kv_uint(&w, "user", r->conn->session.user);
    publish(id, &w, r->conn->session.user);
    reply_empty(&r->ref);
    return STATUS_OK;
}

/* ---- edit, delete ------------------------------------------------------------ */

struct edit_job {
    struct write_job base;
    size_t body_len;
    char body[];
};

static void edit_stored(void *ud, enum status st, uint64_t edited_ts)
{
    struct edit_job *job = ud;
    if (st != STATUS_OK) {
        const char *why = st == STATUS_CONFLICT    ? "the message was deleted"
                          : st == STATUS_FORBIDDEN ? "only the author may edit"
                                                   : NULL;
        reply_fail(&job->base.ref, st, why);
        free(job);
        return;
    }
    struct proto_writer w;
    reply_begin(&w, &job->base.ref, 1);
    proto_kv_uint(&w, "edited_ts", edited_ts);
    reply_send(&job->base.ref, &w);

    event_begin(&w, "edit", 4);
    proto_kv_uint(&w, "room", job->base.room);
    proto_kv_uint(&w, "seq", job->base.seq);
    proto_kv_str(&w, "body", job->body, job->body_len);
    proto_kv_uint(&w, "edited_ts", edited_ts);
    deliver_after(job->base.room, job->base.seq, &w);
    free(job);
}

static enum status handle_edit(struct req *r)
{
    uint64_t room = 0, seq = 0;
    const char *body;
    size_t len;

    enum status st = read_room_seq(r, ROOM_WRITE, &room, &seq);
    if (st == STATUS_OK) {
        st = read_body(r, &body, &len);
    }
    if (st != STATUS_OK) {
        return st;
    }
    struct edit_job *job = malloc(sizeof(*job) + len + 1);
    if (job == NULL) {
        return STATUS_NOMEM;
    }
    job->base = (struct write_job){r->ref, room, seq, r->conn->session.user};
    job->body_len = len;
    memcpy(job->body, body, len + 1);
    st = store_edit(app.store, room, seq, job->base.user, body, len, edit_stored, job);
    return queued_or_free(st, job);
}

static void delete_stored(void *ud, enum status st, bool changed)
{
    struct write_job *job = ud;
    if (st != STATUS_OK) {
        reply_fail(&job->ref, st,
                   st == STATUS_FORBIDDEN ? "only the author or staff may delete; system lines stay"
                                          : NULL);
        free(job);
        return;
    }
    reply_empty(&job->ref);
    if (changed) {
        struct proto_writer w;
        event_begin(&w, "delete", 2);
        proto_kv_uint(&w, "room", job->room);
        proto_kv_uint(&w, "seq", job->seq);
        deliver_after(job->room, job->seq, &w);
    }
    free(job);
}

static enum status handle_delete(struct req *r)
{
    /* Staff may delete in any room they may read: moderation goes on in a
     * room closed to writing. */
    bool staff = session_is_staff(&r->conn->session);
    uint64_t room = 0, seq = 0;
    enum status st = read_room_seq(r, staff ? ROOM_READ : ROOM_WRITE, &room, &seq);
    if (st != STATUS_OK) {
        return st;
    }
    struct write_job *job = write_job_new(r, room, seq);
    if (job == NULL) {
        return STATUS_NOMEM;
    }
    st = store_delete(app.store, room, seq, job->user, staff, delete_stored, job);
    return queued_or_free(st, job);
}

/* ---- member_add, member_remove ------------------------------------------------ */

/* Reads `room` and `user` for a membership change in a group the caller may
 * manage: its creator or staff, or anyone removing themselves. */
static enum status read_member_change(struct req *r, struct store_room *room, uint64_t *user,
                                      bool self_allowed)
{
    const struct session *s = &r->conn->session;
    uint64_t id = 0;
    enum status st = req_uint(r, "room", &id);
    if (st == STATUS_OK) {
        st = req_uint(r, "user", user);
    }
    /* Staff manage any group, whether or not they belong to it. */
    if (st == STATUS_OK && session_is_staff(s)) {
        st = store_room_get(app.store, id, room);
        if (st == STATUS_NOT_FOUND) {
            return req_fail(r, st, "no such room");
        }
    } else if (st == STATUS_OK) {
        /* Reading is enough to be told the room is not a group. */
        st = access_check(r, id, ROOM_READ, room, NULL);
    }
    if (st != STATUS_OK) {
        return st;
    }
    if (strcmp(room->kind, "group") != 0) {
        return req_fail(r, STATUS_FORBIDDEN, "members change only in groups");
    }
    bool self = self_allowed && *user == s->user;
    if (!self && room->creator != s->user && !session_is_staff(s)) {
        return req_fail(r, STATUS_FORBIDDEN, "only the group's creator may change members");
    }
    return STATUS_OK;
}

static void count_member(void *ud, const struct store_user *u, uint64_t last_read)
{
    (*(size_t *)ud)++;
}

/* Members of `room`, the creator included. */
static size_t count_members(uint64_t room)
{
    size_t n = 0;
    store_members(app.store, room, count_member, &n);
    return n;
}

static enum status handle_member_add(struct req *r)
{
    struct store_room room;
    struct store_user user;
    uint64_t user_id = 0;

    enum status st = read_member_change(r, &room, &user_id, false);
    if (st == STATUS_OK && count_members(room.id) > STORE_MEMBERS_MAX) {
        st = req_fail(r, STATUS_TOO_LARGE, "a group has at most 257 members");
    }
    if (st == STATUS_OK && store_user_get(app.store, user_id, &user) != STATUS_OK) {
        st = req_fail(r, STATUS_NOT_FOUND, "no such user");
    }
    if (st == STATUS_OK) {
        st = store_member_add(app.store, room.id, user_id);
    }
    if (st != STATUS_OK) {
        return st == STATUS_CONFLICT ? req_fail(r, st, "already a member") : st;
    }
    reply_empty(&r->ref);

    struct proto_writer w;
    member_event(&w, room.id, user_id, "added");
    publish(room.id, &w, 0);
    member_event(&w, room.id, user_id, "added");
    send_to_user(user_id, &w);
    return STATUS_OK;
}

static enum status handle_member_remove(struct req *r)
{
    struct store_room room;
    uint64_t user_id = 0;

    enum status st = read_member_change(r, &room, &user_id, true);
    if (st == STATUS_OK) {
        st = store_member_remove(app.store, room.id, user_id);
    }
    if (st != STATUS_OK) {
        return st == STATUS_CONFLICT ? req_fail(r, st, "not a member") : st;
    }

    /* The removed user's connections leave the room, on every process,
     * before anything else is published to it.
     * LIMITATION: "before" holds for what this process publishes. Another
     * process that stores a message in the instant after this removal
     * delivers it to its own connections of the removed user before the
     * removal reaches it over Redis. Making the removal an entry in the
     * room's seq order, which every process's order gate respects, would
     * close that window. */
    struct proto_writer w;
    member_event(&w, room.id, user_id, "removed");
    room_event(room.id, 0, 0, 0, user_id, &w);
    reply_empty(&r->ref);
    member_event(&w, room.id, user_id, "removed");
    send_to_user(user_id, &w);
    return STATUS_OK;
}

static const struct request_def requests[] = {
    {"room_create", true, ROLE_ANY, handle_room_create, REQ_WRITE},
    {"rooms", true, ROLE_ANY, handle_rooms, 0},
    {"join", true, ROLE_ANY, handle_join, 0},
    {"leave", true, ROLE_ANY, handle_leave, 0},
    {"send", true, ROLE_ANY, handle_send, REQ_WRITE},
    {"history", true, ROLE_ANY, handle_history, 0},
    {"read", true, ROLE_ANY, handle_read, 0},
    {"typing", true, ROLE_ANY, handle_typing, REQ_WRITE},
    {"edit", true, ROLE_ANY, handle_edit, REQ_WRITE},
    {"delete", true, ROLE_ANY, handle_delete, REQ_WRITE},
    {"member_add", true, ROLE_ANY, handle_member_add, REQ_WRITE},
    {"member_remove", true, ROLE_ANY, handle_member_remove, REQ_WRITE},
};

void chat_init(void)
{
    dispatch_register(requests, sizeof(requests) / sizeof(requests[0]));
}
