/*
 * net_loopback.h - net_out to the host's loopback (127.0.0.0/8): a container reaches a
 * server that listens on the host's 127.0.0.1 by dialling its gateway (the host side of its
 * veth). Everything lives in warden's own nftables table:
 *
 *   lopre  (nat, prerouting, before warden's own DNAT)  iifname vmap @lomap
 *   lomap  (ifname : verdict)   host-side veth -> jump lo<slot>
 *   lo<slot>  the container's DNATs: ip daddr GATEWAY tcp dport P dnat to 127.0.0.1:P
 *   loin   (nat, input)  what lopre translated gets the source 127.0.0.1, so the server sees a
 *          loopback client, as servers bound to 127.0.0.1 expect (PostgreSQL's pg_hba,
 *          MariaDB's user@localhost); its authentication still applies
 *
 * plus route_localnet on that container's host-side interface only. The filter side is the
 * ordinary net_out rule (the input chain sees the translated address 127.0.0.1:P).
 */
#ifndef HEARTH_WARDEN_NET_LOOPBACK_H
#define HEARTH_WARDEN_NET_LOOPBACK_H

#include <stdbool.h>

#include "wdn_daemon.h"

/* True when `network` (a CIDR already validated by net_out) lies inside 127.0.0.0/8. */
bool wdn_netlo_is_loopback(const char *network);

/*
 * Takes over `script` (the net_out filter rule) and returns it followed by the loopback DNAT
 * commands when the request's network is a loopback one; otherwise returns it unchanged.
 * NULL in, NULL out.
 */
char *wdn_netlo_out(wdn_daemon_t *d, wdn_ctr_t *c, const wdn_req_t *req, char *script);

/*
 * Takes over `script` (the network teardown) and returns it preceded by the removal of the
 * container's loopback DNATs when it has any loopback net_out rule; otherwise unchanged.
 */
char *wdn_netlo_teardown(wdn_daemon_t *d, wdn_ctr_t *c, char *script);

#endif
