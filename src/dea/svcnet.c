/*
 * svcnet.c - bound services' hosts and ports from their credentials, net_out rules for them,
 * and loopback hosts rewritten to the container's gateway (see svcnet.h).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <string.h>
#include <strings.h>

#include "hc_buf.h"
#include "hc_ipv4.h"
#include "hc_json.h"
#include "hc_log.h"
#include "svcnet.h"

/* ---- pure parsing ---- */

static uint16_t default_port(const char *scheme, size_t n)
{
    static const struct {
        const char *name;
        uint16_t port;
    } tab[] = {
        {"redis", 6379},           {"rediss", 6379},     {"postgres", 5432},
        {"postgresql", 5432},      {"mysql", 3306},      {"mysql2", 3306},
        {"mariadb", 3306},         {"amqp", 5672},       {"amqps", 5671},
        {"mongodb", 27017},        {"http", 80},         {"https", 443},
        {"jdbc:postgresql", 5432}, {"jdbc:mysql", 3306}, {"jdbc:mariadb", 3306},
    };
    for (size_t i = 0; i < HC_ARRAY_SIZE(tab); i++)
        if (strlen(tab[i].name) == n && strncasecmp(tab[i].name, scheme, n) == 0)
            return tab[i].port;
    return 0;
}

static bool scheme_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '+' ||
           c == '-' || c == '.' || c == ':';
}

/* Decimal 1..65535 from exactly n bytes; false otherwise. */
static bool parse_port(const char *p, size_t n, uint16_t *out)
{
    if (n == 0 || n > 5)
        return false;
    unsigned v = 0;
    for (size_t i = 0; i < n; i++) {
        if (p[i] < '0' || p[i] > '9')
            return false;
        v = v * 10 + (unsigned)(p[i] - '0');
    }
    if (v == 0 || v > 65535)
        return false;
    *out = (uint16_t)v;
    return true;
}

int dea_svcnet_parse_uri(const char *s, size_t len, dea_svc_uri_t *out)
{
    memset(out, 0, sizeof(*out));
    if (!s || memchr(s, '\0', len))
        return -EINVAL;
    const char *sep = NULL;
    for (size_t i = 0; i + 3 <= len; i++) {
        if (s[i] == ':' && s[i + 1] == '/' && s[i + 2] == '/') {
            sep = s + i;
            break;
        }
        if (!scheme_char(s[i]))
            return -EINVAL;
    }
    if (!sep || sep == s || !((s[0] >= 'a' && s[0] <= 'z') || (s[0] >= 'A' && s[0] <= 'Z')))
        return -EINVAL;
    size_t scheme_len = (size_t)(sep - s);
    size_t a = scheme_len + 3, end = a;
    while (end < len && s[end] != '/' && s[end] != '?' && s[end] != '#')
        end++;
    /* userinfo ends at the last '@' of the authority */
    size_t h = a;
    for (size_t i = a; i < end; i++)
        if (s[i] == '@')
            h = i + 1;
    size_t host_end, port_from = 0;
    if (h < end && s[h] == '[') {
        const char *rb = memchr(s + h, ']', end - h);
        if (!rb)
            return -EINVAL;
        host_end = (size_t)(rb - s) + 1;
        out->host = s + h + 1;
        out->host_len = host_end - h - 2;
        if (host_end < end) {
            if (s[host_end] != ':')
                return -EINVAL;
            port_from = host_end + 1;
        }
    } else {
        host_end = h;
        while (host_end < end && s[host_end] != ':')
            host_end++;
        out->host = s + h;
        out->host_len = host_end - h;
        if (host_end < end)
            port_from = host_end + 1;
    }
    if (out->host_len == 0 || out->host_len > DEA_SVCNET_MAX_HOST)
        return -EINVAL;
    out->span_off = h;
    out->span_len = host_end - h;
    if (port_from && port_from < end) {
        if (!parse_port(s + port_from, end - port_from, &out->port))
            return -EINVAL;
    } else {
        out->port = default_port(s, scheme_len);
    }
    return 0;
}

/* Strict dotted quad a.b.c.d, each 0..255 without leading zeros; value in *v. */
static bool parse_ipv4(const char *s, size_t len, uint32_t *v)
{
    struct in_addr a;
    if (!hc_ipv4_parse(s, len, &a))
        return false;
    *v = ntohl(a.s_addr);
    return true;
}

bool dea_svcnet_is_loopback(const char *host, size_t len)
{
    if (!host)
        return false;
    if (len >= 2 && host[0] == '[' && host[len - 1] == ']') {
        host++;
        len -= 2;
    }
    uint32_t v;
    if (parse_ipv4(host, len, &v))
        return (v >> 24) == 127;
    if (len == 9 && strncasecmp(host, "localhost", 9) == 0)
        return true;
    if (len == 3 && memcmp(host, "::1", 3) == 0)
        return true;
    return false;
}

/* ---- walking the credentials ---- */

