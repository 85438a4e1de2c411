/*
 * net.c - container networking: a veth pair per container (host side <prefix><slot>-0 with
 * .1 of the container's /30, container side renamed eth0 with .2), and one nftables table of
 * our own (family ip, name from the config) so warden never edits anyone else's rules:
 *
 *   outmap  (ifname : verdict)   host-side veth -> jump to the container's net_out chain
 *   portmap (port : addr . port) net_in: host port -> container ip and port
 *   input    containers reach the host only through net_out rules (no control-plane ports)
 *   forward  containers reach nothing beyond the host but what net_out allows, never each
 *            other; mapped ports are reachable from outside; replies come back to what
 *            net_out let out
 *   prerouting/output  DNAT of local addresses (127.0.0.1 too, with route_localnet on the
 *            veth) through portmap
 *   postrouting  masquerade of loopback sources toward containers and of the pool outward
 *
 * net_out rules to the host's loopback: net_loopback.h; to the outside world (forwarding,
 * rules as wide as 0.0.0.0/0, the containers' resolv.conf): net_egress.h.
 *
 * Deleting the table (`nft delete table ip NAME`) removes everything warden ever added.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "hc_buf.h"
#include "hc_fs.h"
#include "hc_ipv4.h"
#include "hc_log.h"
#include "hc_proc.h"
#include "lib/wdn_util.h"
#include "net_egress.h"
#include "net_loopback.h"
#include "wdn_daemon.h"

#define NFT "/usr/sbin/nft"
#define NFT_TIMEOUT_MS 30000

/* Start-up only (before the loop runs): runs argv to completion; returns its status or -errno. */
static int run_wait(char *const argv[])
{
    hc_proc_opts_t o = {.argv = argv};
    hc_proc_result_t res = {0};
    hc_err_t err = {0};
    int r = hc_proc_run(&o, NFT_TIMEOUT_MS, 0, &res, &err);
    if (r == 0)
        r = res.term_signal ? 128 + res.term_signal : (int)res.exit_status;
    hc_proc_result_release(&res);
    return r;
}

/* Feeds an nft script through a file in the data dir (nft -f). */
static int run_nft(wdn_daemon_t *d, const char *script)
{
    char path[PATH_MAX];
    hc_err_t err = {0};
    if (wdn_path(path, sizeof(path), "%s/nft-init.nft", d->conf.data_dir) < 0)
        return -ENAMETOOLONG;
    int r = hc_atomic_write_file(AT_FDCWD, path, script, strlen(script), 0600, &err);
    if (r < 0)
        return r;
    char *argv[] = {NFT, "-f", path, NULL};
    r = run_wait(argv);
    unlink(path);
    return r;
}

static uint32_t pool_base(wdn_daemon_t *d)
{
    struct in_addr a;
    if (inet_pton(AF_INET, d->conf.net_pool, &a) != 1)
        return 0;
    return ntohl(a.s_addr);
}

static unsigned pool_prefix(wdn_daemon_t *d)
{
    unsigned bits = 2;
    while (bits < 24 && (1u << bits) < 4u * d->conf.max_containers)
        bits++;
    return 32 - bits;
}

static void fmt_ip(uint32_t v, char out[16])
{
    struct in_addr a = {htonl(v)};
    inet_ntop(AF_INET, &a, out, 16);
}

void wdn_net_pool(wdn_daemon_t *d, char pool[16], unsigned *prefix)
{
    fmt_ip(pool_base(d), pool);
    *prefix = pool_prefix(d);
}

void wdn_net_addrs(wdn_daemon_t *d, unsigned slot, char host[16], char ctr[16])
{
    uint32_t b = pool_base(d) + 4u * slot;
    fmt_ip(b + 1, host);
    fmt_ip(b + 2, ctr);
}

void wdn_net_names(wdn_daemon_t *d, unsigned slot, char host[32], char peer[32])
{
    snprintf(host, 32, "%s%u-0", d->conf.iface_prefix, slot);
    snprintf(peer, 32, "%s%u-1", d->conf.iface_prefix, slot);
}

/*
 * Every slot's net_out chain and its outmap entry exist from the start (an entry whose
 * interface does not exist matches nothing), so creating a container runs no nft at all;
 * teardown only flushes the chain. "add" is idempotent, so a kept table is completed too.
 */
