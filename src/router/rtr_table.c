/* The route table (see rtr_table.h). */
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#include "rtr_table.h"

typedef struct rtr_host_s {
    rtr_pool_t **pools; /* longest path first */
    uint32_t n, cap;
} rtr_host_t;

struct rtr_table_s {
    rtr_map_t hosts;    /* normalised host -> rtr_host_t */
    rtr_map_t backends; /* "ip:port" -> rtr_backend_t */
    size_t npools;
    uint32_t default_ttl_ms;
    rtr_backend_gone_fn gone_fn;
    void *gone_data;
};

static inline char rtr_lower(char c)
{
    return (c >= 'A' && c <= 'Z') ? (char)(c | 0x20) : c;
}

int rtr_host_normalize(hc_str_t host, char *out)
{
    size_t len = host.len;
    /* Strip the port; an IPv6 literal keeps its brackets and loses only what follows "]". */
    if (len && host.p[0] == '[') {
        const char *end = memchr(host.p, ']', len);
        if (end)
            len = (size_t)(end - host.p) + 1;
    } else {
        const char *colon = memchr(host.p, ':', len);
        if (colon)
            len = (size_t)(colon - host.p);
    }
    /* A fully qualified name's trailing dot names the same host. */
    if (len && host.p[len - 1] == '.')
        len--;
    if (len == 0 || len > RTR_MAX_HOST)
        return -EINVAL;
    for (size_t i = 0; i < len; i++)
        out[i] = rtr_lower(host.p[i]);
    out[len] = '\0';
    return (int)len;
}

rtr_table_t *rtr_table_new(uint32_t default_ttl_ms)
{
    rtr_table_t *t = hc_calloc(1, sizeof(*t));
    rtr_map_init(&t->hosts);
    rtr_map_init(&t->backends);
    t->default_ttl_ms = default_ttl_ms;
    return t;
}

void rtr_table_on_backend_gone(rtr_table_t *t, rtr_backend_gone_fn fn, void *data)
{
    t->gone_fn = fn;
    t->gone_data = data;
}

void rtr_backend_ref(rtr_backend_t *be)
{
    be->refs++;
}

void rtr_backend_unref(rtr_backend_t *be)
{
    hc_assert(be->refs > 0);
    if (--be->refs == 0 && be->gone)
        free(be);
}

static rtr_backend_t *rtr_backend_get(rtr_table_t *t, const rtr_reg_t *reg)
{
    char key[80];
    int n = snprintf(key, sizeof(key), "%s:%u", reg->host, reg->port);
    hc_assert(n > 0 && (size_t)n < sizeof(key));
    rtr_backend_t *be = rtr_map_get(&t->backends, hc_str(key, (size_t)n));
    if (!be) {
        be = hc_calloc(1, sizeof(*be));
        memcpy(be->key, key, (size_t)n + 1);
        snprintf(be->ip, sizeof(be->ip), "%s", reg->host);
        be->port = reg->port;
        if (strchr(reg->host, ':')) {
            struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)&be->addr;
            a6->sin6_family = AF_INET6;
            a6->sin6_port = htons(reg->port);
            inet_pton(AF_INET6, reg->host, &a6->sin6_addr);
        } else {
            struct sockaddr_in *a4 = (struct sockaddr_in *)&be->addr;
            a4->sin_family = AF_INET;
            a4->sin_port = htons(reg->port);
            inet_pton(AF_INET, reg->host, &a4->sin_addr);
        }
        rtr_map_put(&t->backends, hc_str(key, (size_t)n), be);
    }
    /* The latest registration names the app and instance behind this address. */
    snprintf(be->app, sizeof(be->app), "%s", reg->app);
    snprintf(be->instance_id, sizeof(be->instance_id), "%s", reg->instance_id);
    snprintf(be->index, sizeof(be->index), "%s", reg->index);
    return be;
}

static void rtr_backend_drop_route(rtr_table_t *t, rtr_backend_t *be)
{
    hc_assert(be->routes > 0);
    if (--be->routes > 0)
        return;
    rtr_map_del(&t->backends, hc_str_c(be->key));
    be->gone = true;
    if (t->gone_fn)
        t->gone_fn(be, t->gone_data);
    if (be->refs == 0)
        free(be);
}

/*
 * Splits a registered URI into its normalised host (lower case, port and trailing dot
 * removed) and path (lower case, trailing slashes and any query removed). Returns false
 * when the URI cannot be a route.
 */
