/*
 * wdn_netdev.h - the container's network plumbing done in-process by the __init helper: the
 * veth pair through rtnetlink, addresses, links and the default route through ioctls, the
 * per-interface sysctls through /proc/sys. This replaces five `ip`/`nsenter` runs per
 * container. None of these functions allocate, so they may run between fork and exec.
 */
#ifndef HEARTH_WARDEN_NETDEV_H
#define HEARTH_WARDEN_NETDEV_H

#include <sys/types.h>

#include "hc_base.h"

/* Opens an rtnetlink socket bound to the caller's current network namespace. */
int wdn_nl_open(hc_err_t *err);
/*
 * Creates a veth pair: `host` in the socket's namespace, `peer` in the namespace of
 * peer_netns_fd (-1: the socket's too). Creating the peer in place is much cheaper than
 * moving it afterwards, which waits for an RCU grace period.
 */
int wdn_nl_veth_add(int nl, const char *host, const char *peer, int peer_netns_fd, hc_err_t *err);
/* Deletes a link; a missing one is fine. */
int wdn_nl_link_del(int nl, const char *name, hc_err_t *err);
/* Moves link `name` (in the socket's namespace) into the namespace of netns_fd. */
int wdn_nl_link_to_ns(int nl, const char *name, int netns_fd, hc_err_t *err);

/* In the caller's namespace: renames a link (it must be down). */
int wdn_if_rename(const char *from, const char *to, hc_err_t *err);
/* Sets an IPv4 address with a prefix length and brings the link up. */
int wdn_if_addr_up(const char *name, const char *addr, unsigned prefix, hc_err_t *err);
/* Adds the default route via gw. */
int wdn_route_default(const char *gw, hc_err_t *err);

#endif
