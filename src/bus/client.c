/*
 * client.c - one NATS client connection: reading and running its operations, its bounded
 * output buffer (double-buffered: one being filled while the other is in uv_write), producer
 * back-pressure, slow consumer cut-off, pings and timeouts.
 */
#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "bus_limits.h"
#include "hc_log.h"
#include "hc_time.h"
#include "server.h"
#include "tls.h"

static const char *const reason_texts[] = {
    [BUS_CLOSE_CLIENT] = "Client Closed",
    [BUS_CLOSE_PROTOCOL] = "Protocol Violation",
    [BUS_CLOSE_MAX_PAYLOAD] = "Maximum Message Payload Exceeded",
    [BUS_CLOSE_MAX_CONTROL] = "Maximum Control Line Exceeded",
    [BUS_CLOSE_AUTH] = "Authentication Failure",
    [BUS_CLOSE_AUTH_TIMEOUT] = "Authentication Timeout",
    [BUS_CLOSE_STALE] = "Stale Connection",
    [BUS_CLOSE_BAD_PROTOCOL] = "Bad Client Protocol Version",
    [BUS_CLOSE_NO_RESPONDERS_HEADERS] = "No Responders Requires Headers",
    [BUS_CLOSE_MAX_CONNECTIONS] = "Maximum Connections Exceeded",
    [BUS_CLOSE_SLOW_PENDING] = "Slow Consumer (Pending Bytes)",
    [BUS_CLOSE_SLOW_DEADLINE] = "Slow Consumer (Write Deadline)",
    [BUS_CLOSE_WRITE_ERROR] = "Write Error",
    [BUS_CLOSE_READ_ERROR] = "Read Error",
    [BUS_CLOSE_SHUTDOWN] = "Server Shutdown",
    [BUS_CLOSE_TLS] = "TLS Handshake Error",
};

const char *bus_close_reason_text(bus_close_reason_t r)
{
    return (size_t)r < HC_ARRAY_SIZE(reason_texts) ? reason_texts[r] : "Unknown";
}

size_t bus_client_pending(const bus_client_t *c)
{
    return c->out_len + c->wbuf_len;
}

static void on_close(uv_handle_t *h)
{
    bus_client_t *c = HC_CONTAINER_OF(h, bus_client_t, tcp);
    bus_parser_release(&c->parser);
    bus_hmap_release(&c->subs);
    bus_result_unref(c->last_result);
    free(c->out);
    free(c->wbuf);
    free(c->name);
    free(c->lang);
    free(c->version);
    free(c->user);
    bus_tls_free(c->tls);
    free(c);
}

/* ---- output ---------------------------------------------------------------------------- */

static void mark_dirty(bus_client_t *c)
{
    if (!c->dirty) {
        c->dirty = true;
        c->next_dirty = c->srv->dirty_head;
        c->srv->dirty_head = c;
    }
}

static void cut_slow(bus_client_t *c, bus_close_reason_t reason)
{
    bus_server_t *s = c->srv;
    s->slow_consumers++;
    HC_LOGF(HC_LOG_WARN, "slow consumer detected: cid=%llu %s pending=%zu",
            (unsigned long long)c->cid, bus_close_reason_text(reason), bus_client_pending(c));
    bus_client_close(c, reason, NULL);
}

char *bus_client_reserve(bus_client_t *c, size_t len)
{
    if (HC_UNLIKELY(c->closing))
        return NULL;
    size_t need = c->out_len + len;
    if (HC_UNLIKELY(need > c->out_cap)) {
        if (need + c->wbuf_len > c->srv->opts.max_pending) {
            cut_slow(c, BUS_CLOSE_SLOW_PENDING);
            return NULL;
        }
        size_t cap = c->out_cap ? c->out_cap : 4096;
        while (cap < need)
            cap *= 2;
        c->out = hc_realloc(c->out, cap);
        c->out_cap = cap;
    }
    char *p = c->out + c->out_len;
    c->out_len = need;
    mark_dirty(c);
    return p;
}

bool bus_client_queue(bus_client_t *c, const char *p, size_t len)
{
    char *dst = bus_client_reserve(c, len);
    if (!dst)
        return false;
    memcpy(dst, p, len);
    return true;
}

static void on_read(uv_stream_t *stream, ssize_t nread, const uv_buf_t *buf);
static void on_alloc(uv_handle_t *h, size_t size, uv_buf_t *buf);

