/* proto.c - request parsing and validation for the JSON-lines protocol. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include <sodium.h>

#include "lib/wdn_rootfs.h"
#include "wdn_proto.h"

static const char *const type_names[WDN_REQ__MAX] = {
    [WDN_REQ_PING] = "ping",
    [WDN_REQ_CAPACITY] = "capacity",
    [WDN_REQ_CREATE] = "create",
    [WDN_REQ_STOP] = "stop",
    [WDN_REQ_DESTROY] = "destroy",
    [WDN_REQ_INFO] = "info",
    [WDN_REQ_LIST] = "list",
    [WDN_REQ_SPAWN] = "spawn",
    [WDN_REQ_LINK] = "link",
    [WDN_REQ_RUN] = "run",
    [WDN_REQ_STREAM] = "stream",
    [WDN_REQ_SIGNAL] = "signal",
    [WDN_REQ_NET_IN] = "net_in",
    [WDN_REQ_NET_OUT] = "net_out",
    [WDN_REQ_COPY_IN] = "copy_in",
    [WDN_REQ_COPY_OUT] = "copy_out",
    [WDN_REQ_LIMIT_MEMORY] = "limit_memory",
    [WDN_REQ_LIMIT_CPU] = "limit_cpu",
    [WDN_REQ_LIMIT_DISK] = "limit_disk",
};

const char *wdn_req_type_name(wdn_req_type_t t)
{
    return t >= 0 && t < WDN_REQ__MAX ? type_names[t] : "error";
}

bool wdn_handle_ok(const char *h)
{
    size_t n = strlen(h);
    if (n == 0 || n > WDN_MAX_HANDLE || h[0] == '.' || h[0] == '-')
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = h[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '_' || c == '-' || c == '.'))
            return false;
    }
    return true;
}

int wdn_signal_parse(const char *s)
{
    static const struct {
        const char *name;
        int sig;
    } sigs[] = {{"TERM", SIGTERM}, {"KILL", SIGKILL}, {"INT", SIGINT},    {"HUP", SIGHUP},
                {"QUIT", SIGQUIT}, {"USR1", SIGUSR1}, {"USR2", SIGUSR2},  {"STOP", SIGSTOP},
                {"CONT", SIGCONT}, {"ALRM", SIGALRM}, {"WINCH", SIGWINCH}};
    if (strncmp(s, "SIG", 3) == 0)
        s += 3;
    for (size_t i = 0; i < HC_ARRAY_SIZE(sigs); i++)
        if (strcmp(s, sigs[i].name) == 0)
            return sigs[i].sig;
    uint64_t v;
    if (hc_parse_u64(s, strlen(s), 64, &v) == 0 && v >= 1)
        return (int)v;
    return -EINVAL;
}

void wdn_req_release(wdn_req_t *req)
{
    json_decref(req->root);
    memset(req, 0, sizeof(*req));
}

/* Typed getters: absent is fine (returns 0), wrong type is an error. */
static int get_str(json_t *o, const char *k, const char **ret, size_t max, hc_err_t *err)
{
    json_t *v = json_object_get(o, k);
    if (!v || json_is_null(v))
        return 0;
    if (!json_is_string(v))
        return hc_err_set(err, -EINVAL, "`%s` must be a string", k);
    const char *s = json_string_value(v);
    if (strlen(s) != json_string_length(v))
        return hc_err_set(err, -EINVAL, "`%s` must not contain NUL", k);
    if (json_string_length(v) > max)
        return hc_err_set(err, -EINVAL, "`%s` is longer than %zu bytes", k, max);
    *ret = s;
    return 0;
}

static int get_u64(json_t *o, const char *k, uint64_t max, bool *has, uint64_t *ret, hc_err_t *err)
{
    json_t *v = json_object_get(o, k);
    if (!v || json_is_null(v))
        return 0;
    if (!json_is_integer(v) || json_integer_value(v) < 0 || (uint64_t)json_integer_value(v) > max)
        return hc_err_set(err, -EINVAL, "`%s` must be an integer in 0..%llu", k,
                          (unsigned long long)max);
    *ret = (uint64_t)json_integer_value(v);
    if (has)
        *has = true;
    return 0;
}

