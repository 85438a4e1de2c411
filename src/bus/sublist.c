/* sublist.c - see sublist.h. */
#include <string.h>

#include "bus_limits.h"
#include "sublist.h"

typedef struct bus_qgroup_s {
    char *name;
    size_t len;
    bus_sub_t **subs;
    uint32_t n, cap;
} bus_qgroup_t;

typedef struct bus_slevel_s bus_slevel_t;

typedef struct bus_snode_s {
    bus_slevel_t *next;
    bus_sub_t **psubs;
    uint32_t npsubs, pcap;
    bus_qgroup_t *qgroups;
    uint32_t nq;
    uint32_t toklen;
    char token[]; /* key in the parent level's map */
} bus_snode_t;

struct bus_slevel_s {
    bus_hmap_t nodes;
    bus_snode_t *pwc, *fwc;
};

struct bus_sublist_s {
    bus_slevel_t root;
    bus_hmap_t cache;
    uint64_t count, inserts, removes, matches, cache_hits;
    uint64_t gen;
};

uint64_t bus_sublist_gen(const bus_sublist_t *sl)
{
    return sl->gen;
}

bus_sub_t *bus_sub_new(hc_str_t subject, hc_str_t queue, hc_str_t sid)
{
    bus_sub_t *s = hc_calloc(1, sizeof(*s) + subject.len + queue.len + sid.len + 3);
    char *p = s->data;

    memcpy(p, subject.p, subject.len);
    s->subject = hc_str(p, subject.len);
    p += subject.len + 1;
    if (queue.len)
        memcpy(p, queue.p, queue.len);
    s->queue = hc_str(queue.len ? p : NULL, queue.len);
    p += queue.len + 1;
    memcpy(p, sid.p, sid.len);
    s->sid = hc_str(p, sid.len);
    return s;
}

bus_sublist_t *bus_sublist_new(void)
{
    return hc_calloc(1, sizeof(bus_sublist_t));
}

static void node_free(bus_snode_t *n);

static void level_release(bus_slevel_t *l)
{
    BUS_HMAP_FOREACH(&l->nodes, e)
    node_free(e->val);
    bus_hmap_release(&l->nodes);
    node_free(l->pwc);
    node_free(l->fwc);
}

static void node_free(bus_snode_t *n)
{
    if (!n)
        return;
    if (n->next) {
        level_release(n->next);
        free(n->next);
    }
    for (uint32_t i = 0; i < n->nq; i++) {
        free(n->qgroups[i].name);
        free(n->qgroups[i].subs);
    }
    free(n->qgroups);
    free(n->psubs);
    free(n);
}

static void cache_clear(bus_sublist_t *sl)
{
    BUS_HMAP_FOREACH(&sl->cache, e)
    bus_result_unref(e->val);
    bus_hmap_clear(&sl->cache);
}

void bus_sublist_free(bus_sublist_t *sl)
{
    if (!sl)
        return;
    cache_clear(sl);
    bus_hmap_release(&sl->cache);
    level_release(&sl->root);
    free(sl);
}

/* Iterates the tokens of a subject: returns false at the end. */
static inline bool next_token(const char *s, size_t len, size_t *pos, hc_str_t *tok)
{
    if (*pos > len)
        return false;
    const char *start = s + *pos;
    const char *dot = memchr(start, '.', len - *pos);
    size_t tlen = dot ? (size_t)(dot - start) : len - *pos;
    *tok = hc_str(start, tlen);
    *pos += tlen + 1;
    return true;
}

static inline bool is_pwc(hc_str_t t)
{
    return t.len == 1 && t.p[0] == '*';
}
static inline bool is_fwc(hc_str_t t)
{
    return t.len == 1 && t.p[0] == '>';
}

bool bus_subject_valid(const char *s, size_t len)
{
    size_t pos = 0;
    hc_str_t t;
    bool fwc = false;

    if (len == 0)
        return false;
    while (next_token(s, len, &pos, &t)) {
        if (t.len == 0 || fwc)
            return false;
        if (is_fwc(t))
            fwc = true;
    }
    return true;
}

