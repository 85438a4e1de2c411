/*
 * rtr_map.h - a string-keyed hash map with chained buckets, used for the route table's
 * host index and its backend index. Lookups are O(1) on average in the number of keys;
 * the table doubles when the load passes 1. The hash is seeded per process so a
 * registrant cannot aim collisions at one bucket.
 */
#ifndef HEARTH_RTR_MAP_H
#define HEARTH_RTR_MAP_H

#include "hc_base.h"
#include "hc_buf.h"

typedef struct rtr_map_entry_s {
    struct rtr_map_entry_s *next;
    uint64_t hash;
    size_t key_len;
    void *value;
    char key[]; /* NUL-terminated copy */
} rtr_map_entry_t;

typedef struct rtr_map_s {
    rtr_map_entry_t **buckets;
    size_t nbuckets; /* power of two */
    size_t count;
    uint64_t seed;
} rtr_map_t;

void rtr_map_init(rtr_map_t *m);
/* Frees the entries (not the values: the owner frees those first, e.g. with rtr_map_each). */
void rtr_map_release(rtr_map_t *m);
/* The value stored under key, or NULL. Borrows key. */
void *rtr_map_get(const rtr_map_t *m, hc_str_t key);
/* Stores value under key (copied), replacing any previous value. */
void rtr_map_put(rtr_map_t *m, hc_str_t key, void *value);
/* Removes key; returns its value or NULL when absent. */
void *rtr_map_del(rtr_map_t *m, hc_str_t key);
/*
 * Calls fn(key, value, data) for every entry; fn returns true to delete the entry (it
 * frees the value itself). Must not add entries while iterating.
 */
void rtr_map_each(rtr_map_t *m, bool (*fn)(const char *key, void *value, void *data), void *data);

#endif
