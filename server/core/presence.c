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

enum status presence_add(struct conn *c, bool *first)
{
    uint64_t user = c->session.user;
    struct user_conns *u = idmap_get(&users, user);
    *first = u == NULL;
    if (u == NULL) {
        u = calloc(1, sizeof(*u));
        if (u == NULL || idmap_put(&users, user, u) != STATUS_OK) {
            free(u);
            return STATUS_NOMEM;
        }
        cluster_watch_user(user, true);
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
        idmap_remove(&users, c->session.user);
        free(u->conns);
        free(u);
        *last = true;
    }
}

bool presence_online(uint64_t user)
{
    return idmap_get(&users, user) != NULL;
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
