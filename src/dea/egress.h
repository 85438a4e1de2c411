/*
 * egress.h - what a staging container may reach: buildpacks download dependencies (npm,
 * pip, ...), so unless `staging_egress` is off the DEA asks warden, before the buildpacks
 * run, for a net_out to each of the host's DNS resolvers (udp and tcp 53; a resolver on the
 * host's loopback is reached through the container's gateway, which warden translates) and
 * for each rule of the `staging_net_out` allow-list (default tcp 80 and 443 to 0.0.0.0/0,
 * which warden keeps off the other containers and the host's own addresses). App containers
 * get none of this: only the rules their bound services need (svcnet.h).
 *
 * The parsing and rule building are pure (unit-tested).
 */
#ifndef HEARTH_DEA_EGRESS_H
#define HEARTH_DEA_EGRESS_H

#include <stddef.h>
#include <stdint.h>

#include "hc_base.h"
#include "hc_resolv.h"

#define DEA_EGRESS_MAX_RULES 32
#define DEA_EGRESS_DEFAULT "tcp:0.0.0.0/0:80,tcp:0.0.0.0/0:443"

typedef struct dea_egress_rule_s {
    char protocol[8]; /* tcp, udp, icmp, all */
    char network[20]; /* a.b.c.d/n */
    uint16_t port;    /* 0: any (tcp, udp, all) */
} dea_egress_rule_t;

/*
 * Parses an allow-list entry "PROTO:NETWORK[:PORT]" (tcp:0.0.0.0/0:443, udp:10.0.0.2/32:123,
 * all:192.168.0.0/16, icmp:0.0.0.0/0); a network without /n is a /32. Returns 0, or -EINVAL
 * with err set.
 */
int dea_egress_parse(const char *spec, dea_egress_rule_t *out, hc_err_t *err);

/*
 * The rules of a staging container: udp and tcp 53 to each resolver of dns, then each valid
 * entry of allow (a NULL-terminated list, may be NULL), at most max. Returns the count.
 */
size_t dea_egress_rules(char *const *allow, const hc_resolv_t *dns, dea_egress_rule_t *out,
                        size_t max);

#endif