static int net_slots(wdn_daemon_t *d, hc_err_t *err)
{
    const char *t = d->conf.nft_table, *f = d->conf.iface_prefix;
    char pool[16];
    fmt_ip(pool_base(d), pool);
    hc_buf_t b;
    hc_buf_init(&b, 0);
    /* The forward chain is re-made in the same transaction, so a table kept from an older
     * version gets today's rules (replies to what net_out let out come back in). */
    hc_buf_appendf(&b,
                   "flush chain ip %s forward\n"
                   "table ip %s {\n"
                   " chain forward { type filter hook forward priority filter; policy accept;\n"
                   "  iifname \"%s*\" ct state established,related accept\n"
                   "  iifname \"%s*\" iifname vmap @outmap\n"
                   "  iifname \"%s*\" oifname \"%s*\" drop\n"
                   "  oifname \"%s*\" ct state established,related accept\n"
                   "  oifname \"%s*\" ct status dnat accept\n"
                   "  iifname \"%s*\" ip daddr %s/%u drop\n"
                   "  oifname \"%s*\" drop\n"
                   "  iifname \"%s*\" drop\n"
                   " }\n"
                   "}\n",
                   t, t, f, f, f, f, f, f, f, pool, pool_prefix(d), f, f);
    for (unsigned s = 0; s < d->conf.max_containers; s++)
        hc_buf_appendf(&b, "add chain ip %s c%u\n", t, s);
    for (unsigned s = 0; s < d->conf.max_containers; s++)
        hc_buf_appendf(&b, "add element ip %s outmap { \"%s%u-0\" : jump c%u }\n", t,
                       d->conf.iface_prefix, s, s);
    char *script = hc_buf_detach(&b, NULL);
    int r = run_nft(d, script);
    free(script);
    if (r != 0)
        return hc_err_set(err, -EIO, "nft: cannot create the slots' chains in `%s` (exit %d)", t,
                          r);
    return 0;
}

void wdn_net_fini(wdn_daemon_t *d)
{
    char *del[] = {NFT, "delete", "table", "ip", d->conf.nft_table, NULL};
    if (run_wait(del) != 0)
        hc_log_warn("cannot delete the nftables table", "table", d->conf.nft_table);
}

int wdn_net_init(wdn_daemon_t *d, hc_err_t *err)
{
    if (pool_base(d) == 0 || (pool_base(d) & 3))
        return hc_err_set(err, -EINVAL, "net_pool `%s` must be an IPv4 address on a /30 boundary",
                          d->conf.net_pool);

    char *list[] = {NFT, "list", "table", "ip", d->conf.nft_table, NULL};
    if (run_wait(list) == 0)
        return net_slots(d, err); /* kept from a previous run, with the containers using it */
    char pool[16];
    fmt_ip(pool_base(d), pool);
    const char *t = d->conf.nft_table, *f = d->conf.iface_prefix;
    char *script = hc_asprintf(
        "table ip %s {\n"
        " map outmap { type ifname : verdict; }\n"
        " map portmap { type inet_service : ipv4_addr . inet_service; }\n"
        " chain input { type filter hook input priority filter; policy accept;\n"
        "  iifname \"%s*\" ct state established,related accept\n"
        "  iifname \"%s*\" iifname vmap @outmap\n"
        "  iifname \"%s*\" drop\n"
        " }\n"
        " chain forward { type filter hook forward priority filter; policy accept; }\n"
        " chain prerouting { type nat hook prerouting priority dstnat; policy accept;\n"
        "  fib daddr type local dnat to tcp dport map @portmap\n"
        " }\n"
        " chain output { type nat hook output priority -100; policy accept;\n"
        "  fib daddr type local dnat to tcp dport map @portmap\n"
        " }\n"
        " chain postrouting { type nat hook postrouting priority srcnat; policy accept;\n"
        "  oifname \"%s*\" ip saddr 127.0.0.0/8 masquerade\n"
        "  ip saddr %s/%u oifname != \"%s*\" masquerade\n"
        " }\n"
        "}\n",
        t, f, f, f, f, pool, pool_prefix(d), f);
    int r = run_nft(d, script);
    free(script);
    if (r != 0)
        return hc_err_set(err, -EIO, "nft: cannot create table `%s` (exit %d)", t, r);
    return net_slots(d, err);
}