static void resume_stalled(bus_client_t *c)
{
    while (c->stalled_head) {
        bus_client_t *p = c->stalled_head;
        c->stalled_head = p->stall_next;
        p->stall_on = p->stall_prev = p->stall_next = NULL;
        if (!p->closing && !p->reading) {
            p->reading = true;
            p->last_activity_ms = uv_now(p->srv->loop);
            uv_read_start((uv_stream_t *)&p->tcp, on_alloc, on_read);
        }
    }
}

static void start_reading(bus_client_t *c)
{
    c->reading = true;
    uv_read_start((uv_stream_t *)&c->tcp, on_alloc, on_read);
}

static void after_drain(bus_client_t *c)
{
    if (c->stalled_head && bus_client_pending(c) < c->srv->opts.max_pending / 4)
        resume_stalled(c);
}

static void on_write(uv_write_t *req, int status)
{
    bus_client_t *c = HC_CONTAINER_OF(req, bus_client_t, wreq);
    c->writing = false;
    c->wbuf_len = 0;
    if (status < 0) {
        if (status != UV_ECANCELED)
            bus_client_close(c, BUS_CLOSE_WRITE_ERROR, NULL);
        return;
    }
    c->last_write_ms = uv_now(c->srv->loop);
    if (c->out_len > 0)
        bus_client_flush(c);
    after_drain(c);
}

/* Writes bytes to the socket (through TLS when on); takes the output buffer's content. */
void bus_client_flush(bus_client_t *c)
{
    if (c->writing || c->out_len == 0 || c->closed_tcp)
        return;
    if (c->tls) {
        /* TLS: encrypt the whole output buffer into wbuf, then write it. */
        int r = bus_tls_encrypt(c->tls, c->out, c->out_len, &c->wbuf, &c->wbuf_len, &c->wbuf_cap);
        c->out_len = 0;
        if (r < 0) {
            bus_client_close(c, BUS_CLOSE_TLS, NULL);
            return;
        }
    } else {
        uv_buf_t b = uv_buf_init(c->out, (unsigned int)c->out_len);
        int n = uv_try_write((uv_stream_t *)&c->tcp, &b, 1);
        if (n == (int)c->out_len) {
            c->out_len = 0;
            c->last_write_ms = uv_now(c->srv->loop);
            after_drain(c);
            return;
        }
        if (n < 0 && n != UV_EAGAIN) {
            bus_client_close(c, BUS_CLOSE_WRITE_ERROR, NULL);
            return;
        }
        size_t done = n > 0 ? (size_t)n : 0;
        if (done)
            c->last_write_ms = uv_now(c->srv->loop);
        /* Swap buffers: the rest goes in flight, `out` is free for more. */
        char *tmp = c->wbuf;
        size_t tcap = c->wbuf_cap;
        c->wbuf = c->out;
        c->wbuf_cap = c->out_cap;
        c->wbuf_len = c->out_len - done;
        if (done)
            memmove(c->wbuf, c->wbuf + done, c->wbuf_len);
        c->out = tmp;
        c->out_cap = tcap;
        c->out_len = 0;
    }
    if (c->wbuf_len == 0)
        return;
    uv_buf_t wb = uv_buf_init(c->wbuf, (unsigned int)c->wbuf_len);
    c->writing = true;
    if (uv_write(&c->wreq, (uv_stream_t *)&c->tcp, &wb, 1, on_write) < 0) {
        c->writing = false;
        bus_client_close(c, BUS_CLOSE_WRITE_ERROR, NULL);
    }
}

/* ---- closing --------------------------------------------------------------------------- */

void bus_client_close(bus_client_t *c, bus_close_reason_t reason, const char *err_text)
{
    if (c->closing)
        return;
    if (err_text) {
        char line[256];
        int n = snprintf(line, sizeof(line), "-ERR '%s'\r\n", err_text);
        if (n > 0 && (size_t)n < sizeof(line))
            bus_client_queue(c, line, (size_t)n);
    }
    c->closing = true;
    c->reason = reason;
    c->next_close = c->srv->close_head;
    c->srv->close_head = c;
    if (c->reading) {
        uv_read_stop((uv_stream_t *)&c->tcp);
        c->reading = false;
    }
}

