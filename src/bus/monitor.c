/*
 * monitor.c - the monitoring port (spec/bus.md §8): /varz, /connz, /subsz, /healthz as JSON,
 * with nats-server's key field names. One request per connection (Connection: close); the
 * request head is bounded by BUS_MONITOR_MAX_REQUEST.
 */
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>

#include <jansson.h>

#include "bus_limits.h"
#include "hc_log.h"
#include "hc_time.h"
#include "httpreq.h"
#include "server.h"

typedef struct mon_conn_s {
    uv_tcp_t tcp;
    bus_server_t *srv;
    char req[BUS_MONITOR_MAX_REQUEST];
    size_t len;
    uv_write_t wreq;
    hc_buf_t resp;
    bool done;
} mon_conn_t;

/* Marks monitoring connections among the loop's handles (see bus_monitor_close_all). */
static char mon_marker;

static void mon_on_close(uv_handle_t *h)
{
    mon_conn_t *m = HC_CONTAINER_OF(h, mon_conn_t, tcp);
    hc_buf_release(&m->resp);
    free(m);
}

static void mon_on_write(uv_write_t *req, int status)
{
    mon_conn_t *m = HC_CONTAINER_OF(req, mon_conn_t, wreq);
    uv_close((uv_handle_t *)&m->tcp, mon_on_close);
}

static void time_str(int64_t wall_ms, char *buf, size_t size)
{
    hc_time_format_rfc3339(wall_ms, buf, size);
}

static uint64_t rss_bytes(void)
{
    FILE *f = fopen("/proc/self/statm", "re");
    unsigned long long size = 0, rss = 0;
    if (!f)
        return 0;
    if (fscanf(f, "%llu %llu", &size, &rss) != 2)
        rss = 0;
    fclose(f);
    return rss * (uint64_t)sysconf(_SC_PAGESIZE);
}

static double cpu_percent(bus_server_t *s)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    uint64_t used = (uint64_t)ru.ru_utime.tv_sec * 1000000 + (uint64_t)ru.ru_utime.tv_usec +
                    (uint64_t)ru.ru_stime.tv_sec * 1000000 + (uint64_t)ru.ru_stime.tv_usec;
    uint64_t now = hc_now_ns();
    if (s->cpu_last_ns && now > s->cpu_last_ns + 100000000ULL) {
        double wall_us = (double)(now - s->cpu_last_ns) / 1000.0;
        s->cpu_pct = 100.0 * (double)(used - s->cpu_last_usage_us) / wall_us;
        s->cpu_last_ns = now;
        s->cpu_last_usage_us = used;
    } else if (!s->cpu_last_ns) {
        s->cpu_last_ns = now;
        s->cpu_last_usage_us = used;
    }
    return (double)((int)(s->cpu_pct * 100)) / 100.0;
}

static bool query_get(const char *q, size_t qlen, const char *key, hc_str_t *ret)
{
    return bus_http_query_get(hc_str(q, qlen), key, ret);
}

static bool query_flag(const char *q, size_t qlen, const char *key)
{
    hc_str_t v;
    return query_get(q, qlen, key, &v) &&
           (hc_str_eq(v, HC_STR_LIT("1")) || hc_str_eq(v, HC_STR_LIT("true")) ||
            hc_str_eq(v, HC_STR_LIT("detail")));
}

static int query_u64(const char *q, size_t qlen, const char *key, uint64_t def, uint64_t *ret)
{
    hc_str_t v;
    *ret = def;
    if (!query_get(q, qlen, key, &v))
        return 0;
    return hc_parse_u64(v.p, v.len, UINT64_MAX, ret);
}

