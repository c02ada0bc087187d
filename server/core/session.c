#include "session.h"

#include <stdio.h>
#include <string.h>

#include "app.h"
#include "auth.h"
#include "cluster.h"
#include "conn.h"
#include "dispatch.h"
#include "encode.h"
#include "log.h"
#include "presence.h"
#include "rooms.h"

/* Presence goes to at most this many of a user's rooms. */
#define SESSION_PRESENCE_ROOMS 4096

static const struct {
    const char *name;
    unsigned bit;
} roles[] = {
    {"umkm", ROLE_UMKM},       {"koperasi", ROLE_KOPERASI},   {"mentor", ROLE_MENTOR},
    {"student", ROLE_STUDENT}, {"moderator", ROLE_MODERATOR}, {"admin", ROLE_ADMIN},
};

unsigned session_role_bit(const char *role)
{
    for (size_t i = 0; i < sizeof(roles) / sizeof(roles[0]); i++) {
        if (strcmp(role, roles[i].name) == 0) {
            return roles[i].bit;
        }
    }
    return 0;
}

bool session_is_staff(const struct session *s)
{
    return (s->role & (ROLE_MODERATOR | ROLE_ADMIN)) != 0;
}

static session_presence_fn presence_listener;

void session_on_presence(session_presence_fn fn)
{
    presence_listener = fn;
}

/* Tells this process's connections in every room of `user` that they came
 * or went. Each process does so for its own connections, from its own view
 * of who is online anywhere (presence.c), so nothing crosses the bus here. */
static void announce_presence(uint64_t user, bool online)
{
    static uint64_t room_ids[SESSION_PRESENCE_ROOMS];
    size_t n = 0;
    if (store_user_rooms(app.store, user, room_ids, SESSION_PRESENCE_ROOMS, &n) != STATUS_OK) {
        return;
    }
    for (size_t i = 0; i < n; i++) {
        struct proto_writer w;
        event_begin(&w, "presence", 3);
        proto_kv_uint(&w, "room", room_ids[i]);
        proto_kv_uint(&w, "user", user);
        proto_kv_bool(&w, "online", online);
        struct proto_buf *b = proto_writer_finish(&w);
        if (b != NULL) {
            rooms_publish(room_ids[i], b, 0);
            proto_buf_unref(b);
        }
    }
}

void session_attach(struct conn *c, const struct store_user *user, const uint8_t *token_hash,
                    uint64_t expires_ms)
{
    session_detach(c);

    struct session *s = &c->session;
    s->user = user->id;
    s->role = session_role_bit(user->role);
    s->has_token = token_hash != NULL;
    if (token_hash != NULL) {
        memcpy(s->token_hash, token_hash, sizeof(s->token_hash));
    }
    s->expires_ms = expires_ms;

    bool first = false;
    if (presence_add(c, &first) != STATUS_OK) {
        conn_close(c, CONN_CLOSE_TRY_LATER, "out of memory", false);
        return;
    }
    log_info("session", "authenticated", "conn=%llu user=%llu", (unsigned long long)c->id,
             (unsigned long long)s->user);
    if (first) {
        announce_presence(s->user, true);
        if (presence_listener != NULL) {
            presence_listener(s->user, true);
        }
    }
}

void session_detach(struct conn *c)
{
    rooms_unsubscribe_all(c);
    if (c->session.user == 0) {
        return;
    }
    bool last = false;
    presence_remove(c, &last);
    uint64_t user = c->session.user;
    memset(&c->session, 0, sizeof(c->session));
    if (last) {
        announce_presence(user, false);
        if (presence_listener != NULL) {
            presence_listener(user, false);
        }
    }
}

/* Sends `hello`, naming `user` when the handshake authenticated one (NULL
 * otherwise). */
static void send_hello(struct conn *c, const struct store_user *user)
{
    struct proto_writer w;
    char server[32];
    snprintf(server, sizeof(server), "kolabd/%s", KOLAB_VERSION);

    event_begin(&w, "hello", 4);
    proto_kv_uint(&w, "protocol", 1);
    proto_kv_cstr(&w, "server", server);
    proto_kv_cstr(&w, "node", app.node);
    proto_put_cstr(&w, "user");
    if (user != NULL && c->session.user == user->id) {
        encode_user(&w, user, 0);
    } else {
        proto_put_nil(&w);
    }
    struct proto_buf *b = proto_writer_finish(&w);
    if (b != NULL) {
        conn_send(c, b);
        proto_buf_unref(b);
    }
}

/* Authenticates by a cookie's token, filling *user; false leaves the
 * connection anonymous. */
static bool auth_by_cookie(struct conn *c, const char *token_hex, struct store_user *user)
{
    uint8_t hash[32];
    uint64_t user_id = 0;
    uint64_t expires = 0;

    if (auth_token_hash(token_hex, strlen(token_hex), hash) != STATUS_OK ||
        store_token_lookup(app.store, hash, conn_now_ms(), &user_id, &expires) != STATUS_OK ||
        store_user_get(app.store, user_id, user) != STATUS_OK) {
        return false;
    }
    session_attach(c, user, hash, expires);
    return true;
}

void session_open(struct conn *c, const char *token_hex)
{
    struct store_user user;
    bool known = token_hex != NULL && auth_by_cookie(c, token_hex, &user);
    send_hello(c, known ? &user : NULL);
}

void session_close(struct conn *c)
{
    session_detach(c);
}

void session_end_token(const uint8_t token_hash[32], struct conn *except, int code)
{
    struct conn *c = NULL;
    for (size_t pos = 0; (c = conn_next(&pos)) != NULL;) {
        if (c != except && c->session.has_token &&
            memcmp(c->session.token_hash, token_hash, 32) == 0) {
            conn_close(c, code, "session ended", true);
        }
    }
}

static uv_timer_t expiry_timer;

static void close_expired(uv_timer_t *timer)
{
    uint64_t now = conn_now_ms();
    struct conn *c = NULL;
    for (size_t pos = 0; (c = conn_next(&pos)) != NULL;) {
        if (c->session.user != 0 && c->session.expires_ms != 0 && now >= c->session.expires_ms) {
            log_info("session", "session expired", "conn=%llu user=%llu", (unsigned long long)c->id,
                     (unsigned long long)c->session.user);
            conn_close(c, CONN_CLOSE_SESSION_ENDED, "session expired", true);
        }
    }
}

void session_start(void)
{
    presence_set_listener(announce_presence);
    uv_timer_init(app.loop, &expiry_timer);
    uv_timer_start(&expiry_timer, close_expired, SESSION_EXPIRY_CHECK_MS, SESSION_EXPIRY_CHECK_MS);
}

void session_stop(void)
{
    uv_timer_stop(&expiry_timer);
    uv_close((uv_handle_t *)&expiry_timer, NULL);
}