void bus_client_teardown(bus_client_t *c)
{
    bus_server_t *s = c->srv;

    /* Last words (an -ERR) go out with a direct write; whatever cannot is dropped. */
    if (!c->writing && c->out_len > 0 && !c->tls) {
        uv_buf_t b = uv_buf_init(c->out, (unsigned int)c->out_len);
        (void)uv_try_write((uv_stream_t *)&c->tcp, &b, 1);
    } else if (c->tls && c->out_len > 0 && !c->writing) {
        char *enc = NULL;
        size_t elen = 0, ecap = 0;
        if (bus_tls_encrypt(c->tls, c->out, c->out_len, &enc, &elen, &ecap) == 0 && elen) {
            uv_buf_t b = uv_buf_init(enc, (unsigned int)elen);
            (void)uv_try_write((uv_stream_t *)&c->tcp, &b, 1);
        }
        free(enc);
    }
    c->out_len = 0;
    BUS_HMAP_FOREACH(&c->subs, e)
    {
        bus_sub_t *sub = e->val;
        bus_sublist_remove(s->sl, sub);
        free(sub);
    }
    bus_hmap_clear(&c->subs);
    /* Producers waiting on us go on; if we wait on someone, leave their list. */
    resume_stalled(c);
    if (c->stall_on) {
        bus_client_t *on = c->stall_on;
        if (c->stall_prev)
            c->stall_prev->stall_next = c->stall_next;
        else
            on->stalled_head = c->stall_next;
        if (c->stall_next)
            c->stall_next->stall_prev = c->stall_prev;
        c->stall_on = NULL;
    }
    if (c->prev)
        c->prev->next = c->next;
    else
        s->clients = c->next;
    if (c->next)
        c->next->prev = c->prev;
    s->nclients--;
    bus_server_closed_add(s, c);
    HC_LOGF(HC_LOG_DEBUG, "client closed: cid=%llu %s", (unsigned long long)c->cid,
            bus_close_reason_text(c->reason));
    c->closed_tcp = true;
    uv_close((uv_handle_t *)&c->tcp, on_close);
}

/* ---- operations ------------------------------------------------------------------------ */

static char *json_strdup(json_t *o, const char *key, bool *bad)
{
    json_t *v = json_object_get(o, key);
    if (!v || json_is_null(v))
        return NULL;
    if (!json_is_string(v)) {
        *bad = true;
        return NULL;
    }
    return hc_strndup(json_string_value(v), json_string_length(v));
}

static bool json_bool(json_t *o, const char *key, bool def, bool *bad)
{
    json_t *v = json_object_get(o, key);
    if (!v || json_is_null(v))
        return def;
    if (!json_is_boolean(v)) {
        *bad = true;
        return def;
    }
    return json_is_true(v);
}

static void send_ok(bus_client_t *c)
{
    bus_client_queue(c, "+OK\r\n", 5);
}

static void process_connect(bus_client_t *c, hc_str_t arg)
{
    bus_server_t *s = c->srv;
    json_error_t jerr;
    bool bad = false;
    json_t *o = json_loadb(arg.p, arg.len, 0, &jerr);
    char *user = NULL, *pass = NULL, *token = NULL;

    if (!o || !json_is_object(o)) {
        bus_client_close(c, BUS_CLOSE_PROTOCOL, NULL);
        goto out;
    }
    bool verbose = json_bool(o, "verbose", true, &bad);
    bool pedantic = json_bool(o, "pedantic", true, &bad);
    bool echo = json_bool(o, "echo", true, &bad);
    bool headers = json_bool(o, "headers", false, &bad);
    bool no_resp = json_bool(o, "no_responders", false, &bad);
    (void)json_bool(o, "tls_required", false, &bad);
    user = json_strdup(o, "user", &bad);
    pass = json_strdup(o, "pass", &bad);
    token = json_strdup(o, "auth_token", &bad);
    char *name = json_strdup(o, "name", &bad);
    char *lang = json_strdup(o, "lang", &bad);
    char *version = json_strdup(o, "version", &bad);
    json_t *pv = json_object_get(o, "protocol");
    int protocol = 0;
    if (pv && !json_is_null(pv)) {
        if (!json_is_integer(pv))
            bad = true;
        else
            protocol = (int)HC_MAX(HC_MIN(json_integer_value(pv), 1000), -1000);
    }
    if (bad) {
        free(name);
        free(lang);
        free(version);
        bus_client_close(c, BUS_CLOSE_PROTOCOL, NULL);
        goto out;
    }
    free(c->name);
    free(c->lang);
    free(c->version);
    c->name = name;
    c->lang = lang;
    c->version = version;
    if (protocol < 0 || protocol > 1) {
        bus_client_close(c, BUS_CLOSE_BAD_PROTOCOL, "invalid client protocol");
        goto out;
    }
    if (s->auth_required && !c->connected && !bus_auth_check(&s->opts, user, pass, token)) {
        bus_client_close(c, BUS_CLOSE_AUTH, "Authorization Violation");
        goto out;
    }
    if (no_resp && !headers) {
        bus_client_close(c, BUS_CLOSE_NO_RESPONDERS_HEADERS,
                         "no responders requires headers support");
        goto out;
    }
    if (s->auth_required && !c->connected) {
        free(c->user);
        c->user = user ? hc_strdup(user) : NULL;
    }
    c->verbose = verbose;
    c->pedantic = pedantic;
    c->echo = echo;
    c->headers = headers;
    c->no_responders = no_resp;
    c->protocol = protocol;
    c->connected = true;
    c->parser.headers = headers;
    c->parser.need_connect = false;
    if (verbose)
        send_ok(c);
out:
    free(user);
    free(pass);
    free(token);
    json_decref(o);
}

