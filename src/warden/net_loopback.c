/*
 * net_loopback.c - net_out whose network is on the host's loopback (see net_loopback.h).
 *
 * Each command batch goes through one `nft -f`, so it applies atomically: the base chain
 * `lopre` is (re)created and its single rule re-made in the same transaction that adds the
 * container's DNAT, which keeps concurrent net_out calls and a table kept from an earlier
 * run consistent without a check-then-add race.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#include "hc_buf.h"
#include "hc_ipv4.h"
#include "net_loopback.h"

bool wdn_netlo_is_loopback(const char *network)
{
    struct in_addr a;
    unsigned bits;
    if (!network || !hc_cidr4_parse(network, strlen(network), &a, &bits))
        return false;
    return bits >= 8 && (ntohl(a.s_addr) >> 24) == 127;
}

static bool has_loopback_rule(const wdn_ctr_t *c)
{
    size_t i;
    json_t *r;
    json_array_foreach(c->net_out, i, r)
    {
        if (wdn_netlo_is_loopback(json_string_value(json_object_get(r, "network"))))
            return true;
    }
    return false;
}

char *wdn_netlo_out(wdn_daemon_t *d, wdn_ctr_t *c, const wdn_req_t *req, char *script)
{
    if (!script || !wdn_netlo_is_loopback(req->network))
        return script;
    struct in_addr a;
    unsigned bits;
    (void)hc_cidr4_parse(req->network, strlen(req->network), &a, &bits);
    /* A single address is the target itself; a wider loopback network means 127.0.0.1. */
    char target[16] = "127.0.0.1";
    if (bits == 32)
        inet_ntop(AF_INET, &a, target, sizeof(target));
    const char *proto = req->protocol ? req->protocol : (req->port ? "tcp" : "all");
    char match[64], to[32];
    if (strcmp(proto, "icmp") == 0)
        return script; /* the gateway answers pings itself; nothing to translate */
    if (strcmp(proto, "all") == 0 && !req->port) {
        snprintf(match, sizeof(match), "%s", "");
        snprintf(to, sizeof(to), "%s", target);
    } else if (strcmp(proto, "all") == 0) {
        /* a port with "all": tcp and udp, as the filter rule cannot say more */
        snprintf(match, sizeof(match), "meta l4proto { tcp, udp } th dport %u ", req->port);
        snprintf(to, sizeof(to), "%s:%u", target, req->port);
    } else if (req->port) {
        snprintf(match, sizeof(match), "%s dport %u ", proto, req->port);
        snprintf(to, sizeof(to), "%s:%u", target, req->port);
    } else {
        snprintf(match, sizeof(match), "meta l4proto %s ", proto);
        snprintf(to, sizeof(to), "%s", target);
    }
    char host[16], ctr[16];
    wdn_net_addrs(d, c->slot, host, ctr);
    const char *t = d->conf.nft_table, *f = d->conf.iface_prefix;
    unsigned s = c->slot;
    hc_buf_t b;
    hc_buf_init(&b, 0);
    hc_buf_appendf(&b, "set -e\n%s", script);
    free(script);
    hc_buf_appendf(&b,
                   "echo 1 > /proc/sys/net/ipv4/conf/%s%u-0/route_localnet\n"
                   "nft -f - <<'EOF'\n"
                   "add map ip %s lomap { type ifname : verdict; }\n"
                   "add chain ip %s lopre { type nat hook prerouting priority dstnat - 10; "
                   "policy accept; }\n"
                   "flush chain ip %s lopre\n"
                   "add rule ip %s lopre iifname vmap @lomap\n"
                   "add chain ip %s lo%u\n"
                   "add element ip %s lomap { \"%s%u-0\" : jump lo%u }\n"
                   "add rule ip %s lo%u ip daddr %s %sdnat to %s\n"
                   "add chain ip %s loin { type nat hook input priority 90; "
                   "policy accept; }\n"
                   "flush chain ip %s loin\n"
                   "add rule ip %s loin iifname \"%s*\" ip daddr 127.0.0.0/8 ct status dnat "
                   "snat to 127.0.0.1\n"
                   "EOF\n",
                   f, s, t, t, t, t, t, s, t, f, s, s, t, s, host, match, to, t, t, t, f);
    return hc_buf_detach(&b, NULL);
}

char *wdn_netlo_teardown(wdn_daemon_t *d, wdn_ctr_t *c, char *script)
{
    if (!script || !has_loopback_rule(c))
        return script;
    const char *t = d->conf.nft_table, *f = d->conf.iface_prefix;
    unsigned s = c->slot;
    char *out = hc_asprintf("nft delete element ip %s lomap '{ \"%s%u-0\" }' 2>/dev/null\n"
                            "nft delete chain ip %s lo%u 2>/dev/null || "
                            "{ nft flush chain ip %s lo%u; nft delete chain ip %s lo%u; } "
                            "2>/dev/null\n"
                            "%s",
                            t, f, s, t, s, t, s, t, s, script);
    free(script);
    return out;
}
