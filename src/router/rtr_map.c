/* String-keyed hash map for the route table (see rtr_map.h). */
#include <string.h>

#include "hc_uuid.h"
#include "rtr_map.h"

static uint64_t rtr_map_hash(uint64_t seed, const char *p, size_t len)
{
    /* FNV-1a over the bytes, started from a random seed and finished with a 64-bit mixer
     * (splitmix64's), so bucket indexes use well-spread low bits. */
    uint64_t h = 0xcbf29ce484222325ULL ^ seed;
    for (size_t i = 0; i < len; i++) {
        h ^= (unsigned char)p[i];
        h *= 0x100000001b3ULL;
    }
    h ^= h >> 30;
    h *= 0xbf58476d1ce4e5b9ULL;
    h ^= h >> 27;
    h *= 0x94d049bb133111ebULL;
    h ^= h >> 31;
    return h;
}

void rtr_map_init(rtr_map_t *m)
{
    m->nbuckets = 64;
    m->buckets = hc_calloc(m->nbuckets, sizeof(*m->buckets));
    m->count = 0;
    hc_random_bytes(&m->seed, sizeof(m->seed));
}

void rtr_map_release(rtr_map_t *m)
{
    for (size_t i = 0; i < m->nbuckets; i++) {
        rtr_map_entry_t *e = m->buckets[i];
        while (e) {
            rtr_map_entry_t *next = e->next;
            free(e);
            e = next;
        }
    }
    free(m->buckets);
    m->buckets = NULL;
    m->nbuckets = m->count = 0;
}

static rtr_map_entry_t **rtr_map_slot(const rtr_map_t *m, hc_str_t key, uint64_t h)
{
    rtr_map_entry_t **pp = &m->buckets[h & (m->nbuckets - 1)];
    for (; *pp; pp = &(*pp)->next) {
        rtr_map_entry_t *e = *pp;
        if (e->hash == h && e->key_len == key.len && memcmp(e->key, key.p, key.len) == 0)
            return pp;
    }
    return pp;
}

void *rtr_map_get(const rtr_map_t *m, hc_str_t key)
{
    uint64_t h = rtr_map_hash(m->seed, key.p, key.len);
    rtr_map_entry_t *e = *rtr_map_slot(m, key, h);
    return e ? e->value : NULL;
}

static void rtr_map_grow(rtr_map_t *m)
{
    size_t n = m->nbuckets * 2;
    rtr_map_entry_t **b = hc_calloc(n, sizeof(*b));
    for (size_t i = 0; i < m->nbuckets; i++) {
        rtr_map_entry_t *e = m->buckets[i];
        while (e) {
            rtr_map_entry_t *next = e->next;
            size_t j = e->hash & (n - 1);
            e->next = b[j];
            b[j] = e;
            e = next;
        }
    }
    free(m->buckets);
    m->buckets = b;
    m->nbuckets = n;
}

void rtr_map_put(rtr_map_t *m, hc_str_t key, void *value)
{
    uint64_t h = rtr_map_hash(m->seed, key.p, key.len);
    rtr_map_entry_t **pp = rtr_map_slot(m, key, h);
    if (*pp) {
        (*pp)->value = value;
        return;
    }
    rtr_map_entry_t *e = hc_malloc(sizeof(*e) + key.len + 1);
    e->next = NULL;
    e->hash = h;
    e->key_len = key.len;
    e->value = value;
    if (key.len)
        memcpy(e->key, key.p, key.len);
    e->key[key.len] = '\0';
    *pp = e;
    if (++m->count > m->nbuckets)
        rtr_map_grow(m);
}

void *rtr_map_del(rtr_map_t *m, hc_str_t key)
{
    uint64_t h = rtr_map_hash(m->seed, key.p, key.len);
    rtr_map_entry_t **pp = rtr_map_slot(m, key, h);
    rtr_map_entry_t *e = *pp;
    if (!e)
        return NULL;
    void *v = e->value;
    *pp = e->next;
    free(e);
    m->count--;
    return v;
}

void rtr_map_each(rtr_map_t *m, bool (*fn)(const char *key, void *value, void *data), void *data)
{
    for (size_t i = 0; i < m->nbuckets; i++) {
        rtr_map_entry_t **pp = &m->buckets[i];
        while (*pp) {
            rtr_map_entry_t *e = *pp;
            if (fn(e->key, e->value, data)) {
                *pp = e->next;
                free(e);
                m->count--;
            } else {
                pp = &e->next;
            }
        }
    }
}