static json_t *varz(bus_server_t *s)
{
    char start[40], now[40];
    int64_t wall = hc_wall_ms();
    bus_sublist_stats_t st;
    bus_sublist_stats(s->sl, &st);
    time_str(s->start_wall_ms, start, sizeof(start));
    time_str(wall, now, sizeof(now));
    char uptime[32];
    snprintf(uptime, sizeof(uptime), "%llds", (long long)((wall - s->start_wall_ms) / 1000));
    json_t *stats = json_object();
    static const char *const paths[] = {"/", "/varz", "/connz", "/subsz", "/healthz"};
    for (size_t i = 0; i < HC_ARRAY_SIZE(paths); i++)
        json_object_set_new(stats, paths[i], json_integer((json_int_t)s->http_reqs[i]));
    return json_pack(
        "{s:s,s:s,s:s,s:i,s:s,s:s,s:i,s:b,s:I,s:I,s:i,s:s,s:i,s:i,s:I,s:I,s:I,s:I,s:I,s:s,s:s,"
        "s:s,s:I,s:i,s:f,s:I,s:I,s:i,s:i,s:i,s:I,s:I,s:I,s:I,s:I,s:I,s:o,s:{},s:{},s:{}}",
        "server_id", s->server_id, "server_name", s->server_id, "version", BUS_COMPAT_VERSION,
        "proto", 1, "go", "hearth-bus " HEARTH_VERSION, "host", s->opts.host, "port", s->opts.port,
        "auth_required", s->auth_required, "max_connections", (json_int_t)s->opts.max_connections,
        "ping_interval", (json_int_t)(s->opts.ping_interval_ms * 1000000), "ping_max",
        (int)s->opts.ping_max, "http_host", s->opts.http_host ? s->opts.http_host : s->opts.host,
        "http_port", s->opts.http_port, "auth_timeout", (int)(s->opts.auth_timeout_ms / 1000),
        "max_control_line", (json_int_t)s->opts.max_control_line, "max_payload",
        (json_int_t)s->opts.max_payload, "max_pending", (json_int_t)s->opts.max_pending,
        "write_deadline", (json_int_t)(s->opts.write_deadline_ms * 1000000), "tls_timeout",
        (json_int_t)2, "start", start, "now", now, "uptime", uptime, "mem", (json_int_t)rss_bytes(),
        "cores", (int)sysconf(_SC_NPROCESSORS_ONLN), "cpu", cpu_percent(s), "connections",
        (json_int_t)s->nclients, "total_connections", (json_int_t)s->total_connections, "routes", 0,
        "remotes", 0, "leafnodes", 0, "in_msgs", (json_int_t)s->in_msgs, "out_msgs",
        (json_int_t)s->out_msgs, "in_bytes", (json_int_t)s->in_bytes, "out_bytes",
        (json_int_t)s->out_bytes, "slow_consumers", (json_int_t)s->slow_consumers, "subscriptions",
        (json_int_t)st.count, "http_req_stats", stats, "cluster", "gateway", "leaf");
}

static json_t *conn_subs(const bus_client_t *c, bool detail)
{
    json_t *a = json_array();
    BUS_HMAP_FOREACH(&c->subs, e)
    {
        const bus_sub_t *sub = e->val;
        json_t *subj = json_stringn(sub->subject.p, sub->subject.len);
        if (!detail) {
            json_array_append_new(a, subj);
            continue;
        }
        json_t *d =
            json_pack("{s:o,s:s%,s:I,s:I}", "subject", subj, "sid", sub->sid.p, sub->sid.len,
                      "msgs", (json_int_t)sub->nmsgs, "cid", (json_int_t)c->cid);
        if (sub->queue.len)
            json_object_set_new(d, "qgroup", json_stringn(sub->queue.p, sub->queue.len));
        json_array_append_new(a, d);
    }
    return a;
}

static int cmp_cid(const void *a, const void *b)
{
    uint64_t x = (*(bus_client_t *const *)a)->cid, y = (*(bus_client_t *const *)b)->cid;
    return x < y ? -1 : x > y;
}

