/*
 * svcnet.h - the network path from an app instance to its bound services.
 *
 * A service's credentials name where it listens: `hostname`/`host` + `port`, and URIs
 * (`uri`, `url`, `jdbcUrl`, arrays `uris`/`urls`) such as redis://u:pw@127.0.0.1:6379/0.
 * Before the app starts the DEA asks warden for a `net_out` rule to each such host:port, and
 * a loopback host (127.x, localhost, ::1: inside the container that is the container
 * itself) is rewritten, in the VCAP_SERVICES the app sees, to the container's gateway, which
 * warden translates to the host's 127.0.0.1 for exactly the allowed ports. Everything else in
 * the credentials stays byte-identical.
 *
 * The parsing and rewriting functions are pure (unit-tested and fuzzed: the start message
 * comes from the bus); dea_svcnet_then() is the asynchronous step in the start path.
 */
#ifndef HEARTH_DEA_SVCNET_H
#define HEARTH_DEA_SVCNET_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dea.h"

#define DEA_SVCNET_MAX_TARGETS 64 /* distinct host:port pairs opened per instance */
#define DEA_SVCNET_MAX_HOST 255

/* Where a URI's host is: host[0..host_len) unbracketed, span[..] the bytes to replace. */
typedef struct dea_svc_uri_s {
    const char *host;
    size_t host_len;
    size_t span_off, span_len; /* host as written, [brackets] included */
    uint16_t port;             /* explicit, else the scheme's default, else 0 */
} dea_svc_uri_t;

typedef struct dea_svc_target_s {
    char host[DEA_SVCNET_MAX_HOST + 1];
    uint16_t port;
} dea_svc_target_t;

/*
 * Parses "scheme://[userinfo@]host[:port][/path][?query][#frag]" (RFC 3986 authority; the
 * scheme may hold ':' as in jdbc:postgresql://). Returns 0, or -EINVAL when the bytes are not
 * such a URI (no "://", empty host, bad port, NUL bytes, ...).
 */
int dea_svcnet_parse_uri(const char *s, size_t len, dea_svc_uri_t *out);

/* 127.0.0.0/8 in dotted-quad form, "localhost" (any case), "::1" or "[::1]". */
bool dea_svcnet_is_loopback(const char *host, size_t len);

/*
 * Collects the distinct host:port pairs that the credentials of `services` (the start
 * message's array of services, or VCAP_SERVICES' {label: [service, ...]}) name, at most max.
 * Entries without a usable host or port are skipped. Returns the number written.
 */
size_t dea_svcnet_targets(const json_t *services, dea_svc_target_t *out, size_t max);

/*
 * The warden net_out network for a target: "a.b.c.d/32" for an IPv4 literal, 127.0.0.1/32 for
 * localhost and ::1. False for names (not resolved here) and other IPv6 addresses.
 */
bool dea_svcnet_network(const dea_svc_target_t *t, char out[32]);

/*
 * Replaces every loopback host in the credentials of `services` (same shapes as above) by
 * `gw`, in place: hostname, host, and the host part of uri, url, jdbcUrl, uris[], urls[].
 * Returns the number of strings changed.
 */
size_t dea_svcnet_rewrite(json_t *services, const char *gw);

/*
 * The start step: asks warden (on w) for the container's gateway, for a net_out to every
 * target of in->s.services, rewrites the loopback hosts in in->s.services, then sends req with
 * cb and data. Behaves like hc_warden_request: returns 0 (cb will be called once, with the
 * error of the first failing step if any) or a negative error (cb never called, req freed).
 */
int dea_svcnet_then(dea_inst_t *in, hc_warden_t *w, json_t *req, hc_warden_cb cb, void *data);

#endif
