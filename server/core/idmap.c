#include "idmap.h"

#include <stdlib.h>

#define IDMAP_MIN_CAP 16

/* A 64-bit mixer (from the splitmix family) so that sequential ids spread. */
static size_t slot_of(uint64_t key, size_t cap)
{
    key ^= key >> 33;
    key *= 0xff51afd7ed558ccdULL;
    key ^= key >> 33;
    return (size_t)key & (cap - 1);
}

void *idmap_get(const struct idmap *m, uint64_t key)
{
    if (m->cap == 0) {
        return NULL;
    }
    for (size_t i = slot_of(key, m->cap);; i = (i + 1) & (m->cap - 1)) {
        if (m->slots[i].key == key) {
            return m->slots[i].value;
        }
        if (m->slots[i].key == 0) {
            return NULL;
        }
    }
}

static void insert_slot(struct idmap_slot *slots, size_t cap, uint64_t key, void *value)
{
    size_t i = slot_of(key, cap);
    while (slots[i].key != 0 && slots[i].key != key) {
        i = (i + 1) & (cap - 1);
    }
    slots[i].key = key;
    slots[i].value = value;
}

static enum status grow(struct idmap *m)
{
    size_t cap = m->cap == 0 ? IDMAP_MIN_CAP : m->cap * 2;
    struct idmap_slot *slots = calloc(cap, sizeof(*slots));
    if (slots == NULL) {
        return STATUS_NOMEM;
    }
    for (size_t i = 0; i < m->cap; i++) {
        if (m->slots[i].key != 0) {
            insert_slot(slots, cap, m->slots[i].key, m->slots[i].value);
        }
    }
    free(m->slots);
    m->slots = slots;
    m->cap = cap;
    return STATUS_OK;
}

enum status idmap_put(struct idmap *m, uint64_t key, void *value)
{
    /* Keep the load under 3/4 so probe runs stay short. */
    if ((m->count + 1) * 4 > m->cap * 3) {
        enum status st = grow(m);
        if (st != STATUS_OK) {
            return st;
        }
    }
    if (idmap_get(m, key) == NULL) {
        m->count++;
    }
    insert_slot(m->slots, m->cap, key, value);
    return STATUS_OK;
}

void *idmap_remove(struct idmap *m, uint64_t key)
{
    if (m->cap == 0) {
        return NULL;
    }
    size_t mask = m->cap - 1;
    size_t i = slot_of(key, m->cap);
    while (m->slots[i].key != key) {
        if (m->slots[i].key == 0) {
            return NULL;
        }
        i = (i + 1) & mask;
    }
    void *value = m->slots[i].value;

    /* Shift later members of the probe run back so no lookup stops early. */
    size_t hole = i;
    for (size_t j = (i + 1) & mask; m->slots[j].key != 0; j = (j + 1) & mask) {
        size_t home = slot_of(m->slots[j].key, m->cap);
        if (((j - home) & mask) >= ((j - hole) & mask)) {
            m->slots[hole] = m->slots[j];
            hole = j;
        }
    }
    m->slots[hole].key = 0;
    m->slots[hole].value = NULL;
    m->count--;
    return value;
}

void idmap_free(struct idmap *m)
{
    free(m->slots);
    m->slots = NULL;
    m->cap = 0;
    m->count = 0;
}

int idmap_next(const struct idmap *m, size_t *pos, uint64_t *key, void **value)
{
    for (; *pos < m->cap; (*pos)++) {
        if (m->slots[*pos].key != 0) {
            *key = m->slots[*pos].key;
            *value = m->slots[*pos].value;
            (*pos)++;
            return 1;
        }
    }
    return 0;
}
