/*
 * hmap.h - an open-addressing hash map from byte strings to pointers (linear probing,
 * backward-shift deletion, no tombstones). Keys are borrowed: the caller keeps each key's bytes
 * alive and unchanged while it is in the map (they usually live in the value itself).
 */
#ifndef HEARTH_BUS_HMAP_H
#define HEARTH_BUS_HMAP_H

#include <stddef.h>
#include <stdint.h>

typedef struct bus_hmap_entry_s {
    const char *key; /* NULL: empty slot */
    uint32_t len;
    uint32_t hash;
    void *val;
} bus_hmap_entry_t;

typedef struct bus_hmap_s {
    bus_hmap_entry_t *slots;
    size_t cap; /* 0 or a power of two */
    size_t count;
} bus_hmap_t;

uint32_t bus_hash(const char *p, size_t len);
/* An empty map needs no allocation: zero it or call bus_hmap_init. */
void bus_hmap_init(bus_hmap_t *m);
void bus_hmap_release(bus_hmap_t *m);
/* Returns the value stored under key, or NULL. */
void *bus_hmap_get(const bus_hmap_t *m, const char *key, size_t len);
/* Stores val under key, replacing any previous value; returns the previous value or NULL. */
void *bus_hmap_put(bus_hmap_t *m, const char *key, size_t len, void *val);
/* Removes key; returns its value or NULL when absent. */
void *bus_hmap_del(bus_hmap_t *m, const char *key, size_t len);
/* Empties the map, keeping its memory. */
void bus_hmap_clear(bus_hmap_t *m);

#define BUS_HMAP_FOREACH(m, e)                                                                     \
    for (bus_hmap_entry_t *e = (m)->slots; (m)->slots && e < (m)->slots + (m)->cap; e++)           \
        if (e->key)

#endif