static int get_bool(json_t *o, const char *k, bool *ret, hc_err_t *err)
{
    json_t *v = json_object_get(o, k);
    if (!v || json_is_null(v))
        return 0;
    if (!json_is_boolean(v))
        return hc_err_set(err, -EINVAL, "`%s` must be true or false", k);
    *ret = json_is_true(v);
    return 0;
}

static int get_str_array(json_t *o, const char *k, size_t max, bool kv, json_t **ret, hc_err_t *err)
{
    json_t *v = json_object_get(o, k);
    if (!v || json_is_null(v))
        return 0;
    if (!json_is_array(v) || json_array_size(v) > max)
        return hc_err_set(err, -EINVAL, "`%s` must be an array of at most %zu strings", k, max);
    size_t i;
    json_t *s;
    json_array_foreach(v, i, s)
    {
        if (!json_is_string(s) || strlen(json_string_value(s)) != json_string_length(s) ||
            json_string_length(s) > 65536)
            return hc_err_set(err, -EINVAL, "`%s[%zu]` must be a string", k, i);
        if (kv && (!strchr(json_string_value(s), '=') || json_string_value(s)[0] == '='))
            return hc_err_set(err, -EINVAL, "`%s[%zu]` must look like NAME=value", k, i);
    }
    *ret = v;
    return 0;
}

static int parse_create(json_t *o, wdn_req_t *r, hc_err_t *err)
{
    json_t *lim = json_object_get(o, "limits");
    if (lim && !json_is_object(lim) && !json_is_null(lim))
        return hc_err_set(err, -EINVAL, "`limits` must be an object");
    if (json_is_object(lim)) {
        if (get_u64(lim, "memory_in_bytes", UINT64_MAX >> 1, NULL, &r->limits.memory, err) ||
            get_u64(lim, "cpu_shares", 262144, NULL, &r->limits.cpu_shares, err) ||
            get_u64(lim, "pids", 1 << 22, NULL, &r->limits.pids, err) ||
            get_u64(lim, "disk_in_bytes", UINT64_MAX >> 1, NULL, &r->limits.disk, err))
            return err->code;
    }
    if (get_u64(o, "grace_time", 365 * 24 * 3600, &r->has_grace, &r->grace_time, err) ||
        get_str_array(o, "env", WDN_MAX_ENV, true, &r->env, err))
        return err->code;
    const char *net = NULL;
    if (get_str(o, "network", &net, 64, err))
        return err->code;
    r->network_none = net && strcmp(net, "none") == 0;
    json_t *bm = json_object_get(o, "bind_mounts");
    if (bm && !json_is_null(bm)) {
        if (!json_is_array(bm) || json_array_size(bm) > WDN_MAX_BIND_MOUNTS)
            return hc_err_set(err, -EINVAL, "`bind_mounts` must be an array of at most %d",
                              WDN_MAX_BIND_MOUNTS);
        size_t i;
        json_t *b;
        json_array_foreach(bm, i, b)
        {
            const char *src = NULL, *dst = NULL, *mode = NULL;
            if (!json_is_object(b) || get_str(b, "src_path", &src, 1023, err) ||
                get_str(b, "dst_path", &dst, 1023, err) || get_str(b, "mode", &mode, 8, err))
                return err->code ? err->code : hc_err_set(err, -EINVAL, "bad bind mount");
            if (!src || src[0] != '/' || !dst || !wdn_rootfs_path_ok(dst) ||
                (mode && strcmp(mode, "ro") != 0 && strcmp(mode, "rw") != 0))
                return hc_err_set(err, -EINVAL,
                                  "bind_mounts[%zu]: absolute src_path and dst_path (no ..), "
                                  "mode ro or rw",
                                  i);
        }
        r->bind_mounts = bm;
    }
    json_t *props = json_object_get(o, "properties");
    if (props && !json_is_null(props)) {
        if (!json_is_object(props) || json_object_size(props) > WDN_MAX_PROPERTIES)
            return hc_err_set(err, -EINVAL, "`properties` must be an object of strings");
        const char *k;
        json_t *v;
        json_object_foreach(props, k, v)
        {
            if (!json_is_string(v) || json_string_length(v) > 4096 || strlen(k) > 256)
                return hc_err_set(err, -EINVAL, "property `%.64s` must be a short string", k);
        }
        r->properties = props;
    }
    return 0;
}

