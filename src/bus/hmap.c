/* hmap.c - see hmap.h. */
#include <string.h>

#include "hc_base.h"
#include "hmap.h"

uint32_t bus_hash(const char *p, size_t len)
{
    /* FNV-1a, 8 bytes at a time folded in; subjects are short, this is cheap and spreads well. */
    uint64_t h = 0xcbf29ce484222325ULL;
    size_t i = 0;

    for (; i + 8 <= len; i += 8) {
        uint64_t w;
        memcpy(&w, p + i, 8);
        h ^= w;
        h *= 0x100000001b3ULL;
        h ^= h >> 29;
    }
    for (; i < len; i++) {
        h ^= (unsigned char)p[i];
        h *= 0x100000001b3ULL;
    }
    h ^= h >> 32;
    return (uint32_t)h;
}

void bus_hmap_init(bus_hmap_t *m)
{
    memset(m, 0, sizeof(*m));
}

void bus_hmap_release(bus_hmap_t *m)
{
    free(m->slots);
    memset(m, 0, sizeof(*m));
}

static bus_hmap_entry_t *find(const bus_hmap_t *m, const char *key, size_t len, uint32_t h)
{
    size_t mask = m->cap - 1;
    for (size_t i = h & mask;; i = (i + 1) & mask) {
        bus_hmap_entry_t *e = &m->slots[i];
        if (!e->key)
            return e;
        if (e->hash == h && e->len == len && memcmp(e->key, key, len) == 0)
            return e;
    }
}

void *bus_hmap_get(const bus_hmap_t *m, const char *key, size_t len)
{
    if (m->count == 0)
        return NULL;
    bus_hmap_entry_t *e = find(m, key, len, bus_hash(key, len));
    return e->key ? e->val : NULL;
}

static void grow(bus_hmap_t *m)
{
    bus_hmap_entry_t *old = m->slots;
    size_t oldcap = m->cap;

    m->cap = oldcap ? oldcap * 2 : 2; /* most trie levels hold one token */
    m->slots = hc_calloc(m->cap, sizeof(*m->slots));
    for (size_t i = 0; i < oldcap; i++) {
        if (old[i].key)
            *find(m, old[i].key, old[i].len, old[i].hash) = old[i];
    }
    free(old);
}

void *bus_hmap_put(bus_hmap_t *m, const char *key, size_t len, void *val)
{
    if ((m->count + 1) * 4 > m->cap * 3)
        grow(m);
    uint32_t h = bus_hash(key, len);
    bus_hmap_entry_t *e = find(m, key, len, h);
    void *prev = NULL;
    if (e->key) {
        prev = e->val;
    } else {
        m->count++;
    }
    e->key = key;
    e->len = (uint32_t)len;
    e->hash = h;
    e->val = val;
    return prev;
}

void *bus_hmap_del(bus_hmap_t *m, const char *key, size_t len)
{
    if (m->count == 0)
        return NULL;
    bus_hmap_entry_t *e = find(m, key, len, bus_hash(key, len));
    if (!e->key)
        return NULL;
    void *val = e->val;
    size_t mask = m->cap - 1;
    size_t i = (size_t)(e - m->slots);
    /* Backward-shift: move later entries of the probe run into the hole. */
    for (size_t j = (i + 1) & mask;; j = (j + 1) & mask) {
        bus_hmap_entry_t *n = &m->slots[j];
        if (!n->key)
            break;
        size_t home = n->hash & mask;
        /* n may move to i when i lies cyclically in [home, j). */
        if (((j - home) & mask) >= ((j - i) & mask)) {
            m->slots[i] = *n;
            i = j;
        }
    }
    m->slots[i].key = NULL;
    m->count--;
    return val;
}

void bus_hmap_clear(bus_hmap_t *m)
{
    if (m->slots)
        memset(m->slots, 0, m->cap * sizeof(*m->slots));
    m->count = 0;
}