static json_t *connz(bus_server_t *s, const char *q, size_t qlen, int *status)
{
    uint64_t offset, limit, cid;
    hc_str_t state = HC_STR_LIT("open"), subsv;
    bool subs = false, detail = false, auth = query_flag(q, qlen, "auth");
    int64_t wall = hc_wall_ms();
    char now[40], t1[40];

    if (query_u64(q, qlen, "offset", 0, &offset) < 0 ||
        query_u64(q, qlen, "limit", 1024, &limit) < 0 || query_u64(q, qlen, "cid", 0, &cid) < 0) {
        *status = 400;
        return json_pack("{s:s}", "error", "invalid number in query");
    }
    if (query_get(q, qlen, "subs", &subsv)) {
        detail = hc_str_eq(subsv, HC_STR_LIT("detail"));
        subs = detail || hc_str_eq(subsv, HC_STR_LIT("1")) || hc_str_eq(subsv, HC_STR_LIT("true"));
    }
    (void)query_get(q, qlen, "state", &state);
    bool want_open = hc_str_eq(state, HC_STR_LIT("open")) || hc_str_eq(state, HC_STR_LIT("any"));
    bool want_closed =
        hc_str_eq(state, HC_STR_LIT("closed")) || hc_str_eq(state, HC_STR_LIT("any"));
    if (!want_open && !want_closed) {
        *status = 400;
        return json_pack("{s:s}", "error", "invalid state");
    }
    time_str(wall, now, sizeof(now));
    json_t *conns = json_array();
    uint64_t total = 0, idx = 0;
    if (want_open) {
        bus_client_t **all = hc_calloc(s->nclients + 1, sizeof(*all));
        size_t n = 0;
        for (bus_client_t *c = s->clients; c; c = c->next)
            if (!c->closing && (!cid || c->cid == cid))
                all[n++] = c;
        qsort(all, n, sizeof(*all), cmp_cid);
        for (size_t i = 0; i < n; i++, idx++) {
            bus_client_t *c = all[i];
            total++;
            if (idx < offset || idx >= offset + limit)
                continue;
            char rtt[32], up[32], idle[32];
            uint64_t nowms = uv_now(s->loop);
            time_str(c->start_wall_ms, t1, sizeof(t1));
            snprintf(rtt, sizeof(rtt), "%.3fms", (double)c->rtt_ns / 1e6);
            snprintf(up, sizeof(up), "%llus", (unsigned long long)((nowms - c->start_ms) / 1000));
            snprintf(idle, sizeof(idle), "%llus",
                     (unsigned long long)((nowms - c->last_activity_ms) / 1000));
            json_t *o = json_pack(
                "{s:I,s:s,s:s,s:s,s:i,s:s,s:s,s:s,s:s,s:s,s:I,s:I,s:I,s:I,s:I,s:I,s:s,s:s,s:s}",
                "cid", (json_int_t)c->cid, "kind", "Client", "type", "nats", "ip", c->ip, "port",
                c->port, "start", t1, "last_activity", now, "rtt", rtt, "uptime", up, "idle", idle,
                "pending_bytes", (json_int_t)bus_client_pending(c), "in_msgs",
                (json_int_t)c->in_msgs, "out_msgs", (json_int_t)c->out_msgs, "in_bytes",
                (json_int_t)c->in_bytes, "out_bytes", (json_int_t)c->out_bytes, "subscriptions",
                (json_int_t)c->subs.count, "name", c->name ? c->name : "", "lang",
                c->lang ? c->lang : "", "version", c->version ? c->version : "");
            if (!o)
                continue;
            if (subs)
                json_object_set_new(o, detail ? "subscriptions_list_detail" : "subscriptions_list",
                                    conn_subs(c, detail));
            if (auth && c->user)
                json_object_set_new(o, "authorized_user", json_string(c->user));
            json_array_append_new(conns, o);
        }
        free(all);
    }
    if (want_closed && s->closed) {
        for (size_t k = 0; k < s->closed_n; k++) {
            size_t i = (s->closed_next + BUS_MAX_CLOSED_CLIENTS - s->closed_n + k) %
                       BUS_MAX_CLOSED_CLIENTS;
            const bus_closed_t *e = &s->closed[i];
            if (cid && e->cid != cid)
                continue;
            total++;
            if (idx++ < offset || idx > offset + limit)
                continue;
            char t2[40];
            time_str(e->start_wall_ms, t1, sizeof(t1));
            time_str(e->stop_wall_ms, t2, sizeof(t2));
            json_array_append_new(
                conns,
                json_pack("{s:I,s:s,s:s,s:s,s:i,s:s,s:s,s:s,s:I,s:I,s:I,s:I,s:I,s:s,s:s,s:s}",
                          "cid", (json_int_t)e->cid, "kind", "Client", "type", "nats", "ip", e->ip,
                          "port", e->port, "start", t1, "stop", t2, "reason",
                          bus_close_reason_text(e->reason), "in_msgs", (json_int_t)e->in_msgs,
                          "out_msgs", (json_int_t)e->out_msgs, "in_bytes", (json_int_t)e->in_bytes,
                          "out_bytes", (json_int_t)e->out_bytes, "subscriptions",
                          (json_int_t)e->subs, "name", e->name ? e->name : "", "lang",
                          e->lang ? e->lang : "", "version", e->version ? e->version : ""));
        }
    }
    return json_pack("{s:s,s:s,s:I,s:I,s:I,s:I,s:o}", "server_id", s->server_id, "now", now,
                     "num_connections", (json_int_t)json_array_size(conns), "total",
                     (json_int_t)total, "offset", (json_int_t)offset, "limit", (json_int_t)limit,
                     "connections", conns);
}