bool bus_subject_literal(const char *s, size_t len)
{
    size_t pos = 0;
    hc_str_t t;

    while (next_token(s, len, &pos, &t)) {
        if (is_pwc(t) || is_fwc(t))
            return false;
    }
    return true;
}

bool bus_subject_matches(const char *subj, size_t slen, const char *pat, size_t plen)
{
    size_t sp = 0, pp = 0;
    hc_str_t st, pt;

    while (next_token(pat, plen, &pp, &pt)) {
        if (!next_token(subj, slen, &sp, &st))
            return false;
        if (is_fwc(pt))
            return true;
        if (!is_pwc(pt) && !hc_str_eq(st, pt))
            return false;
    }
    return !next_token(subj, slen, &sp, &st);
}

static bus_snode_t *node_new(hc_str_t tok)
{
    bus_snode_t *n = hc_calloc(1, sizeof(*n) + tok.len + 1);
    memcpy(n->token, tok.p, tok.len);
    n->toklen = (uint32_t)tok.len;
    return n;
}

static bool node_empty(const bus_snode_t *n)
{
    return n->npsubs == 0 && n->nq == 0 &&
           (!n->next || (n->next->nodes.count == 0 && !n->next->pwc && !n->next->fwc));
}

static void cache_invalidate(bus_sublist_t *sl, const bus_sub_t *sub)
{
    sl->gen++;
    if (sl->cache.count == 0)
        return;
    if (bus_subject_literal(sub->subject.p, sub->subject.len)) {
        bus_result_t *r = bus_hmap_del(&sl->cache, sub->subject.p, sub->subject.len);
        if (r)
            bus_result_unref(r);
        return;
    }
    cache_clear(sl);
}

int bus_sublist_insert(bus_sublist_t *sl, bus_sub_t *sub)
{
    const char *s = sub->subject.p;
    size_t len = sub->subject.len, pos = 0;
    hc_str_t t;
    bus_slevel_t *l = &sl->root;
    bus_snode_t *n = NULL;

    if (!bus_subject_valid(s, len))
        return -EINVAL;
    while (next_token(s, len, &pos, &t)) {
        if (!l) {
            l = hc_calloc(1, sizeof(*l));
            n->next = l;
        }
        bus_snode_t **slot = is_pwc(t) ? &l->pwc : is_fwc(t) ? &l->fwc : NULL;
        if (slot) {
            if (!*slot)
                *slot = node_new(t);
            n = *slot;
        } else {
            n = bus_hmap_get(&l->nodes, t.p, t.len);
            if (!n) {
                n = node_new(t);
                bus_hmap_put(&l->nodes, n->token, n->toklen, n);
            }
        }
        l = n->next;
    }
    if (sub->queue.len == 0) {
        if (n->npsubs == n->pcap) {
            n->pcap = n->pcap ? n->pcap * 2 : 1;
            n->psubs = hc_reallocarray(n->psubs, n->pcap, sizeof(*n->psubs));
        }
        sub->_slot = n->npsubs;
        n->psubs[n->npsubs++] = sub;
    } else {
        bus_qgroup_t *g = NULL;
        for (uint32_t i = 0; i < n->nq; i++) {
            if (n->qgroups[i].len == sub->queue.len &&
                memcmp(n->qgroups[i].name, sub->queue.p, sub->queue.len) == 0) {
                g = &n->qgroups[i];
                break;
            }
        }
        if (!g) {
            n->qgroups = hc_reallocarray(n->qgroups, n->nq + 1, sizeof(*n->qgroups));
            g = &n->qgroups[n->nq++];
            memset(g, 0, sizeof(*g));
            g->name = hc_strndup(sub->queue.p, sub->queue.len);
            g->len = sub->queue.len;
        }
        if (g->n == g->cap) {
            g->cap = g->cap ? g->cap * 2 : 2;
            g->subs = hc_reallocarray(g->subs, g->cap, sizeof(*g->subs));
        }
        sub->_slot = g->n;
        g->subs[g->n++] = sub;
    }
    sub->_node = n;
    sub->_in = true;
    sl->count++;
    sl->inserts++;
    cache_invalidate(sl, sub);
    return 0;
}