char *wdn_net_teardown_script(wdn_daemon_t *d, wdn_ctr_t *c)
{
    /* The veth pair needs no removal: it goes with the container's network namespace when
     * its last process dies (and a stale one is replaced when the slot is reused). Only
     * nftables state is left to undo, and only when the container made some. */
    if (json_array_size(c->ports) == 0 && json_array_size(c->net_out) == 0)
        return NULL;
    const char *t = d->conf.nft_table;
    unsigned s = c->slot;
    hc_buf_t b;
    hc_buf_init(&b, 0);
    size_t i;
    json_t *p;
    json_array_foreach(c->ports, i, p)
        hc_buf_appendf(&b, "nft delete element ip %s portmap '{ %d }' 2>/dev/null\n", t,
                       (int)json_integer_value(json_object_get(p, "host_port")));
    hc_buf_appendf(&b, "nft flush chain ip %s c%u 2>/dev/null\nexit 0\n", t, s);
    return wdn_netlo_teardown(d, c, hc_buf_detach(&b, NULL));
}

char *wdn_net_in_script(wdn_daemon_t *d, wdn_ctr_t *c, unsigned host_port, unsigned ctr_port)
{
    char host[16], ctr[16];
    wdn_net_addrs(d, c->slot, host, ctr);
    return hc_asprintf("nft add element ip %s portmap '{ %u : %s . %u }'\n", d->conf.nft_table,
                       host_port, ctr, ctr_port);
}

char *wdn_net_out_script(wdn_daemon_t *d, wdn_ctr_t *c, const wdn_req_t *req, hc_err_t *err)
{
    char net[64] = "";
    if (req->network) {
        /* Validate the CIDR strictly: it is pasted into an nft command. */
        char addr[INET_ADDRSTRLEN];
        unsigned bits;
        struct in_addr a;
        if (!hc_cidr4_parse(req->network, strlen(req->network), &a, &bits) ||
            !inet_ntop(AF_INET, &a, addr, sizeof(addr)))
            goto bad;
        snprintf(net, sizeof(net), "ip daddr %s/%u ", addr, bits);
    }
    const char *proto = req->protocol ? req->protocol : (req->port ? "tcp" : "all");
    char match[128] = "";
    if (strcmp(proto, "tcp") == 0 || strcmp(proto, "udp") == 0) {
        if (req->port)
            snprintf(match, sizeof(match), "%s dport %u ", proto, req->port);
        else
            snprintf(match, sizeof(match), "meta l4proto %s ", proto);
    } else if (strcmp(proto, "icmp") == 0) {
        snprintf(match, sizeof(match), "meta l4proto icmp ");
    }
    char guard[96];
    wdn_netx_guard(d, req->network, guard, sizeof(guard));
    char *rule = hc_asprintf("nft add rule ip %s c%u %s%s%saccept\n", d->conf.nft_table, c->slot,
                             net, guard, match);
    return wdn_netx_out(d, req, wdn_netlo_out(d, c, req, rule));
bad:
    hc_err_set(err, -EINVAL, "`network` must be an IPv4 CIDR like 10.0.0.0/8");
    return NULL;
}

int wdn_port_alloc(wdn_daemon_t *d, unsigned want)
{
    unsigned n = d->conf.port_count;
    if (want) {
        if (want < d->conf.port_base || want >= d->conf.port_base + n)
            return -ERANGE;
        if (d->ports[want - d->conf.port_base])
            return -EADDRINUSE;
        d->ports[want - d->conf.port_base] = 1;
        return (int)want;
    }
    for (unsigned i = 0; i < n; i++) {
        if (!d->ports[i]) {
            d->ports[i] = 1;
            return (int)(d->conf.port_base + i);
        }
    }
    return -ENOSPC;
}

void wdn_port_release(wdn_daemon_t *d, unsigned port)
{
    if (port >= d->conf.port_base && port < d->conf.port_base + d->conf.port_count)
        d->ports[port - d->conf.port_base] = 0;
}
