#include "presence.h"

#include <stdlib.h>

#include "cluster.h"
#include "conn.h"
#include "idmap.h"

struct user_conns {
    struct conn **conns;
    uint32_t count;
    uint32_t cap;
};

static struct idmap users = IDMAP_INIT;

/* The processes that last reported a user online, and when. */
struct remote_entry {
    uint64_t node;
    uint64_t seen_ms;
};

struct remote_user {
    struct remote_entry *entries;
    uint32_t count;
    uint32_t cap;
};

static struct idmap remote_users = IDMAP_INIT;
static presence_change_fn listener;

void presence_set_listener(presence_change_fn fn)
{
    listener = fn;
}

bool presence_online(uint64_t user)
{
    return idmap_get(&users, user) != NULL || idmap_get(&remote_users, user) != NULL;
}

enum status presence_add(struct conn *c, bool *first)
{
    uint64_t user = c->session.user;
    struct user_conns *u = idmap_get(&users, user);
    *first = !presence_online(user);
    if (u == NULL) {
        u = calloc(1, sizeof(*u));
        if (u == NULL || idmap_put(&users, user, u) != STATUS_OK) {
            free(u);
            return STATUS_NOMEM;
        }
        cluster_watch_user(user, true);
        cluster_presence(user, true);
    }
    if (u->count == u->cap) {
        uint32_t cap = u->cap == 0 ? 2 : u->cap * 2;
        struct conn **p = realloc(u->conns, sizeof(*p) * cap);
        if (p == NULL) {
            return STATUS_NOMEM;
        }
        u->conns = p;
        u->cap = cap;
    }
    u->conns[u->count++] = c;
    return STATUS_OK;
}

void presence_remove(struct conn *c, bool *last)
{
    *last = false;
    struct user_conns *u = idmap_get(&users, c->session.user);
    if (u == NULL) {
        return;
    }
    for (uint32_t i = 0; i < u->count; i++) {
        if (u->conns[i] == c) {
            u->conns[i] = u->conns[--u->count];
            break;
        }
    }
    if (u->count == 0) {
        cluster_watch_user(c->session.user, false);
        cluster_presence(c->session.user, false);
        idmap_remove(&users, c->session.user);
        free(u->conns);
        free(u);
        *last = !presence_online(c->session.user);
    }
}

static void remote_drop(uint64_t user, struct remote_user *r, uint32_t i)
{
    r->entries[i] = r->entries[--r->count];
    if (r->count == 0) {
        idmap_remove(&remote_users, user);
        free(r->entries);
        free(r);
    }
}

static void remote_set(uint64_t node, uint64_t user, uint64_t now_ms)
{
    struct remote_user *r = idmap_get(&remote_users, user);
    if (r == NULL) {
        r = calloc(1, sizeof(*r));
        if (r == NULL || idmap_put(&remote_users, user, r) != STATUS_OK) {
            free(r);
            return;
        }
    }
    for (uint32_t i = 0; i < r->count; i++) {
        if (r->entries[i].node == node) {
            r->entries[i].seen_ms = now_ms;
            return;
        }
    }
    if (r->count == r->cap) {
        uint32_t cap = r->cap == 0 ? 2 : r->cap * 2;
        struct remote_entry *p = realloc(r->entries, cap * sizeof(*p));
        if (p == NULL) {
            return;
        }
        r->entries = p;
        r->cap = cap;
    }
    r->entries[r->count++] = (struct remote_entry){node, now_ms};
}

static void remote_clear(uint64_t node, uint64_t user)
{
    struct remote_user *r = idmap_get(&remote_users, user);
    for (uint32_t i = 0; r != NULL && i < r->count; i++) {
        if (r->entries[i].node == node) {
            remote_drop(user, r, i);
            return;
        }
    }
}

void presence_remote(uint64_t node, uint64_t user, bool online, uint64_t now_ms)
{
    bool was = presence_online(user);
    if (online) {
        remote_set(node, user, now_ms);
    } else {
        remote_clear(node, user);
    }
    if (presence_online(user) != was && listener != NULL) {
        listener(user, !was);
    }
}

void presence_expire(uint64_t now_ms)
{
    uint64_t key = 0;
    void *value = NULL;
    /* Collect first: dropping entries changes the map being walked. */
    uint64_t stale[256];
    size_t n = 0;
    for (size_t pos = 0; n < 256 && idmap_next(&remote_users, &pos, &key, &value);) {
        struct remote_user *r = value;
        for (uint32_t i = 0; i < r->count; i++) {
            if (now_ms - r->entries[i].seen_ms > PRESENCE_REMOTE_TTL_MS) {
                stale[n++] = key;
                break;
            }
        }
    }
    for (size_t k = 0; k < n; k++) {
        bool was = presence_online(stale[k]);
        struct remote_user *r = idmap_get(&remote_users, stale[k]);
        for (uint32_t i = r->count; i > 0; i--) {
            if (now_ms - r->entries[i - 1].seen_ms > PRESENCE_REMOTE_TTL_MS) {
                remote_drop(stale[k], r, i - 1);
                if (idmap_get(&remote_users, stale[k]) == NULL) {
                    break;
                }
            }
        }
        if (presence_online(stale[k]) != was && listener != NULL) {
            listener(stale[k], false);
        }
    }
}

void presence_each_local(void (*fn)(uint64_t user, void *ud), void *ud)
{
    uint64_t key = 0;
    void *value = NULL;
    for (size_t pos = 0; idmap_next(&users, &pos, &key, &value);) {
        fn(key, ud);
    }
}

void presence_send_user(uint64_t user, struct proto_buf *b)
{
    struct user_conns *u = idmap_get(&users, user);
    for (uint32_t i = 0; u != NULL && i < u->count; i++) {
        conn_send(u->conns[i], b);
    }
}

void presence_each_conn(uint64_t user, void (*fn)(struct conn *c, void *ud), void *ud)
{
    struct user_conns *u = idmap_get(&users, user);
    for (uint32_t i = 0; u != NULL && i < u->count; i++) {
        fn(u->conns[i], ud);
    }
}