static void node_take_out(bus_snode_t *n, bus_sub_t *sub)
{
    if (sub->queue.len == 0) {
        bus_sub_t *last = n->psubs[--n->npsubs];
        n->psubs[sub->_slot] = last;
        last->_slot = sub->_slot;
        return;
    }
    for (uint32_t i = 0; i < n->nq; i++) {
        bus_qgroup_t *g = &n->qgroups[i];
        if (g->len != sub->queue.len || memcmp(g->name, sub->queue.p, g->len) != 0)
            continue;
        bus_sub_t *last = g->subs[--g->n];
        g->subs[sub->_slot] = last;
        last->_slot = sub->_slot;
        if (g->n == 0) {
            free(g->name);
            free(g->subs);
            n->qgroups[i] = n->qgroups[--n->nq];
        }
        return;
    }
}

/* Walks down to the subscription's node to prune the nodes it leaves empty. */
static bool prune(bus_slevel_t *l, const char *s, size_t len, size_t pos)
{
    hc_str_t t;
    if (!l || !next_token(s, len, &pos, &t))
        return false;
    bus_snode_t *n = is_pwc(t) ? l->pwc : is_fwc(t) ? l->fwc : bus_hmap_get(&l->nodes, t.p, t.len);
    if (!n)
        return false;
    if (n->next)
        prune(n->next, s, len, pos);
    if (!node_empty(n))
        return false;
    if (is_pwc(t))
        l->pwc = NULL;
    else if (is_fwc(t))
        l->fwc = NULL;
    else
        bus_hmap_del(&l->nodes, t.p, t.len);
    node_free(n);
    return l->nodes.count == 0 && !l->pwc && !l->fwc;
}

void bus_sublist_remove(bus_sublist_t *sl, bus_sub_t *sub)
{
    if (!sub->_in)
        return;
    bus_snode_t *n = sub->_node;
    node_take_out(n, sub);
    sub->_in = false;
    sub->_node = NULL;
    sl->count--;
    sl->removes++;
    cache_invalidate(sl, sub);
    if (node_empty(n))
        prune(&sl->root, sub->subject.p, sub->subject.len, 0);
}

/* Collects matches into growable arrays before building the compact result. */
typedef struct collect_s {
    bus_sub_t **p;
    size_t np, pcap;
    bus_qgroup_t **q;
    size_t nq, qcap;
} collect_t;

static void collect_node(collect_t *c, const bus_snode_t *n)
{
    if (n->npsubs) {
        if (c->np + n->npsubs > c->pcap) {
            c->pcap = (c->np + n->npsubs) * 2;
            c->p = hc_reallocarray(c->p, c->pcap, sizeof(*c->p));
        }
        memcpy(c->p + c->np, n->psubs, n->npsubs * sizeof(*c->p));
        c->np += n->npsubs;
    }
    for (uint32_t i = 0; i < n->nq; i++) {
        if (c->nq == c->qcap) {
            c->qcap = c->qcap ? c->qcap * 2 : 4;
            c->q = hc_reallocarray(c->q, c->qcap, sizeof(*c->q));
        }
        c->q[c->nq++] = &n->qgroups[i];
    }
}

static void match_level(collect_t *c, const bus_slevel_t *l, const char *s, size_t len, size_t pos)
{
    hc_str_t t;
    if (!next_token(s, len, &pos, &t))
        return;
    bool last = pos > len;
    if (l->fwc)
        collect_node(c, l->fwc);
    if (l->pwc) {
        if (last)
            collect_node(c, l->pwc);
        else if (l->pwc->next)
            match_level(c, l->pwc->next, s, len, pos);
    }
    const bus_snode_t *n = bus_hmap_get(&l->nodes, t.p, t.len);
    if (n) {
        if (last)
            collect_node(c, n);
        else if (n->next)
            match_level(c, n->next, s, len, pos);
    }
}