static int parse_spawn(json_t *o, wdn_req_t *r, hc_err_t *err)
{
    if (get_str(o, "path", &r->path, 4096, err) || get_str(o, "script", &r->script, 1 << 20, err) ||
        get_str(o, "dir", &r->dir, 1023, err) ||
        get_str_array(o, "args", WDN_MAX_ARGS, false, &r->args, err) ||
        get_str_array(o, "env", WDN_MAX_ENV, true, &r->env, err) ||
        get_bool(o, "privileged", &r->privileged, err))
        return err->code;
    const char *user = NULL;
    if (get_str(o, "user", &user, 64, err))
        return err->code;
    if (user && strcmp(user, "root") == 0)
        r->privileged = true;
    else if (user && strcmp(user, "vcap") != 0)
        return hc_err_set(err, -EINVAL, "`user` must be vcap or root");
    if (!r->path && !r->script)
        return hc_err_set(err, -EINVAL, "spawn needs `path` or `script`");
    if (r->path && r->path[0] == '\0')
        return hc_err_set(err, -EINVAL, "`path` is empty");
    if (r->dir && !wdn_rootfs_path_ok(r->dir))
        return hc_err_set(err, -EINVAL, "`dir` must be an absolute path without ..");
    json_t *rl = json_object_get(o, "rlimits");
    if (rl && !json_is_null(rl)) {
        if (!json_is_object(rl))
            return hc_err_set(err, -EINVAL, "`rlimits` must be an object");
        const char *k;
        json_t *v;
        json_object_foreach(rl, k, v)
        {
            if (!json_is_integer(v) || json_integer_value(v) < 0)
                return hc_err_set(err, -EINVAL, "rlimit `%.32s` must be a non-negative integer", k);
        }
        r->rlimits = rl;
    }
    return 0;
}

