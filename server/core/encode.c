#include "encode.h"

#include "app.h"

void encode_user(struct proto_writer *w, const struct store_user *u, uint32_t extra)
{
    proto_put_map(w, 4 + extra);
    proto_kv_uint(w, "id", u->id);
    proto_kv_cstr(w, "username", u->username);
    proto_kv_cstr(w, "name", u->name);
    proto_kv_cstr(w, "role", u->role);
}

void encode_room(struct proto_writer *w, const struct store_room *r, uint32_t extra)
{
    proto_put_map(w, 5 + extra);
    proto_kv_uint(w, "id", r->id);
    proto_kv_cstr(w, "kind", r->kind);
    proto_kv_cstr(w, "title", r->title);
    proto_kv_uint(w, "last_seq", r->last_seq);
    proto_kv_cstr(w, "epoch", store_epoch(app.store));
}

static uint32_t message_fields(const struct store_message *m)
{
    uint32_t n = 7;
    n += m->reply_to != 0;
    n += m->edited_ts != 0;
    n += m->deleted;
    return n;
}

static void encode_message_pairs(struct proto_writer *w, const struct store_message *m)
{
    proto_kv_uint(w, "room", m->room);
    proto_kv_uint(w, "seq", m->seq);
    proto_kv_uint(w, "from", m->from);
    proto_kv_uint(w, "ts", m->ts);
    proto_kv_cstr(w, "kind", m->kind);
    proto_kv_str(w, "body", m->body, m->body_len);
    proto_kv_str(w, "client_id", m->client_id, m->client_id_len);
    if (m->reply_to != 0) {
        proto_kv_uint(w, "reply_to", m->reply_to);
    }
    if (m->edited_ts != 0) {
        proto_kv_uint(w, "edited_ts", m->edited_ts);
    }
    if (m->deleted) {
        proto_kv_bool(w, "deleted", true);
    }
}

void encode_message(struct proto_writer *w, const struct store_message *m)
{
    proto_put_map(w, message_fields(m));
    encode_message_pairs(w, m);
}

struct proto_buf *encode_message_event(const struct store_message *m)
{
    struct proto_writer w;
    proto_writer_init(&w, 64 * 1024);
    proto_put_map(&w, message_fields(m) + 1);
    proto_kv_cstr(&w, "type", "message");
    encode_message_pairs(&w, m);
    return proto_writer_finish(&w);
}