static bool rtr_uri_split(const char *uri, char *host, size_t *hlen, char *path, size_t *plen)
{
    size_t len = strlen(uri);
    const char *slash = memchr(uri, '/', len);
    size_t hl = slash ? (size_t)(slash - uri) : len;
    int r = rtr_host_normalize(hc_str(uri, hl), host);
    if (r < 0)
        return false;
    *hlen = (size_t)r;
    size_t pl = 0;
    if (slash) {
        size_t rest = len - hl;
        const char *q = memchr(slash, '?', rest);
        if (q)
            rest = (size_t)(q - slash);
        while (rest > 0 && slash[rest - 1] == '/')
            rest--;
        if (rest > RTR_REG_MAX_URI)
            return false;
        for (size_t i = 0; i < rest; i++)
            path[i] = rtr_lower(slash[i]);
        pl = rest;
    }
    path[pl] = '\0';
    *plen = pl;
    return true;
}

static rtr_pool_t *rtr_host_find_pool(rtr_host_t *h, const char *path, size_t plen)
{
    for (uint32_t i = 0; i < h->n; i++) {
        rtr_pool_t *p = h->pools[i];
        if (p->plen == plen && memcmp(p->path, path, plen) == 0)
            return p;
    }
    return NULL;
}

static rtr_pool_t *rtr_host_add_pool(rtr_table_t *t, rtr_host_t *h, const char *host, size_t hlen,
                                     const char *path, size_t plen)
{
    rtr_pool_t *p = hc_calloc(1, sizeof(*p));
    p->uri = hc_malloc(hlen + plen + 1);
    memcpy(p->uri, host, hlen);
    memcpy(p->uri + hlen, path, plen);
    p->uri[hlen + plen] = '\0';
    p->path = p->uri + hlen;
    p->plen = plen;
    if (h->n == h->cap) {
        h->cap = h->cap ? h->cap * 2 : 2;
        h->pools = hc_reallocarray(h->pools, h->cap, sizeof(*h->pools));
    }
    /* Keep the longest paths first so the first prefix match is the longest. */
    uint32_t at = 0;
    while (at < h->n && h->pools[at]->plen >= plen)
        at++;
    memmove(&h->pools[at + 1], &h->pools[at], (h->n - at) * sizeof(*h->pools));
    h->pools[at] = p;
    h->n++;
    t->npools++;
    return p;
}

static void rtr_pool_free(rtr_table_t *t, rtr_pool_t *p)
{
    for (uint32_t i = 0; i < p->n; i++)
        rtr_backend_drop_route(t, p->eps[i].be);
    free(p->eps);
    free(p->uri);
    free(p);
    t->npools--;
}

/* Removes p from h; the caller removes h once it has no pool left. */
static void rtr_host_remove_pool(rtr_table_t *t, rtr_host_t *h, rtr_pool_t *p)
{
    for (uint32_t i = 0; i < h->n; i++) {
        if (h->pools[i] == p) {
            memmove(&h->pools[i], &h->pools[i + 1], (h->n - i - 1) * sizeof(*h->pools));
            h->n--;
            break;
        }
    }
    rtr_pool_free(t, p);
}

size_t rtr_table_register(rtr_table_t *t, const rtr_reg_t *reg, uint64_t now_ms)
{
    char host[RTR_MAX_HOST + 1];
    char *path = hc_malloc(RTR_REG_MAX_URI + 1);
    size_t applied = 0, hlen, plen;
    uint32_t ttl = reg->stale_threshold_s ? reg->stale_threshold_s * 1000u : t->default_ttl_ms;

    for (size_t i = 0; i < reg->nuris; i++) {
        if (!rtr_uri_split(reg->uris[i], host, &hlen, path, &plen))
            continue;
        rtr_host_t *h = rtr_map_get(&t->hosts, hc_str(host, hlen));
        if (!h) {
            h = hc_calloc(1, sizeof(*h));
            rtr_map_put(&t->hosts, hc_str(host, hlen), h);
        }
        rtr_pool_t *p = rtr_host_find_pool(h, path, plen);
        if (!p)
            p = rtr_host_add_pool(t, h, host, hlen, path, plen);
        rtr_backend_t *be = rtr_backend_get(t, reg);
        rtr_endpoint_t *ep = NULL;
        for (uint32_t j = 0; j < p->n; j++) {
            if (p->eps[j].be == be) {
                ep = &p->eps[j];
                break;
            }
        }
        if (!ep) {
            if (p->n == p->cap) {
                p->cap = p->cap ? p->cap * 2 : 4;
                p->eps = hc_reallocarray(p->eps, p->cap, sizeof(*p->eps));
            }
            ep = &p->eps[p->n++];
            ep->be = be;
            be->routes++;
        }
        ep->updated_ms = now_ms;
        ep->ttl_ms = ttl;
        applied++;
    }
    free(path);
    return applied;
}