static const char *const uri_keys[] = {"uri", "url", "jdbcUrl"};
static const char *const uris_keys[] = {"uris", "urls"};
static const char *const host_keys[] = {"hostname", "host"};

typedef void (*cred_fn)(json_t *cred, void *ctx);

static void each_service(json_t *svc, cred_fn fn, void *ctx)
{
    json_t *cred = json_is_object(svc) ? json_object_get(svc, "credentials") : NULL;
    if (json_is_object(cred))
        fn(cred, ctx);
}

/* The start message's array of services, or VCAP_SERVICES' {label: [service, ...]}. */
static void each_cred(const json_t *services, cred_fn fn, void *ctx)
{
    size_t i;
    json_t *v;
    if (json_is_array(services)) {
        json_array_foreach(services, i, v) each_service(v, fn, ctx);
    } else if (json_is_object(services)) {
        const char *k;
        json_t *arr;
        json_object_foreach((json_t *)services, k, arr)
        {
            if (json_is_array(arr))
                json_array_foreach(arr, i, v) each_service(v, fn, ctx);
        }
    }
}

typedef struct targets_s {
    dea_svc_target_t *out;
    size_t n, max;
} targets_t;

static void add_target(targets_t *t, const char *host, size_t len, uint16_t port)
{
    if (port == 0 || len == 0 || len > DEA_SVCNET_MAX_HOST || memchr(host, '\0', len))
        return;
    if (len >= 2 && host[0] == '[' && host[len - 1] == ']') {
        host++;
        len -= 2;
    }
    for (size_t i = 0; i < t->n; i++)
        if (t->out[i].port == port && strlen(t->out[i].host) == len &&
            memcmp(t->out[i].host, host, len) == 0)
            return;
    if (t->n >= t->max)
        return;
    memcpy(t->out[t->n].host, host, len);
    t->out[t->n].host[len] = '\0';
    t->out[t->n].port = port;
    t->n++;
}

static void add_uri(targets_t *t, const json_t *v)
{
    dea_svc_uri_t u;
    if (json_is_string(v) &&
        dea_svcnet_parse_uri(json_string_value(v), json_string_length(v), &u) == 0)
        add_target(t, u.host, u.host_len, u.port);
}

static bool cred_port(const json_t *cred, uint16_t *port)
{
    const json_t *p = json_object_get(cred, "port");
    if (json_is_integer(p)) {
        json_int_t v = json_integer_value(p);
        if (v < 1 || v > 65535)
            return false;
        *port = (uint16_t)v;
        return true;
    }
    return json_is_string(p) && parse_port(json_string_value(p), json_string_length(p), port);
}

static void cred_targets(json_t *cred, void *ctx)
{
    targets_t *t = ctx;
    uint16_t port;
    if (cred_port(cred, &port)) {
        for (size_t i = 0; i < HC_ARRAY_SIZE(host_keys); i++) {
            json_t *h = json_object_get(cred, host_keys[i]);
            if (json_is_string(h))
                add_target(t, json_string_value(h), json_string_length(h), port);
        }
    }
    for (size_t i = 0; i < HC_ARRAY_SIZE(uri_keys); i++)
        add_uri(t, json_object_get(cred, uri_keys[i]));
    for (size_t i = 0; i < HC_ARRAY_SIZE(uris_keys); i++) {
        json_t *arr = json_object_get(cred, uris_keys[i]), *v;
        size_t j;
        if (json_is_array(arr))
            json_array_foreach(arr, j, v) add_uri(t, v);
    }
}

size_t dea_svcnet_targets(const json_t *services, dea_svc_target_t *out, size_t max)
{
    targets_t t = {out, 0, max};
    each_cred(services, cred_targets, &t);
    return t.n;
}

bool dea_svcnet_network(const dea_svc_target_t *t, char out[32])
{
    size_t len = strlen(t->host);
    uint32_t v;
    if (parse_ipv4(t->host, len, &v)) {
        snprintf(out, 32, "%.15s/32", t->host); /* parse_ipv4: at most 15 */
        return true;
    }
    if (dea_svcnet_is_loopback(t->host, len)) {
        snprintf(out, 32, "127.0.0.1/32");
        return true;
    }
    return false;
}

/* ---- rewriting ---- */

typedef struct rewrite_s {
    const char *gw;
    size_t changed;
} rewrite_t;

static void rewrite_uri(rewrite_t *r, json_t *v)
{
    dea_svc_uri_t u;
    if (!json_is_string(v))
        return;
    const char *s = json_string_value(v);
    size_t len = json_string_length(v);
    if (dea_svcnet_parse_uri(s, len, &u) < 0 || !dea_svcnet_is_loopback(u.host, u.host_len))
        return;
    hc_buf_t b;
    hc_buf_init(&b, 0);
    hc_buf_append(&b, s, u.span_off);
    hc_buf_append(&b, r->gw, strlen(r->gw));
    hc_buf_append(&b, s + u.span_off + u.span_len, len - u.span_off - u.span_len);
    size_t n;
    char *ns = hc_buf_detach(&b, &n);
    json_string_setn(v, ns, n);
    free(ns);
    r->changed++;
}

