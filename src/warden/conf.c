/*
 * conf.c - warden's options: built-in defaults, then a flat YAML file of `key: value` lines
 * (the common config tables of hc_conf.h will replace this reader).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "wdn_daemon.h"

void wdn_conf_defaults(wdn_conf_t *c)
{
    memset(c, 0, sizeof(*c));
    snprintf(c->socket, sizeof(c->socket), "/run/hearth/warden.sock");
    snprintf(c->data_dir, sizeof(c->data_dir), "/var/lib/hearth/warden");
    snprintf(c->cgroup_parent, sizeof(c->cgroup_parent), "hearth-warden");
    c->max_containers = 256;
    c->uid_base = 10000;
    snprintf(c->net_pool, sizeof(c->net_pool), "10.254.0.0");
    snprintf(c->iface_prefix, sizeof(c->iface_prefix), "hw");
    snprintf(c->nft_table, sizeof(c->nft_table), "hearth_warden");
    c->port_base = 61000;
    c->port_count = 1000;
    c->default_memory = 256ull << 20;
    c->default_disk = 1ull << 30;
    c->default_pids = 1024;
    c->default_cpu_shares = 1024;
    c->grace_time = 0;
    c->network = true;
}

static int set_str(char *dst, size_t size, const char *v)
{
    if (strlen(v) >= size)
        return -ENAMETOOLONG;
    memcpy(dst, v, strlen(v) + 1);
    return 0;
}

static int set_num(uint64_t *dst, const char *v, uint64_t max)
{
    return hc_parse_u64(v, strlen(v), max, dst);
}

static int set_key(wdn_conf_t *c, const char *k, const char *v)
{
    uint64_t n = 0;
    int r = -ENOENT;
    if (strcmp(k, "socket") == 0)
        return set_str(c->socket, sizeof(c->socket), v);
    if (strcmp(k, "data_dir") == 0)
        return set_str(c->data_dir, sizeof(c->data_dir), v);
    if (strcmp(k, "cgroup_parent") == 0)
        return set_str(c->cgroup_parent, sizeof(c->cgroup_parent), v);
    if (strcmp(k, "cgroup_version") == 0)
        return set_str(c->cgroup_version, sizeof(c->cgroup_version), v);
    if (strcmp(k, "net_pool") == 0)
        return set_str(c->net_pool, sizeof(c->net_pool), v);
    if (strcmp(k, "iface_prefix") == 0)
        return set_str(c->iface_prefix, sizeof(c->iface_prefix), v);
    if (strcmp(k, "nft_table") == 0)
        return set_str(c->nft_table, sizeof(c->nft_table), v);
    if (strcmp(k, "network") == 0) {
        c->network = strcmp(v, "true") == 0;
        return strcmp(v, "true") == 0 || strcmp(v, "false") == 0 ? 0 : -EINVAL;
    }
    if (strcmp(k, "max_containers") == 0 && (r = set_num(&n, v, 16384)) == 0)
        c->max_containers = (unsigned)n;
    else if (strcmp(k, "uid_base") == 0 && (r = set_num(&n, v, 1u << 30)) == 0)
        c->uid_base = (unsigned)n;
    else if (strcmp(k, "port_base") == 0 && (r = set_num(&n, v, 65535)) == 0)
        c->port_base = (unsigned)n;
    else if (strcmp(k, "port_count") == 0 && (r = set_num(&n, v, 65535)) == 0)
        c->port_count = (unsigned)n;
    else if (strcmp(k, "default_memory") == 0)
        r = set_num(&c->default_memory, v, UINT64_MAX >> 1);
    else if (strcmp(k, "default_disk") == 0)
        r = set_num(&c->default_disk, v, UINT64_MAX >> 1);
    else if (strcmp(k, "default_pids") == 0)
        r = set_num(&c->default_pids, v, 1 << 22);
    else if (strcmp(k, "default_cpu_shares") == 0)
        r = set_num(&c->default_cpu_shares, v, 262144);
    else if (strcmp(k, "grace_time") == 0)
        r = set_num(&c->grace_time, v, 86400 * 365);
    return r;
}

int wdn_conf_load(wdn_conf_t *c, const char *path, hc_err_t *err)
{
    FILE *f = fopen(path, "re");
    if (!f)
        return hc_err_set(err, -errno, "open `%s`", path);
    char line[1024];
    int lineno = 0, r = 0;
    while (r == 0 && fgets(line, sizeof(line), f)) {
        lineno++;
        line[strcspn(line, "\r\n")] = '\0';
        char *p = line;
        while (*p == ' ')
            p++;
        if (*p == '\0' || *p == '#')
            continue;
        char *colon = strchr(p, ':');
        if (!colon) {
            r = hc_err_set(err, -EINVAL, "%s:%d: expected `key: value`", path, lineno);
            break;
        }
        *colon = '\0';
        char *v = colon + 1;
        while (*v == ' ')
            v++;
        size_t vl = strlen(v);
        while (vl > 0 && v[vl - 1] == ' ')
            v[--vl] = '\0';
        if (vl >= 2 && (v[0] == '"' || v[0] == '\'') && v[vl - 1] == v[0]) {
            v[vl - 1] = '\0';
            v++;
        }
        int q = set_key(c, p, v);
        if (q == -ENOENT)
            r = hc_err_set(err, -EINVAL, "%s:%d: unknown key `%s`", path, lineno, p);
        else if (q < 0)
            r = hc_err_set(err, -EINVAL, "%s:%d: %s: bad value `%s`", path, lineno, p, v);
    }
    fclose(f);
    return r;
}