/* Takes endpoint j out of pool p; an emptied pool remembers when and for how long to stay. */
static void rtr_pool_remove_ep(rtr_table_t *t, rtr_pool_t *p, uint32_t j, uint64_t now_ms)
{
    rtr_backend_t *be = p->eps[j].be;
    uint32_t ttl = p->eps[j].ttl_ms;
    p->eps[j] = p->eps[--p->n];
    if (p->n == 0) {
        p->emptied_ms = now_ms;
        p->keep_ms = ttl;
    }
    /* The backend may be freed here: the last route to it is gone. */
    rtr_backend_drop_route(t, be);
}

size_t rtr_table_unregister(rtr_table_t *t, const rtr_reg_t *reg, uint64_t now_ms)
{
    char host[RTR_MAX_HOST + 1], key[80];
    char *path = hc_malloc(RTR_REG_MAX_URI + 1);
    size_t removed = 0, hlen, plen;

    snprintf(key, sizeof(key), "%s:%u", reg->host, reg->port);
    rtr_backend_t *be = rtr_map_get(&t->backends, hc_str_c(key));
    for (size_t i = 0; be && i < reg->nuris; i++) {
        if (!rtr_uri_split(reg->uris[i], host, &hlen, path, &plen))
            continue;
        rtr_host_t *h = rtr_map_get(&t->hosts, hc_str(host, hlen));
        rtr_pool_t *p = h ? rtr_host_find_pool(h, path, plen) : NULL;
        if (!p)
            continue;
        for (uint32_t j = 0; j < p->n; j++) {
            if (p->eps[j].be != be)
                continue;
            removed++;
            bool last = be->routes == 1;
            rtr_pool_remove_ep(t, p, j, now_ms);
            if (last)
                be = NULL;
            break;
        }
    }
    free(path);
    return removed;
}

/*
 * The longest path route of h matching path: one with endpoints when there is one, else the
 * first empty match in *empty (when *empty is still NULL), and NULL is returned.
 */
static rtr_pool_t *rtr_host_match(rtr_host_t *h, hc_str_t path, rtr_pool_t **empty)
{
    for (uint32_t i = 0; i < h->n; i++) {
        rtr_pool_t *p = h->pools[i];
        if (p->plen != 0) {
            if (path.len < p->plen || (path.len > p->plen && path.p[p->plen] != '/'))
                continue;
            if (!hc_str_eq_nocase(hc_str(path.p, p->plen), hc_str(p->path, p->plen)))
                continue;
        }
        if (p->n > 0)
            return p;
        if (!*empty)
            *empty = p;
    }
    return NULL;
}

rtr_pool_t *rtr_table_lookup(rtr_table_t *t, hc_str_t host, hc_str_t path)
{
    char key[RTR_MAX_HOST + 3];
    rtr_pool_t *empty = NULL;
    int len = rtr_host_normalize(host, key + 1);
    if (len < 0)
        return NULL;
    rtr_host_t *h = rtr_map_get(&t->hosts, hc_str(key + 1, (size_t)len));
    rtr_pool_t *p = h ? rtr_host_match(h, path, &empty) : NULL;
    if (p)
        return p;
    /* Wildcards: a.b.example.com tries *.b.example.com, then *.example.com, then *.com. */
    for (char *dot = memchr(key + 1, '.', (size_t)len); dot;
         dot = memchr(dot + 1, '.', (size_t)(key + 1 + len - (dot + 1)))) {
        /* Overwriting the label's last byte is fine: later candidates start further on. */
        dot[-1] = '*';
        size_t wlen = (size_t)(key + 1 + len - (dot - 1));
        h = rtr_map_get(&t->hosts, hc_str(dot - 1, wlen));
        if (h && (p = rtr_host_match(h, path, &empty)))
            return p;
    }
    return empty;
}

typedef struct rtr_prune_s {
    rtr_table_t *t;
    uint64_t now_ms;
    size_t removed;
    bool touch;
} rtr_prune_t;

