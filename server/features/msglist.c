#include "msglist.h"

#include <stdlib.h>
#include <string.h>

#include "encode.h"

/* Copies a string into `dst` and returns the byte after it. */
static char *copy_bytes(char *dst, const char *src, size_t len)
{
    memcpy(dst, src, len);
    dst[len] = '\0';
    return dst + len + 1;
}

void msglist_add(void *ud, const struct store_message *m)
{
    struct msglist *l = ud;
    if (l->failed) {
        return;
    }
    if (l->count == l->cap) {
        size_t cap = l->cap == 0 ? 32 : l->cap * 2;
        struct store_message *p = realloc(l->items, cap * sizeof(*p));
        if (p == NULL) {
            l->failed = true;
            return;
        }
        l->items = p;
        l->cap = cap;
    }

    /* One allocation holds the three strings of a message. */
    size_t kind_len = strlen(m->kind);
    char *text = malloc(kind_len + m->body_len + m->client_id_len + 3);
    if (text == NULL) {
        l->failed = true;
        return;
    }
    struct store_message *copy = &l->items[l->count++];
    *copy = *m;
    copy->kind = text;
    char *next = copy_bytes(text, m->kind, kind_len);
    copy->body = next;
    next = copy_bytes(next, m->body, m->body_len);
    copy->client_id = next;
    copy_bytes(next, m->client_id, m->client_id_len);
}

void msglist_encode(const struct msglist *l, struct proto_writer *w)
{
    proto_put_array(w, (uint32_t)l->count);
    for (size_t i = 0; i < l->count; i++) {
        encode_message(w, &l->items[i]);
    }
}

void msglist_free(struct msglist *l)
{
    for (size_t i = 0; i < l->count; i++) {
        free((char *)l->items[i].kind);
    }
    free(l->items);
    memset(l, 0, sizeof(*l));
}
