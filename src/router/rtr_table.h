/*
 * rtr_table.h - the route table: host -> paths -> pool of endpoints.
 *
 * Hosts are kept lower-cased without a port in a hash map, so a lookup costs O(1) in the
 * number of routes; each host holds its path routes ordered longest first ("" is the bare
 * host), and a request matches the longest path prefix that ends at a segment boundary.
 * A host with no exact entry falls back to wildcard routes "*.example.com", most specific
 * first. Backends (ip:port) are shared by every route that points at them and carry the
 * state the proxy needs across requests: in-flight count, failure cool-down, idle
 * keep-alive connections.
 *
 * All functions run on the loop thread.
 */
#ifndef HEARTH_RTR_TABLE_H
#define HEARTH_RTR_TABLE_H

#include <netinet/in.h>
#include <sys/socket.h>

#include "hc_base.h"
#include "hc_buf.h"
#include "rtr_map.h"
#include "rtr_reg.h"

#define RTR_MAX_HOST 253

typedef struct rtr_backend_s {
    char key[80]; /* "ip:port", the backend index key */
    char ip[64];
    uint16_t port;
    struct sockaddr_storage addr;
    char app[RTR_REG_MAX_ID + 1];
    char instance_id[RTR_REG_MAX_ID + 1];
    char index[16];
    uint32_t routes;          /* endpoints in pools pointing here */
    uint32_t refs;            /* holders outside the table (in-flight exchanges) */
    uint32_t active;          /* in-flight requests: least-connections and the per-backend cap */
    uint64_t failed_until_ms; /* not picked before this time unless nothing else is left */
    void *idle;               /* the proxy's idle keep-alive connections (its list) */
    uint32_t idle_count;
    bool gone; /* no longer in the table; freed when refs drops to 0 */
} rtr_backend_t;

typedef struct rtr_endpoint_s {
    rtr_backend_t *be;
    uint64_t updated_ms;
    uint32_t ttl_ms;
} rtr_endpoint_t;

typedef struct rtr_pool_s {
    char *uri;   /* normalised "host/path" (path may be empty) */
    size_t plen; /* length of the path part, '/' included */
    const char *path;
    rtr_endpoint_t *eps;
    uint32_t n, cap;
    uint32_t rr; /* round-robin cursor */
    /* A pool whose last endpoint left is kept, empty, for the TTL that endpoint had, so its
     * route answers 503 no_endpoints rather than 404 unknown_route (gorouter's behaviour). */
    uint64_t emptied_ms;
    uint32_t keep_ms;
} rtr_pool_t;

typedef struct rtr_table_s rtr_table_t;
typedef void (*rtr_backend_gone_fn)(rtr_backend_t *be, void *data);

rtr_table_t *rtr_table_new(uint32_t default_ttl_ms);
void rtr_table_free(rtr_table_t *t);
/* Called when a backend leaves the table (so the proxy closes its idle connections). */
void rtr_table_on_backend_gone(rtr_table_t *t, rtr_backend_gone_fn fn, void *data);

/*
 * Adds or refreshes the endpoint (reg->host, reg->port) on every URI of reg. Returns the
 * number of URIs applied (URIs that do not normalise are skipped). Borrows reg.
 */
size_t rtr_table_register(rtr_table_t *t, const rtr_reg_t *reg, uint64_t now_ms);
/*
 * Removes the endpoint from every URI of reg. A pool left empty stays in the table (lookups
 * find it with n == 0) until rtr_table_prune finds it empty for longer than the removed
 * endpoint's TTL. Returns removals.
 */
size_t rtr_table_unregister(rtr_table_t *t, const rtr_reg_t *reg, uint64_t now_ms);

/*
 * Finds the pool for a request: host as sent in the Host header (any case, optional :port),
 * path the request path (no query). The longest matching route with endpoints wins (exact
 * host before wildcards); when every match is empty, the one that would have won is returned
 * with n == 0 (503 no_endpoints). Returns NULL for an unknown route. The pool stays valid
 * until the next register/unregister/prune call.
 */
rtr_pool_t *rtr_table_lookup(rtr_table_t *t, hc_str_t host, hc_str_t path);

/* Removes endpoints not refreshed within their TTL, and pools empty for longer than their
 * last endpoint's TTL. Returns how many endpoints were removed. */
size_t rtr_table_prune(rtr_table_t *t, uint64_t now_ms);
/* Refreshes every endpoint (dial tone while the bus is away: nothing expires). */
void rtr_table_touch_all(rtr_table_t *t, uint64_t now_ms);

size_t rtr_table_route_count(const rtr_table_t *t); /* URIs (pools) */
size_t rtr_table_backend_count(const rtr_table_t *t);
/* Appends the table as JSON {"uri":[{"address":"ip:port","app":...},...],...} to out. */
void rtr_table_dump_json(rtr_table_t *t, hc_buf_t *out);

/* Takes / drops a reference held by an in-flight exchange (the backend outlives the route). */
void rtr_backend_ref(rtr_backend_t *be);
void rtr_backend_unref(rtr_backend_t *be);

/*
 * Normalises "Host.Example.COM:8080" into lower-case "host.example.com" in out (size
 * RTR_MAX_HOST + 1). Returns the length, or -EINVAL for an empty or oversized host.
 */
int rtr_host_normalize(hc_str_t host, char *out);

#endif
