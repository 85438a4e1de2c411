/* net_egress.c - net_out toward the outside world and the containers' resolv.conf. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <ifaddrs.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "hc_fs.h"
#include "hc_ipv4.h"
#include "hc_log.h"
#include "hc_resolv.h"
#include "lib/wdn_util.h"
#include "net_egress.h"
#include "net_loopback.h"

bool wdn_netx_is_wide(wdn_daemon_t *d, const char *network)
{
    if (!network)
        return true;
    char pool[16];
    unsigned pool_bits;
    wdn_net_pool(d, pool, &pool_bits);
    unsigned bits;
    struct in_addr a, p;
    if (!hc_cidr4_parse(network, strlen(network), &a, &bits) || inet_pton(AF_INET, pool, &p) != 1)
        return false;
    if (bits > pool_bits)
        return false;
    uint32_t mask = bits == 0 ? 0 : ~0u << (32 - bits);
    return (ntohl(a.s_addr) & mask) == (ntohl(p.s_addr) & mask);
}

void wdn_netx_guard(wdn_daemon_t *d, const char *network, char *out, size_t size)
{
    out[0] = '\0';
    if (!wdn_netx_is_wide(d, network))
        return;
    char pool[16];
    unsigned bits;
    wdn_net_pool(d, pool, &bits);
    snprintf(out, size, "ip daddr != %s/%u fib daddr type != local ", pool, bits);
}

/* True when network is a single address of this host (the gateway, say): no routing needed. */
static bool is_host_address(const char *network)
{
    if (!network)
        return false;
    const char *slash = strchr(network, '/');
    if (slash && strcmp(slash, "/32") != 0)
        return false;
    struct in_addr a;
    if (!hc_ipv4_parse(network, slash ? (size_t)(slash - network) : strlen(network), &a))
        return false;
    struct ifaddrs *ifs = NULL, *i;
    bool found = false;
    if (getifaddrs(&ifs) < 0)
        return false;
    for (i = ifs; i && !found; i = i->ifa_next)
        found = i->ifa_addr && i->ifa_addr->sa_family == AF_INET &&
                ((struct sockaddr_in *)(void *)i->ifa_addr)->sin_addr.s_addr == a.s_addr;
    freeifaddrs(ifs);
    return found;
}

char *wdn_netx_out(wdn_daemon_t *d, const wdn_req_t *req, char *script)
{
    if (!script || wdn_netlo_is_loopback(req->network) || is_host_address(req->network))
        return script;
    char now[8] = "";
    if (wdn_read_str(WDN_IP_FORWARD, now, sizeof(now)) > 0 && now[0] == '0')
        hc_log_info("turning net.ipv4.ip_forward on for container egress (host-wide, left on)",
                    "table", d->conf.nft_table);
    char *out = hc_asprintf(
        "[ \"$(cat " WDN_IP_FORWARD ")\" = 1 ] || echo 1 > " WDN_IP_FORWARD " ||\n"
        "    { echo 'hearth-warden: cannot turn net.ipv4.ip_forward on' >&2; exit 1; }\n%s",
        script);
    free(script);
    return out;
}

int wdn_netx_resolv(wdn_daemon_t *d, wdn_ctr_t *c, const char *etc_dir, hc_err_t *err)
{
    char *text = NULL;
    size_t len = 0;
    hc_err_t rerr = {0};
    const char *src = d->conf.resolv_conf ? d->conf.resolv_conf : WDN_HOST_RESOLV;
    int r = hc_read_file(AT_FDCWD, src, HC_RESOLV_MAX_TEXT, &text, &len, &rerr);
    if (r < 0)
        return 0;
    char host[16], ctr[16], path[PATH_MAX];
    wdn_net_addrs(d, c->slot, host, ctr);
    char *conf = hc_resolv_for_container(text, len, host);
    free(text);
    if (wdn_path(path, sizeof(path), "%s/resolv.conf", etc_dir) < 0)
        r = hc_err_set(err, -ENAMETOOLONG, "resolv.conf path");
    else
        r = hc_atomic_write_file(AT_FDCWD, path, conf, strlen(conf), 0644, err);
    free(conf);
    return r;
}