int wdn_req_parse(const char *line, size_t len, wdn_req_t *req, hc_err_t *err)
{
    memset(req, 0, sizeof(*req));
    if (len > WDN_MAX_LINE)
        return hc_err_set(err, -E2BIG, "request longer than %d bytes", WDN_MAX_LINE);
    json_error_t je;
    json_t *o = json_loadb(line, len, JSON_REJECT_DUPLICATES, &je);
    if (!o)
        return hc_err_set(err, -EPROTO, "bad JSON at column %d: %s", je.column, je.text);
    req->root = o;
    int r = -EINVAL;
    if (!json_is_object(o)) {
        hc_err_set(err, -EINVAL, "a request must be a JSON object");
        goto fail;
    }
    const char *type = NULL;
    if (get_str(o, "type", &type, 32, err))
        goto fail;
    req->type = WDN_REQ_INVALID;
    for (int i = 0; type && i < WDN_REQ__MAX; i++)
        if (strcmp(type, type_names[i]) == 0)
            req->type = (wdn_req_type_t)i;
    if (req->type == WDN_REQ_INVALID) {
        hc_err_set(err, -EINVAL, "unknown request type `%.32s`", type ? type : "");
        goto fail;
    }
    if (get_str(o, "handle", &req->handle, WDN_MAX_HANDLE, err))
        goto fail;
    if (req->handle && !wdn_handle_ok(req->handle)) {
        hc_err_set(err, -EINVAL, "bad handle (1..64 of A-Z a-z 0-9 _ . -)");
        goto fail;
    }
    bool needs_handle = req->type != WDN_REQ_PING && req->type != WDN_REQ_CAPACITY &&
                        req->type != WDN_REQ_LIST && req->type != WDN_REQ_CREATE;
    if (needs_handle && !req->handle) {
        hc_err_set(err, -EINVAL, "`%s` needs a `handle`", type);
        goto fail;
    }
    uint64_t v = 0;
    bool has = false;
    switch (req->type) {
    case WDN_REQ_CREATE:
        if (parse_create(o, req, err))
            goto fail;
        break;
    case WDN_REQ_LIST: {
        json_t *props = json_object_get(o, "properties");
        if (props && !json_is_null(props) && !json_is_object(props)) {
            hc_err_set(err, -EINVAL, "`properties` must be an object");
            goto fail;
        }
        req->properties = json_is_object(props) ? props : NULL;
        break;
    }
    case WDN_REQ_SPAWN:
    case WDN_REQ_RUN:
        if (parse_spawn(o, req, err))
            goto fail;
        break;
    case WDN_REQ_LINK:
    case WDN_REQ_STREAM:
    case WDN_REQ_SIGNAL:
        if (get_u64(o, "job_id", UINT32_MAX, &has, &req->job_id, err))
            goto fail;
        if (!has) {
            hc_err_set(err, -EINVAL, "`%s` needs a `job_id`", type);
            goto fail;
        }
        if (req->type == WDN_REQ_SIGNAL) {
            json_t *s = json_object_get(o, "signal");
            req->signal = SIGTERM;
            if (json_is_integer(s) && json_integer_value(s) >= 1 && json_integer_value(s) <= 64)
                req->signal = (int)json_integer_value(s);
            else if (json_is_string(s))
                req->signal = wdn_signal_parse(json_string_value(s));
            else if (s && !json_is_null(s))
                req->signal = -EINVAL;
            if (req->signal < 0) {
                hc_err_set(err, -EINVAL, "bad `signal`");
                goto fail;
            }
        }
        break;
    case WDN_REQ_STOP:
        if (get_bool(o, "kill", &req->kill, err) ||
            get_bool(o, "background", &req->background, err))
            goto fail;
        break;
    case WDN_REQ_NET_IN:
        if (get_u64(o, "host_port", 65535, NULL, &v, err))
            goto fail;
        req->host_port = (uint32_t)v;
        v = 0;
        if (get_u64(o, "container_port", 65535, NULL, &v, err))
            goto fail;
        req->container_port = (uint32_t)v;
        break;
    case WDN_REQ_NET_OUT:
        if (get_str(o, "network", &req->network, 64, err) ||
            get_u64(o, "port", 65535, NULL, &v, err) ||
            get_str(o, "protocol", &req->protocol, 8, err))
            goto fail;
        req->port = (uint32_t)v;
        if (req->protocol && strcmp(req->protocol, "tcp") != 0 &&
            strcmp(req->protocol, "udp") != 0 && strcmp(req->protocol, "icmp") != 0 &&
            strcmp(req->protocol, "all") != 0) {
            hc_err_set(err, -EINVAL, "`protocol` must be tcp, udp, icmp or all");
            goto fail;
        }
        if (!req->network && !req->port) {
            hc_err_set(err, -EINVAL, "net_out needs `network` and/or `port`");
            goto fail;
        }
        break;
    case WDN_REQ_COPY_IN:
    case WDN_REQ_COPY_OUT:
        if (get_str(o, "src_path", &req->src_path, 1023, err) ||
            get_str(o, "dst_path", &req->dst_path, 1023, err))
            goto fail;
        /* The host side may be left out: the tar then streams over this connection. */
        if (req->type == WDN_REQ_COPY_IN ? !req->dst_path : !req->src_path) {
            hc_err_set(err, -EINVAL, "`%s` needs `%s` (a path in the container)", type,
                       req->type == WDN_REQ_COPY_IN ? "dst_path" : "src_path");
            goto fail;
        }
        if ((req->src_path && req->src_path[0] != '/') ||
            (req->dst_path && req->dst_path[0] != '/')) {
            hc_err_set(err, -EINVAL, "`%s` paths must be absolute", type);
            goto fail;
        }
        if (!wdn_rootfs_path_ok(req->type == WDN_REQ_COPY_IN ? req->dst_path : req->src_path)) {
            hc_err_set(err, -EINVAL, "container path must not contain ..");
            goto fail;
        }
        break;
    case WDN_REQ_LIMIT_MEMORY:
        if (get_u64(o, "limit_in_bytes", UINT64_MAX >> 1, &req->has_limit, &req->limit, err))
            goto fail;
        break;
    case WDN_REQ_LIMIT_CPU:
        if (get_u64(o, "limit_in_shares", 262144, &req->has_limit, &req->limit, err))
            goto fail;
        break;
    case WDN_REQ_LIMIT_DISK:
        if (get_u64(o, "byte_limit", UINT64_MAX >> 1, &req->has_limit, &req->limit, err))
            goto fail;
        if (!req->has_limit &&
            get_u64(o, "byte_hard", UINT64_MAX >> 1, &req->has_limit, &req->limit, err))
            goto fail;
        break;
    default:
        break;
    }
    return 0;
fail:
    r = err->code ? err->code : -EINVAL;
    wdn_req_release(req);
    return r;
}