static json_t *subsz(bus_server_t *s, const char *q, size_t qlen)
{
    bus_sublist_stats_t st;
    bus_sublist_stats(s->sl, &st);
    double hit = st.matches ? (double)st.cache_hits / (double)st.matches : 0.0;
    double avg = st.cache_entries ? (double)st.fanout_total / (double)st.cache_entries : 0.0;
    json_t *o = json_pack(
        "{s:I,s:I,s:I,s:I,s:I,s:f,s:I,s:f}", "num_subscriptions", (json_int_t)st.count, "num_cache",
        (json_int_t)st.cache_entries, "num_inserts", (json_int_t)st.inserts, "num_removes",
        (json_int_t)st.removes, "num_matches", (json_int_t)st.matches, "cache_hit_rate", hit,
        "max_fanout", (json_int_t)st.max_fanout, "avg_fanout", avg);
    if (query_flag(q, qlen, "subs")) {
        hc_str_t test;
        bool has_test = query_get(q, qlen, "test", &test);
        json_t *list = json_array();
        for (bus_client_t *c = s->clients; c; c = c->next) {
            BUS_HMAP_FOREACH(&c->subs, e)
            {
                const bus_sub_t *sub = e->val;
                if (has_test &&
                    !bus_subject_matches(test.p, test.len, sub->subject.p, sub->subject.len))
                    continue;
                json_t *d =
                    json_pack("{s:s,s:s%,s:s%,s:I,s:I}", "account", "$G", "subject", sub->subject.p,
                              sub->subject.len, "sid", sub->sid.p, sub->sid.len, "msgs",
                              (json_int_t)sub->nmsgs, "cid", (json_int_t)c->cid);
                if (sub->queue.len)
                    json_object_set_new(d, "qgroup", json_stringn(sub->queue.p, sub->queue.len));
                json_array_append_new(list, d);
            }
        }
        json_object_set_new(o, "server_id", json_string(s->server_id));
        json_object_set_new(o, "total", json_integer((json_int_t)json_array_size(list)));
        json_object_set_new(o, "subscriptions_list", list);
    }
    return o;
}

