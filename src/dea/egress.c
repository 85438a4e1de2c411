/* egress.c - the net_out rules of staging containers (see egress.h). */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "egress.h"
#include "hc_ipv4.h"

int dea_egress_parse(const char *spec, dea_egress_rule_t *out, hc_err_t *err)
{
    memset(out, 0, sizeof(*out));
    const char *c1 = spec ? strchr(spec, ':') : NULL;
    if (!c1)
        goto bad;
    size_t plen = (size_t)(c1 - spec);
    static const char *const protos[] = {"tcp", "udp", "icmp", "all"};
    for (size_t i = 0; i < HC_ARRAY_SIZE(protos) && !out->protocol[0]; i++)
        if (plen == strlen(protos[i]) && memcmp(spec, protos[i], plen) == 0)
            memcpy(out->protocol, protos[i], plen + 1);
    if (!out->protocol[0])
        goto bad;
    const char *net = c1 + 1, *c2 = strchr(net, ':');
    size_t nlen = c2 ? (size_t)(c2 - net) : strlen(net);
    char addr[INET_ADDRSTRLEN];
    struct in_addr a;
    unsigned bits;
    uint64_t port = 0;
    if (!hc_cidr4_parse(net, nlen, &a, &bits) || !inet_ntop(AF_INET, &a, addr, sizeof(addr)))
        goto bad;
    if (c2 && (hc_parse_u64(c2 + 1, strlen(c2 + 1), 65535, &port) < 0 || port == 0))
        goto bad;
    if (port && strcmp(out->protocol, "icmp") == 0)
        goto bad;
    snprintf(out->network, sizeof(out->network), "%s/%u", addr, bits);
    out->port = (uint16_t)port;
    return 0;
bad:
    memset(out, 0, sizeof(*out));
    return hc_err_set(err, -EINVAL,
                      "staging_net_out entry `%.64s` is not PROTO:NETWORK[:PORT] "
                      "(tcp:0.0.0.0/0:443, udp:10.0.0.2/32:123, all:192.168.0.0/16)",
                      spec ? spec : "");
}

static void add(dea_egress_rule_t *out, size_t *n, size_t max, const char *proto,
                const char *network, uint16_t port)
{
    if (*n >= max)
        return;
    dea_egress_rule_t *r = &out[(*n)++];
    snprintf(r->protocol, sizeof(r->protocol), "%s", proto);
    snprintf(r->network, sizeof(r->network), "%s", network);
    r->port = port;
}

size_t dea_egress_rules(char *const *allow, const hc_resolv_t *dns, dea_egress_rule_t *out,
                        size_t max)
{
    size_t n = 0;
    for (size_t i = 0; dns && i < dns->n; i++) {
        char net[20];
        snprintf(net, sizeof(net), "%s/32", dns->ns[i]);
        add(out, &n, max, "udp", net, 53);
        add(out, &n, max, "tcp", net, 53);
    }
    for (size_t i = 0; allow && allow[i]; i++) {
        dea_egress_rule_t r;
        hc_err_t err = {0};
        if (dea_egress_parse(allow[i], &r, &err) == 0)
            add(out, &n, max, r.protocol, r.network, r.port);
    }
    return n;
}