static void cred_rewrite(json_t *cred, void *ctx)
{
    rewrite_t *r = ctx;
    for (size_t i = 0; i < HC_ARRAY_SIZE(host_keys); i++) {
        json_t *h = json_object_get(cred, host_keys[i]);
        if (json_is_string(h) &&
            dea_svcnet_is_loopback(json_string_value(h), json_string_length(h))) {
            json_string_set(h, r->gw);
            r->changed++;
        }
    }
    for (size_t i = 0; i < HC_ARRAY_SIZE(uri_keys); i++)
        rewrite_uri(r, json_object_get(cred, uri_keys[i]));
    for (size_t i = 0; i < HC_ARRAY_SIZE(uris_keys); i++) {
        json_t *arr = json_object_get(cred, uris_keys[i]), *v;
        size_t j;
        if (json_is_array(arr))
            json_array_foreach(arr, j, v) rewrite_uri(r, v);
    }
}

size_t dea_svcnet_rewrite(json_t *services, const char *gw)
{
    rewrite_t r = {gw, 0};
    each_cred(services, cred_rewrite, &r);
    return r.changed;
}

/* ---- the start step ---- */

typedef struct svcnet_op_s {
    dea_inst_t *in;
    json_t *req; /* sent at the end */
    hc_warden_cb cb;
    void *data;
    char gw[64];
    dea_svc_target_t targets[DEA_SVCNET_MAX_TARGETS];
    size_t n, next;
} svcnet_op_t;

static void op_finish(svcnet_op_t *op, hc_warden_t *w, const char *error)
{
    if (!error) {
        json_t *req = op->req;
        op->req = NULL;
        if (hc_warden_request(w, req, op->cb, op->data) < 0)
            error = "warden refused the request";
    }
    if (error)
        op->cb(w, NULL, false, error, op->data);
    json_decref(op->req);
    dea_inst_unref(op->in);
    free(op);
}

static void on_net_out(hc_warden_t *w, json_t *resp, bool more, const char *error, void *data);

/* Sends the next net_out, or finishes when none is left. */
static void op_next(svcnet_op_t *op, hc_warden_t *w)
{
    while (op->next < op->n) {
        dea_svc_target_t *t = &op->targets[op->next++];
        char net[32];
        if (!dea_svcnet_network(t, net)) {
            hc_log_warn("bound service host is not an IPv4 address; no net_out opened", "host",
                        t->host, "instance", op->in->id);
            continue;
        }
        json_t *req =
            json_pack("{s:s, s:s, s:s, s:i, s:s}", "type", "net_out", "handle", op->in->handle,
                      "network", net, "port", (int)t->port, "protocol", "tcp");
        if (hc_warden_request(w, req, on_net_out, op) < 0)
            op_finish(op, w, "warden refused net_out");
        return;
    }
    size_t n = dea_svcnet_rewrite(op->in->s.services, op->gw);
    if (n) {
        char num[24];
        snprintf(num, sizeof(num), "%zu", n);
        hc_log_info("bound services on the host's loopback reached through the gateway", "instance",
                    op->in->id, "gateway", op->gw, "rewritten", num);
    }
    op_finish(op, w, NULL);
}

static void on_net_out(hc_warden_t *w, json_t *resp, bool more, const char *error, void *data)
{
    (void)resp, (void)more;
    svcnet_op_t *op = data;
    if (error) {
        hc_autofree char *msg = hc_asprintf("net_out to a bound service: %s", error);
        op_finish(op, w, msg);
        return;
    }
    op_next(op, w);
}

static void on_info(hc_warden_t *w, json_t *resp, bool more, const char *error, void *data)
{
    (void)more;
    svcnet_op_t *op = data;
    const char *gw = json_string_value(json_object_get(resp, "host_ip"));
    if (!error && (!gw || !gw[0] || strlen(gw) >= sizeof(op->gw)))
        error = "warden info has no host_ip for the container";
    if (error) {
        op_finish(op, w, error);
        return;
    }
    snprintf(op->gw, sizeof(op->gw), "%s", gw);
    op_next(op, w);
}

int dea_svcnet_then(dea_inst_t *in, hc_warden_t *w, json_t *req, hc_warden_cb cb, void *data)
{
    svcnet_op_t *op = hc_calloc(1, sizeof(*op));
    op->n = dea_svcnet_targets(in->s.services, op->targets, DEA_SVCNET_MAX_TARGETS);
    if (op->n == 0) {
        free(op);
        return hc_warden_request(w, req, cb, data);
    }
    op->in = dea_inst_ref(in);
    op->req = req;
    op->cb = cb;
    op->data = data;
    json_t *info = json_pack("{s:s, s:s}", "type", "info", "handle", in->handle);
    int r = hc_warden_request(w, info, on_info, op);
    if (r < 0) {
        json_decref(op->req);
        dea_inst_unref(op->in);
        free(op);
    }
    return r;
}
