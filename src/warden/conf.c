/* conf.c - warden's options as an hc_conf table (STYLE R24), plus the checks a table cannot do. */
#include <arpa/inet.h>
#include <errno.h>
#include <string.h>

#include "net_egress.h"
#include "wdn_daemon.h"

#define MIB (1024ull * 1024)

const hc_conf_opt_t wdn_conf_opts[] = {
    HC_CONF_STR("socket", wdn_conf_t, socket, "/run/hearth/warden.sock",
                "unix socket of the API (created 0600, root only)"),
    HC_CONF_STR("data_dir", wdn_conf_t, data_dir, "/var/lib/hearth/warden",
                "base rootfs and container dirs"),
    HC_CONF_STR("cgroup_parent", wdn_conf_t, cgroup_parent, "hearth-warden",
                "parent cgroup of the containers, below warden's own (absolute: from the root)"),
    HC_CONF_STR("cgroup_version", wdn_conf_t, cgroup_version, "",
                "v1 or v2; empty: chosen from the host's mounts"),
    HC_CONF_UINT("max_containers", wdn_conf_t, max_containers, 256, 1, 16384,
                 "containers at once; also the uid, subnet and interface pools"),
    HC_CONF_UINT("uid_base", wdn_conf_t, uid_base, 10000, 1000, 1u << 30,
                 "container uid = uid_base + slot"),
    HC_CONF_STR("net_pool", wdn_conf_t, net_pool, "10.254.0.0", "first /30 of the subnet pool"),
    HC_CONF_STR("iface_prefix", wdn_conf_t, iface_prefix, "hw",
                "host-side veth names: <prefix><slot>-0 (1..6 of a-z 0-9)"),
    HC_CONF_STR("nft_table", wdn_conf_t, nft_table, "hearth_warden",
                "warden's own nftables table (family ip)"),
    HC_CONF_STR("resolv_conf", wdn_conf_t, resolv_conf, WDN_HOST_RESOLV,
                "the host's DNS resolvers, written into each container's /etc/resolv.conf (a "
                "loopback one replaced by the container's gateway)"),
    HC_CONF_UINT("port_base", wdn_conf_t, port_base, 61000, 1, 65535, "first host port of net_in"),
    HC_CONF_UINT("port_count", wdn_conf_t, port_count, 1000, 1, 65535, "host ports in the pool"),
    HC_CONF_SIZE("default_memory", wdn_conf_t, default_memory, 256 * MIB, 4 * MIB, 1ull << 50,
                 "memory limit when create gives none"),
    HC_CONF_SIZE("default_disk", wdn_conf_t, default_disk, 1024 * MIB, MIB, 1ull << 50,
                 "disk limit when create gives none"),
    HC_CONF_UINT("default_pids", wdn_conf_t, default_pids, 1024, 8, 1u << 22,
                 "process limit when create gives none"),
    HC_CONF_UINT("default_cpu_shares", wdn_conf_t, default_cpu_shares, 1024, 2, 262144,
                 "cpu shares when create gives none"),
    HC_CONF_UINT("grace_time", wdn_conf_t, grace_time, 0, 0, 365ull * 86400,
                 "seconds before an unreferenced container is destroyed (0: never)"),
    HC_CONF_BOOL("network", wdn_conf_t, network, true,
                 "veth networking; false gives containers a loopback-only namespace"),
    HC_CONF_END,
};

static bool name_ok(const char *s, size_t max, bool underscore)
{
    size_t n = s ? strlen(s) : 0;
    if (n == 0 || n > max)
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || (underscore && c == '_') ||
              (underscore && c >= 'A' && c <= 'Z')))
            return false;
    }
    return true;
}

int wdn_conf_check(const wdn_conf_t *c, hc_err_t *err)
{
    /* These names end up in nft and ip commands: keep them to plain characters. */
    if (!name_ok(c->iface_prefix, 6, false) || c->iface_prefix[0] < 'a')
        return hc_err_set(err, -EINVAL, "iface_prefix: 1..6 of a-z 0-9, starting with a letter");
    if (!name_ok(c->nft_table, 32, true))
        return hc_err_set(err, -EINVAL, "nft_table: 1..32 of A-Z a-z 0-9 _");
    struct in_addr a;
    if (!c->net_pool || inet_pton(AF_INET, c->net_pool, &a) != 1 || (ntohl(a.s_addr) & 3))
        return hc_err_set(err, -EINVAL, "net_pool: an IPv4 address on a /30 boundary");
    if ((uint64_t)c->port_base + c->port_count > 65536)
        return hc_err_set(err, -EINVAL, "port_base + port_count passes 65535");
    if (c->cgroup_version && c->cgroup_version[0] && strcmp(c->cgroup_version, "v1") != 0 &&
        strcmp(c->cgroup_version, "v2") != 0)
        return hc_err_set(err, -EINVAL, "cgroup_version: v1, v2 or empty");
    if (!c->socket || !c->socket[0] || !c->data_dir || c->data_dir[0] != '/' || !c->cgroup_parent ||
        !c->cgroup_parent[0])
        return hc_err_set(err, -EINVAL, "socket, data_dir (absolute) and cgroup_parent are needed");
    return 0;
}