static bool rtr_prune_host(const char *key, void *value, void *data)
{
    (void)key;
    rtr_prune_t *pr = data;
    rtr_host_t *h = value;
    for (uint32_t i = 0; i < h->n;) {
        rtr_pool_t *p = h->pools[i];
        bool was_empty = p->n == 0;
        for (uint32_t j = 0; j < p->n;) {
            rtr_endpoint_t *ep = &p->eps[j];
            if (pr->touch) {
                ep->updated_ms = pr->now_ms;
                j++;
            } else if (pr->now_ms - ep->updated_ms > ep->ttl_ms) {
                rtr_pool_remove_ep(pr->t, p, j, pr->now_ms);
                pr->removed++;
            } else {
                j++;
            }
        }
        if (was_empty && pr->touch)
            p->emptied_ms = pr->now_ms;
        /* A pool emptied in this sweep is kept; one empty past its keep time goes. */
        if (was_empty && !pr->touch && pr->now_ms - p->emptied_ms > p->keep_ms)
            rtr_host_remove_pool(pr->t, h, p); /* the host itself is removed below */
        else
            i++;
    }
    if (h->n == 0) {
        free(h->pools);
        free(h);
        return true;
    }
    return false;
}

size_t rtr_table_prune(rtr_table_t *t, uint64_t now_ms)
{
    rtr_prune_t pr = {t, now_ms, 0, false};
    rtr_map_each(&t->hosts, rtr_prune_host, &pr);
    return pr.removed;
}

void rtr_table_touch_all(rtr_table_t *t, uint64_t now_ms)
{
    rtr_prune_t pr = {t, now_ms, 0, true};
    rtr_map_each(&t->hosts, rtr_prune_host, &pr);
}

size_t rtr_table_route_count(const rtr_table_t *t)
{
    return t->npools;
}

size_t rtr_table_backend_count(const rtr_table_t *t)
{
    return t->backends.count;
}

static void rtr_json_str(hc_buf_t *out, const char *s)
{
    hc_buf_append_byte(out, '"');
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\')
            hc_buf_appendf(out, "\\%c", c);
        else if (c < 0x20 || c >= 0x7f)
            hc_buf_appendf(out, "\\u%04x", c);
        else
            hc_buf_append_byte(out, (char)c);
    }
    hc_buf_append_byte(out, '"');
}

typedef struct rtr_dump_s {
    hc_buf_t *out;
    bool first;
} rtr_dump_t;

static bool rtr_dump_host(const char *key, void *value, void *data)
{
    (void)key;
    rtr_dump_t *d = data;
    rtr_host_t *h = value;
    for (uint32_t i = 0; i < h->n; i++) {
        rtr_pool_t *p = h->pools[i];
        if (!d->first)
            hc_buf_append_byte(d->out, ',');
        d->first = false;
        rtr_json_str(d->out, p->uri);
        hc_buf_append_str(d->out, ":[");
        for (uint32_t j = 0; j < p->n; j++) {
            rtr_backend_t *be = p->eps[j].be;
            hc_buf_append_str(d->out, j ? ",{\"address\":" : "{\"address\":");
            rtr_json_str(d->out, be->key);
            hc_buf_append_str(d->out, ",\"app\":");
            rtr_json_str(d->out, be->app);
            hc_buf_append_str(d->out, ",\"private_instance_id\":");
            rtr_json_str(d->out, be->instance_id);
            hc_buf_appendf(d->out, ",\"ttl\":%u}", p->eps[j].ttl_ms / 1000u);
        }
        hc_buf_append_byte(d->out, ']');
    }
    return false;
}

void rtr_table_dump_json(rtr_table_t *t, hc_buf_t *out)
{
    rtr_dump_t d = {out, true};
    hc_buf_append_byte(out, '{');
    rtr_map_each(&t->hosts, rtr_dump_host, &d);
    hc_buf_append_byte(out, '}');
}

static bool rtr_free_host(const char *key, void *value, void *data)
{
    (void)key;
    rtr_table_t *t = data;
    rtr_host_t *h = value;
    for (uint32_t i = 0; i < h->n; i++)
        rtr_pool_free(t, h->pools[i]);
    free(h->pools);
    free(h);
    return true;
}

void rtr_table_free(rtr_table_t *t)
{
    if (!t)
        return;
    rtr_map_each(&t->hosts, rtr_free_host, t);
    rtr_map_release(&t->hosts);
    rtr_map_release(&t->backends);
    free(t);
}
