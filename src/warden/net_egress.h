/*
 * net_egress.h - net_out toward the outside world (not the host's loopback, see
 * net_loopback.h):
 *
 *   forwarding  a container's packets to other hosts (or containers) are routed by the host,
 *          so the first such rule turns net.ipv4.ip_forward on (a host-wide setting, as Docker
 * does). It is never turned off again: other wardens, Docker or libvirt on the same host may rely
 * on it, and warden's own table still drops whatever no rule accepts (containers -> anything,
 * outside -> containers except mapped ports). wide rules  a rule whose network covers the whole
 * container pool (0.0.0.0/0, or no network at all) means "the outside": it does not open the other
 * containers nor the host's own addresses (control-plane ports, the gateway). Those stay reachable
 *          only through a rule naming them (a /32 in the pool, the host's address, 127.0.0.1).
 *   resolv.conf  every container with a network gets /etc/resolv.conf from the host's, a
 *          resolver on the host's loopback (a local stub) replaced by the container's
 *          gateway, which a net_out to that resolver's address translates (net_loopback.c).
 */
#ifndef HEARTH_WARDEN_NET_EGRESS_H
#define HEARTH_WARDEN_NET_EGRESS_H

#include <stdbool.h>

#include "wdn_daemon.h"

#define WDN_IP_FORWARD "/proc/sys/net/ipv4/ip_forward"
#define WDN_HOST_RESOLV "/etc/resolv.conf"

/*
 * True when `network` (NULL, or a CIDR already validated by net_out) covers every address
 * of the container pool.
 */
bool wdn_netx_is_wide(wdn_daemon_t *d, const char *network);

/*
 * The match that keeps a wide rule off the pool and the host's own addresses
 * ("ip daddr != POOL/N fib daddr type != local "), or "" for other networks; into out.
 */
void wdn_netx_guard(wdn_daemon_t *d, const char *network, char *out, size_t size);

/*
 * Takes over `script` (the net_out filter rule) and returns it preceded by the command that
 * turns IPv4 forwarding on (failing the request when it cannot) when the rule's network is
 * neither the host's loopback nor one address of the host (its gateway, say); NULL in,
 * NULL out.
 */
char *wdn_netx_out(wdn_daemon_t *d, const wdn_req_t *req, char *script);

/*
 * Writes etc_dir/resolv.conf for container c from the host's resolv.conf (conf
 * `resolv_conf`, default WDN_HOST_RESOLV; see above).
 * Returns 0, or -errno with err set; a host without /etc/resolv.conf is not an error (the
 * base image's copy stays).
 */
int wdn_netx_resolv(wdn_daemon_t *d, wdn_ctr_t *c, const char *etc_dir, hc_err_t *err);

#endif
