/*
 * sublist.h - the subscription index: a trie of subject tokens with `*` and `>` branches, and a
 * cache of match results keyed by published subject. The cache is updated on every change: a
 * literal subscription drops the one cached subject it names, a wildcard one drops them all.
 * Queue subscriptions with the same queue name are grouped across all matching trie nodes
 * (spec/bus.md §4.2: one member of each group gets each message).
 */
#ifndef HEARTH_BUS_SUBLIST_H
#define HEARTH_BUS_SUBLIST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hc_buf.h"
#include "hmap.h"

struct bus_client_s;
struct bus_snode_s;

typedef struct bus_sub_s {
    struct bus_client_s *client;
    hc_str_t subject, queue, sid; /* point into data[] */
    uint64_t nmsgs;               /* messages delivered */
    uint64_t max;                 /* auto-unsubscribe after this many; 0: never */
    struct bus_snode_s *_node;    /* sublist private */
    uint32_t _slot;               /* sublist private: index in its node's array */
    bool _in;                     /* sublist private: inserted */
    char data[];
} bus_sub_t;

typedef struct bus_qresult_s {
    bus_sub_t **subs;
    uint32_t n;
} bus_qresult_t;

/* A match result; shared with the cache, so hold a reference while using it. */
typedef struct bus_result_s {
    uint32_t refs;
    uint32_t npsubs, nqgroups;
    bus_sub_t **psubs;
    bus_qresult_t *qgroups;
    uint32_t subject_len;
    char subject[];
} bus_result_t;

typedef struct bus_sublist_stats_s {
    uint64_t count, inserts, removes, matches, cache_hits, cache_entries, max_fanout;
    uint64_t fanout_total; /* sum of fanouts of the cached results */
} bus_sublist_stats_t;

typedef struct bus_sublist_s bus_sublist_t;

/* Returns a new subscription (subject, queue, sid copied); free with free(). */
bus_sub_t *bus_sub_new(hc_str_t subject, hc_str_t queue, hc_str_t sid);

bus_sublist_t *bus_sublist_new(void);
/* Frees the index (not the subscriptions it holds). Accepts NULL. */
void bus_sublist_free(bus_sublist_t *sl);
/* Validates a subscription subject (non-empty tokens, `>` only last). */
bool bus_subject_valid(const char *s, size_t len);
/* True when the subject has no `*` or `>` token. */
bool bus_subject_literal(const char *s, size_t len);
/* Does a literal subject match a (possibly wildcard) pattern? */
bool bus_subject_matches(const char *subj, size_t slen, const char *pat, size_t plen);
/* Adds sub (borrowed until removed). Returns 0 or -EINVAL for an invalid subject. */
int bus_sublist_insert(bus_sublist_t *sl, bus_sub_t *sub);
/* Removes sub if inserted; safe to call twice. */
void bus_sublist_remove(bus_sublist_t *sl, bus_sub_t *sub);
/*
 * Returns the subscriptions matching a published subject, with one reference for the caller
 * (release with bus_result_unref). Never NULL.
 */
bus_result_t *bus_sublist_match(bus_sublist_t *sl, const char *subj, size_t len);
void bus_result_unref(bus_result_t *r);
/* Changes whenever a subscription is inserted or removed: a result taken at generation g is
 * still exact while bus_sublist_gen() == g. */
uint64_t bus_sublist_gen(const bus_sublist_t *sl);
void bus_sublist_stats(const bus_sublist_t *sl, bus_sublist_stats_t *ret);

#endif
