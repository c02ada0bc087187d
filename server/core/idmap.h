/*
 * A hash map from a non-zero 64-bit id to a pointer: connections by id,
 * room subscriptions by room id, online users by user id. Open addressing
 * with linear probing and backward-shift deletion, so there are no
 * tombstones and lookups stay short however much churn there is.
 * Not thread-safe; the loop thread owns every map.
 */
#ifndef KOLAB_IDMAP_H
#define KOLAB_IDMAP_H

#include <stddef.h>
#include <stdint.h>

#include "status.h"

struct idmap_slot {
    uint64_t key;
    void *value;
};

struct idmap {
    struct idmap_slot *slots;
    size_t cap;
    size_t count;
};

/* An empty map needs no allocation: zero it or use IDMAP_INIT. */
#define IDMAP_INIT                                                                                 \
    {                                                                                              \
        NULL, 0, 0                                                                                 \
    }

/* The value stored under `key`, or NULL. */
void *idmap_get(const struct idmap *m, uint64_t key);

/* Stores `value` (not NULL) under `key` (not 0), replacing any earlier one.
 * STATUS_NOMEM when the map cannot grow; the map is unchanged then. */
enum status idmap_put(struct idmap *m, uint64_t key, void *value);

/* Removes `key` and returns what it held, or NULL. */
void *idmap_remove(struct idmap *m, uint64_t key);

/* Frees the slots (not the values). */
void idmap_free(struct idmap *m);

/*
 * Iteration: `for (size_t i = 0; idmap_next(m, &i, &key, &value);)`.
 * The map must not change during the walk.
 */
int idmap_next(const struct idmap *m, size_t *pos, uint64_t *key, void **value);

#endif