int wdn_data_parse(const char *line, size_t len, void *buf, size_t cap, wdn_data_t *ret,
                   hc_err_t *err)
{
    memset(ret, 0, sizeof(*ret));
    if (len > WDN_MAX_LINE)
        return hc_err_set(err, -E2BIG, "data line longer than %d bytes", WDN_MAX_LINE);
    json_error_t je;
    json_t *o = json_loadb(line, len, JSON_REJECT_DUPLICATES, &je);
    if (!o)
        return hc_err_set(err, -EPROTO, "bad JSON at column %d: %s", je.column, je.text);
    int r = 0;
    const char *type = NULL, *data = NULL;
    bool eof = false;
    if (!json_is_object(o)) {
        r = hc_err_set(err, -EINVAL, "a data line must be a JSON object");
        goto out;
    }
    if ((r = get_str(o, "type", &type, 32, err)) < 0 || (r = get_bool(o, "eof", &eof, err)) < 0 ||
        (r = get_str(o, "data", &data, WDN_MAX_LINE, err)) < 0)
        goto out;
    if (!type || strcmp(type, "data") != 0) {
        r = hc_err_set(err, -EINVAL, "expected a `data` line of the streamed copy_in");
        goto out;
    }
    if (eof && data) {
        r = hc_err_set(err, -EINVAL, "a data line has `data` or `eof`, not both");
        goto out;
    }
    ret->eof = eof;
    if (data) {
        size_t dlen = strlen(data), n = 0;
        if (dlen / 4 * 3 > HC_MIN(cap, (size_t)WDN_COPY_MAX_CHUNK) + 2) {
            r = hc_err_set(err, -E2BIG, "a data line carries at most %d bytes", WDN_COPY_MAX_CHUNK);
            goto out;
        }
        if (sodium_base642bin(buf, HC_MIN(cap, (size_t)WDN_COPY_MAX_CHUNK), data, dlen, NULL, &n,
                              NULL, sodium_base64_VARIANT_ORIGINAL) != 0) {
            r = hc_err_set(err, -EINVAL, "`data` is not base64 (or too long)");
            goto out;
        }
        ret->len = n;
    } else if (!eof) {
        r = hc_err_set(err, -EINVAL, "a data line needs `data` or `eof`");
    }
out:
    json_decref(o);
    return r;
}