static void process_sub(bus_client_t *c, const bus_op_t *op)
{
    bus_server_t *s = c->srv;

    if (bus_hmap_get(&c->subs, op->sid.p, op->sid.len)) {
        if (c->verbose)
            send_ok(c);
        return;
    }
    if (!bus_subject_valid(op->subject.p, op->subject.len)) {
        bus_client_queue(c, "-ERR 'Invalid Subject'\r\n", 24);
        return;
    }
    bus_sub_t *sub = bus_sub_new(op->subject, op->queue, op->sid);
    sub->client = c;
    if (bus_sublist_insert(s->sl, sub) < 0) {
        free(sub);
        bus_client_queue(c, "-ERR 'Invalid Subject'\r\n", 24);
        return;
    }
    bus_hmap_put(&c->subs, sub->sid.p, sub->sid.len, sub);
    if (c->verbose)
        send_ok(c);
}

static void process_unsub(bus_client_t *c, const bus_op_t *op)
{
    bus_sub_t *sub = bus_hmap_get(&c->subs, op->sid.p, op->sid.len);
    if (sub) {
        if (op->max > 0 && (uint64_t)op->max > sub->nmsgs) {
            sub->max = (uint64_t)op->max;
        } else {
            bus_hmap_del(&c->subs, sub->sid.p, sub->sid.len);
            bus_sublist_remove(c->srv->sl, sub);
            bus_server_sub_dead(c->srv, sub);
        }
    }
    if (c->verbose)
        send_ok(c);
}

static void process_ping(bus_client_t *c)
{
    bus_client_queue(c, "PONG\r\n", 6);
}

static void process_pong(bus_client_t *c)
{
    c->pings_out = 0;
    if (c->rtt_start_ns) {
        c->rtt_ns = hc_now_ns() - c->rtt_start_ns;
        c->rtt_start_ns = 0;
    }
}

/* -V: one debug line per client operation (arguments only, never payloads). */
#define SP(s) ((s).p ? (s).p : "")
static void trace_op(const bus_client_t *c, const bus_op_t *op)
{
    static const char *const names[] = {"?",    "CONNECT", "PUB",  "HPUB", "SUB", "UNSUB",
                                        "PING", "PONG",    "INFO", "+OK",  "-ERR"};
    HC_LOGF(HC_LOG_DEBUG, "cid=%llu <<- %s %.*s%s%.*s%s%.*s%s%.*s%s", (unsigned long long)c->cid,
            names[op->kind], (int)HC_MIN(op->subject.len, 256), SP(op->subject),
            op->reply.len ? " " : "", (int)HC_MIN(op->reply.len, 256), SP(op->reply),
            op->queue.len ? " " : "", (int)HC_MIN(op->queue.len, 256), SP(op->queue),
            op->sid.len ? " " : "", (int)HC_MIN(op->sid.len, 64), SP(op->sid),
            op->kind == BUS_OP_CONNECT ? " {...}" : "");
}