int bus_monitor_render(bus_server_t *s, const char *path, size_t plen, const char *q, size_t qlen,
                       hc_buf_t *out)
{
    hc_str_t p = hc_str(path, plen);
    json_t *body = NULL;
    int status = 200;

    if (hc_str_eq(p, HC_STR_LIT("/varz"))) {
        s->http_reqs[1]++;
        body = varz(s);
    } else if (hc_str_eq(p, HC_STR_LIT("/connz"))) {
        s->http_reqs[2]++;
        body = connz(s, q, qlen, &status);
    } else if (hc_str_eq(p, HC_STR_LIT("/subsz")) || hc_str_eq(p, HC_STR_LIT("/subscriptionsz"))) {
        s->http_reqs[3]++;
        body = subsz(s, q, qlen);
    } else if (hc_str_eq(p, HC_STR_LIT("/healthz"))) {
        s->http_reqs[4]++;
        body = json_pack("{s:s}", "status", "ok");
    } else if (hc_str_eq(p, HC_STR_LIT("/"))) {
        s->http_reqs[0]++;
        body = json_pack("{s:[s,s,s,s]}", "endpoints", "/varz", "/connz", "/subsz", "/healthz");
    } else {
        status = 404;
        body = json_pack("{s:s}", "error", "not found");
    }
    char *text = json_dumps(body, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
    hc_buf_append_str(out, text ? text : "{}");
    hc_buf_append_byte(out, '\n');
    free(text);
    json_decref(body);
    return status;
}

static void respond(mon_conn_t *m, int status, const char *body, size_t blen)
{
    const char *text = status == 200   ? "OK"
                       : status == 404 ? "Not Found"
                       : status == 405 ? "Method Not Allowed"
                                       : "Bad Request";
    hc_buf_appendf(&m->resp,
                   "HTTP/1.1 %d %s\r\nContent-Type: application/json\r\nContent-Length: %zu\r\n"
                   "Connection: close\r\n\r\n",
                   status, text, blen);
    hc_buf_append(&m->resp, body, blen);
    uv_buf_t b = uv_buf_init(m->resp.data, (unsigned int)m->resp.len);
    m->done = true;
    uv_read_stop((uv_stream_t *)&m->tcp);
    if (uv_write(&m->wreq, (uv_stream_t *)&m->tcp, &b, 1, mon_on_write) < 0)
        uv_close((uv_handle_t *)&m->tcp, mon_on_close);
}

static void handle(mon_conn_t *m, hc_str_t path, hc_str_t query)
{
    hc_buf_t body;
    hc_buf_init(&body, 16 * 1024 * 1024);
    int status = bus_monitor_render(m->srv, path.p, path.len, query.p, query.len, &body);
    respond(m, status, body.data, body.len);
    hc_buf_release(&body);
}

static void mon_alloc(uv_handle_t *h, size_t size, uv_buf_t *buf)
{
    mon_conn_t *m = HC_CONTAINER_OF(h, mon_conn_t, tcp);
    buf->base = m->req + m->len;
    buf->len = sizeof(m->req) - m->len;
}

static void mon_read(uv_stream_t *st, ssize_t nread, const uv_buf_t *buf)
{
    mon_conn_t *m = HC_CONTAINER_OF(st, mon_conn_t, tcp);
    if (m->done)
        return;
    if (nread < 0) {
        uv_close((uv_handle_t *)&m->tcp, mon_on_close);
        return;
    }
    m->len += (size_t)nread;
    hc_str_t path, query;
    int r = bus_http_parse(m->req, m->len, &path, &query);
    if (r == 0)
        handle(m, path, query);
    else if (r == 405)
        respond(m, 405, "{\"error\":\"method not allowed\"}\n", 31);
    else if (r != HC_AGAIN)
        respond(m, 400, "{\"error\":\"bad request\"}\n", 24);
    else if (m->len == sizeof(m->req))
        respond(m, 400, "{\"error\":\"request too large\"}\n", 30);
}

static void mon_on_connection(uv_stream_t *l, int status)
{
    bus_server_t *s = l->data;
    if (status < 0)
        return;
    mon_conn_t *m = hc_calloc(1, sizeof(*m));
    m->srv = s;
    hc_buf_init(&m->resp, 32 * 1024 * 1024);
    uv_tcp_init(s->loop, &m->tcp);
    m->tcp.data = &mon_marker;
    if (uv_accept(l, (uv_stream_t *)&m->tcp) < 0) {
        uv_close((uv_handle_t *)&m->tcp, mon_on_close);
        return;
    }
    uv_read_start((uv_stream_t *)&m->tcp, mon_alloc, mon_read);
}

int bus_monitor_start(bus_server_t *s, hc_err_t *err)
{
    const char *host = s->opts.http_host ? s->opts.http_host : s->opts.host;
    struct sockaddr_storage ss;
    int r;

    if (uv_ip4_addr(host, s->opts.http_port, (struct sockaddr_in *)&ss) != 0 &&
        uv_ip6_addr(host, s->opts.http_port, (struct sockaddr_in6 *)&ss) != 0)
        return hc_err_set(err, -EINVAL, "invalid monitoring address `%s`", host);
    uv_tcp_init(s->loop, &s->http_listener);
    s->http_listener.data = s;
    r = uv_tcp_bind(&s->http_listener, (struct sockaddr *)&ss, 0);
    if (r == 0)
        r = uv_listen((uv_stream_t *)&s->http_listener, 128, mon_on_connection);
    if (r < 0) {
        uv_close((uv_handle_t *)&s->http_listener, NULL);
        return hc_err_set(err, r, "monitoring listen on %s:%d: %s", host, s->opts.http_port,
                          uv_strerror(r));
    }
    s->http_listening = true;
    char port[16];
    snprintf(port, sizeof(port), "%d", s->opts.http_port);
    hc_log_info("starting http monitor", "host", host, "port", port);
    return 0;
}

static void close_mon(uv_handle_t *h, void *arg)
{
    if (h->type == UV_TCP && h->data == &mon_marker && !uv_is_closing(h))
        uv_close(h, mon_on_close);
}

void bus_monitor_close_all(bus_server_t *s)
{
    uv_walk(s->loop, close_mon, NULL);
}
