/*
 * hc_resolv.h - the host's DNS resolvers as resolv.conf(5) names them, for containers.
 *
 * Only what a container needs is read: the IPv4 `nameserver` lines (at most
 * HC_RESOLV_MAX_NS, as the C library uses no more) and the `search`/`domain`/`options`
 * lines, which are passed on unchanged. IPv6 nameservers and malformed lines are skipped,
 * comments (# or ;) ignored. Pure functions, any thread.
 */
#ifndef HEARTH_CORE_RESOLV_H
#define HEARTH_CORE_RESOLV_H

#include <stdbool.h>
#include <stddef.h>

#include "hc_base.h"

#define HC_RESOLV_MAX_NS 3
#define HC_RESOLV_MAX_TEXT ((size_t)64 * 1024) /* bytes of resolv.conf read */

typedef struct hc_resolv_s {
    char ns[HC_RESOLV_MAX_NS][16]; /* dotted quads, in file order, no duplicates */
    size_t n;
} hc_resolv_t;

/* Parses resolv.conf text (any bytes, NULs included). Returns the number of nameservers. */
size_t hc_resolv_parse(const char *text, size_t len, hc_resolv_t *out);

/*
 * Reads and parses the file at path (at most HC_RESOLV_MAX_TEXT bytes). Returns the number
 * of nameservers (0 is not an error), or -errno with err set when it cannot be read.
 */
int hc_resolv_read(const char *path, hc_resolv_t *out, hc_err_t *err);

/* True when the dotted quad `ip` lies in 127.0.0.0/8. */
bool hc_resolv_is_loopback(const char *ip);

/*
 * A resolv.conf for a container whose gateway (the host's end of its link) is `gw`: the
 * same nameservers, a loopback one (the host's own stub resolver, unreachable as such from
 * another network namespace) replaced by gw, once; the search/domain/options lines kept.
 * Returns a malloc'd NUL-terminated text the caller frees.
 */
char *hc_resolv_for_container(const char *text, size_t len, const char *gw);

#endif