void bus_client_process(bus_client_t *c, const char *buf, size_t len)
{
    size_t pos = 0;
    bus_op_t op;

    c->last_activity_ms = uv_now(c->srv->loop);
    while (pos < len && !c->closing) {
        int r = bus_parse(&c->parser, buf, len, &pos, &op);
        if (r == 0)
            break;
        if (r < 0) {
            switch (r) {
            case BUS_PERR_MAX_CONTROL:
                bus_client_close(c, BUS_CLOSE_MAX_CONTROL, "maximum control line exceeded");
                break;
            case BUS_PERR_MAX_PAYLOAD:
                bus_client_close(c, BUS_CLOSE_MAX_PAYLOAD, "Maximum Payload Violation");
                break;
            case BUS_PERR_AUTH:
                bus_client_close(c, BUS_CLOSE_AUTH, "Authorization Violation");
                break;
            case BUS_PERR_ARGS:
            case BUS_PERR_NO_HEADERS:
                bus_client_close(c, BUS_CLOSE_PROTOCOL, NULL);
                break;
            default:
                bus_client_close(c, BUS_CLOSE_PROTOCOL, "Unknown Protocol Operation");
                break;
            }
            return;
        }
        if (HC_UNLIKELY(c->srv->opts.trace))
            trace_op(c, &op);
        switch (op.kind) {
        case BUS_OP_PUB:
        case BUS_OP_HPUB:
            bus_deliver(c, &op);
            break;
        case BUS_OP_SUB:
            process_sub(c, &op);
            break;
        case BUS_OP_UNSUB:
            process_unsub(c, &op);
            break;
        case BUS_OP_PING:
            process_ping(c);
            break;
        case BUS_OP_PONG:
            process_pong(c);
            break;
        case BUS_OP_CONNECT:
            process_connect(c, op.arg);
            break;
        case BUS_OP_ERR:
            bus_client_close(c, BUS_CLOSE_PROTOCOL, NULL);
            break;
        default: /* INFO and +OK from a client are ignored */
            break;
        }
    }
}

/* ---- socket callbacks ------------------------------------------------------------------ */

static void on_alloc(uv_handle_t *h, size_t size, uv_buf_t *buf)
{
    bus_client_t *c = HC_CONTAINER_OF(h, bus_client_t, tcp);
    buf->base = c->srv->read_buf;
    buf->len = BUS_READ_BUF;
}

static void on_read(uv_stream_t *stream, ssize_t nread, const uv_buf_t *buf)
{
    bus_client_t *c = HC_CONTAINER_OF(stream, bus_client_t, tcp);

    if (nread < 0) {
        bus_client_close(c, nread == UV_EOF ? BUS_CLOSE_CLIENT : BUS_CLOSE_READ_ERROR, NULL);
        return;
    }
    if (nread == 0 || c->closing)
        return;
    if (c->tls) {
        bus_tls_feed(c, buf->base, (size_t)nread);
        return;
    }
    bus_client_process(c, buf->base, (size_t)nread);
}

void bus_client_send_info(bus_client_t *c, bool ldm)
{
    bus_server_t *s = c->srv;
    hc_buf_t b;
    hc_buf_init(&b, 4096);
    hc_buf_appendf(&b,
                   "INFO {\"server_id\":\"%s\",\"server_name\":\"%s\",\"version\":\"%s\","
                   "\"proto\":1,\"go\":\"hearth-bus %s\",\"host\":\"%s\",\"port\":%d,"
                   "\"headers\":true,\"max_payload\":%llu,\"client_id\":%llu,\"client_ip\":\"%s\"",
                   s->server_id, s->server_id, BUS_COMPAT_VERSION, HEARTH_VERSION, s->opts.host,
                   s->opts.port, (unsigned long long)s->opts.max_payload,
                   (unsigned long long)c->cid, c->ip);
    if (s->auth_required)
        hc_buf_append_str(&b, ",\"auth_required\":true");
    if (s->opts.tls)
        hc_buf_append_str(&b, ",\"tls_required\":true,\"tls_verify\":false");
    if (ldm)
        hc_buf_append_str(&b, ",\"ldm\":true");
    hc_buf_append_str(&b, "} \r\n");
    if (c->tls) {
        /* Before the handshake the INFO goes out in clear text, as nats-server does. */
        uv_buf_t ub = uv_buf_init(b.data, (unsigned int)b.len);
        if (!c->connected && !ldm) {
            (void)uv_try_write((uv_stream_t *)&c->tcp, &ub, 1);
            hc_buf_release(&b);
            return;
        }
    }
    bus_client_queue(c, b.data, b.len);
    hc_buf_release(&b);
}