static bus_result_t *build_result(const collect_t *c, const char *subj, size_t len)
{
    /* Merge queue groups of the same name found on different nodes. */
    size_t ngroups = 0, nqsubs = 0;
    bus_qgroup_t **uniq = c->nq ? hc_calloc(c->nq, sizeof(*uniq)) : NULL;
    for (size_t i = 0; i < c->nq; i++) {
        size_t j;
        for (j = 0; j < ngroups; j++) {
            if (uniq[j]->len == c->q[i]->len &&
                memcmp(uniq[j]->name, c->q[i]->name, uniq[j]->len) == 0)
                break;
        }
        if (j == ngroups)
            uniq[ngroups++] = c->q[i];
        nqsubs += c->q[i]->n;
    }
    size_t head = sizeof(bus_result_t) + len + 1;
    head = (head + 7) & ~(size_t)7;
    size_t size = head + c->np * sizeof(bus_sub_t *) + ngroups * sizeof(bus_qresult_t) +
                  nqsubs * sizeof(bus_sub_t *);
    bus_result_t *r = hc_malloc(size);
    r->refs = 1;
    r->subject_len = (uint32_t)len;
    memcpy(r->subject, subj, len);
    r->subject[len] = '\0';
    char *p = (char *)r + head;
    r->psubs = (bus_sub_t **)(void *)p;
    r->npsubs = (uint32_t)c->np;
    if (c->np)
        memcpy(r->psubs, c->p, c->np * sizeof(bus_sub_t *));
    p += c->np * sizeof(bus_sub_t *);
    r->qgroups = (bus_qresult_t *)(void *)p;
    r->nqgroups = (uint32_t)ngroups;
    p += ngroups * sizeof(bus_qresult_t);
    bus_sub_t **qs = (bus_sub_t **)(void *)p;
    for (size_t g = 0; g < ngroups; g++) {
        r->qgroups[g].subs = qs;
        r->qgroups[g].n = 0;
        for (size_t i = 0; i < c->nq; i++) {
            if (c->q[i]->len != uniq[g]->len || memcmp(c->q[i]->name, uniq[g]->name, uniq[g]->len))
                continue;
            memcpy(qs, c->q[i]->subs, c->q[i]->n * sizeof(bus_sub_t *));
            qs += c->q[i]->n;
            r->qgroups[g].n += c->q[i]->n;
        }
    }
    free(uniq);
    return r;
}

bus_result_t *bus_sublist_match(bus_sublist_t *sl, const char *subj, size_t len)
{
    sl->matches++;
    bus_result_t *r = bus_hmap_get(&sl->cache, subj, len);
    if (r) {
        sl->cache_hits++;
        r->refs++;
        return r;
    }
    collect_t c = {0};
    if (len > 0)
        match_level(&c, &sl->root, subj, len, 0);
    r = build_result(&c, subj, len);
    free(c.p);
    free(c.q);
    if (sl->cache.count >= BUS_SUBLIST_CACHE_MAX)
        cache_clear(sl);
    r->refs++;
    bus_hmap_put(&sl->cache, r->subject, r->subject_len, r);
    return r;
}

void bus_result_unref(bus_result_t *r)
{
    if (r && --r->refs == 0)
        free(r);
}

void bus_sublist_stats(const bus_sublist_t *sl, bus_sublist_stats_t *ret)
{
    memset(ret, 0, sizeof(*ret));
    ret->count = sl->count;
    ret->inserts = sl->inserts;
    ret->removes = sl->removes;
    ret->matches = sl->matches;
    ret->cache_hits = sl->cache_hits;
    ret->cache_entries = sl->cache.count;
    BUS_HMAP_FOREACH(&sl->cache, e)
    {
        bus_result_t *r = e->val;
        uint64_t f = r->npsubs + r->nqgroups;
        ret->fanout_total += f;
        if (f > ret->max_fanout)
            ret->max_fanout = f;
    }
}