void bus_client_accept(bus_server_t *s, uv_stream_t *listener)
{
    bus_client_t *c = hc_calloc(1, sizeof(*c));
    uint64_t now = uv_now(s->loop);

    c->srv = s;
    uv_tcp_init(s->loop, &c->tcp);
    if (uv_accept(listener, (uv_stream_t *)&c->tcp) < 0) {
        c->closed_tcp = true;
        uv_close((uv_handle_t *)&c->tcp, on_close);
        return;
    }
    uv_tcp_nodelay(&c->tcp, 1);
    c->cid = ++s->next_cid;
    c->verbose = true;
    c->pedantic = true;
    c->echo = true;
    c->start_ms = c->last_activity_ms = c->last_write_ms = now;
    c->start_wall_ms = hc_wall_ms();
    uint64_t first = HC_MIN((uint64_t)BUS_FIRST_PING_MS, s->opts.ping_interval_ms);
    c->next_ping_ms = now + first;
    bus_parser_init(&c->parser, s->opts.max_control_line, s->opts.max_payload);
    struct sockaddr_storage ss;
    int sl = sizeof(ss);
    if (uv_tcp_getpeername(&c->tcp, (struct sockaddr *)&ss, &sl) == 0) {
        if (ss.ss_family == AF_INET) {
            struct sockaddr_in *in = (struct sockaddr_in *)&ss;
            uv_ip4_name(in, c->ip, sizeof(c->ip));
            c->port = ntohs(in->sin_port);
        } else if (ss.ss_family == AF_INET6) {
            struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&ss;
            uv_ip6_name(in6, c->ip, sizeof(c->ip));
            c->port = ntohs(in6->sin6_port);
        }
    }
    c->next = s->clients;
    if (s->clients)
        s->clients->prev = c;
    s->clients = c;
    s->nclients++;
    s->total_connections++;
    if (s->opts.tls)
        c->tls = bus_tls_new(s->tls_ctx);
    bus_client_send_info(c, false);
    if (s->nclients > s->opts.max_connections) {
        bus_client_close(c, BUS_CLOSE_MAX_CONNECTIONS, "maximum connections exceeded");
        return;
    }
    if (s->auth_required) {
        c->parser.need_connect = true;
        c->auth_deadline_ms = now + s->opts.auth_timeout_ms;
    }
    start_reading(c);
}

/* Called by the housekeeping tick: auth timeout, pings, stale connections, write deadline. */
void bus_client_tick(bus_client_t *c, uint64_t now)
{
    bus_server_t *s = c->srv;

    if (c->closing)
        return;
    /* Output buffers grown by a burst go back to the allocator once the client is idle (not on
     * every flush: re-faulting fresh pages per burst costs more than the copy itself). */
    if (!c->writing && c->out_len == 0 && now - c->last_write_ms > 5000) {
        if (c->out_cap > BUS_IDLE_BUF_MAX) {
            free(c->out);
            c->out = NULL;
            c->out_cap = 0;
        }
        if (c->wbuf_cap > BUS_IDLE_BUF_MAX) {
            free(c->wbuf);
            c->wbuf = NULL;
            c->wbuf_cap = 0;
        }
    }
    if (c->auth_deadline_ms && !c->connected && now >= c->auth_deadline_ms) {
        bus_client_close(c, BUS_CLOSE_AUTH_TIMEOUT, "Authentication Timeout");
        return;
    }
    if (bus_client_pending(c) > 0 && c->writing &&
        now - c->last_write_ms > s->opts.write_deadline_ms) {
        cut_slow(c, BUS_CLOSE_SLOW_DEADLINE);
        return;
    }
    if (now < c->next_ping_ms)
        return;
    c->next_ping_ms = now + s->opts.ping_interval_ms;
    /* Recent traffic from the client proves it alive, once its RTT is known (nats-server). */
    if (c->pings_out == 0 && c->rtt_ns != 0 && now - c->last_activity_ms < s->opts.ping_interval_ms)
        return;
    if ((uint64_t)c->pings_out + 1 > s->opts.ping_max) {
        bus_client_close(c, BUS_CLOSE_STALE, "Stale Connection");
        return;
    }
    c->pings_out++;
    if (c->rtt_start_ns == 0)
        c->rtt_start_ns = hc_now_ns();
    bus_client_queue(c, "PING\r\n", 6);
}
