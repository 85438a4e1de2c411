/* An instance's syslog drains: see logdrain.h. */
#include "logdrain.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

#include <openssl/ssl.h>

#include "hc_log.h"
#include "logdrain_tls.h"

#define BACKOFF_MIN_MS 500
#define BACKOFF_MAX_MS 30000
#define CLOSE_WAIT_MS 3000 /* a closing drain's queued lines get this long to leave */
#define HANDSHAKE_MS 10000 /* a TLS receiver that does not finish its handshake by then */
#define READ_BUF 16384

typedef enum {
    D_IDLE,
    D_RESOLVING,
    D_CONNECTING,
    D_HANDSHAKE, /* syslog-tls: connected, TLS handshake under way */
    D_CONNECTED,
    D_WAITING,
    D_REFUSED
} dstate_t;

typedef struct drain_s {
    uv_loop_t *loop;
    char url[256], host[256];
    int port;
    bool allow_loopback;
    dstate_t state;
    uv_tcp_t tcp;
    uv_timer_t timer;
    uv_getaddrinfo_t gai;
    uv_connect_t conn;
    uv_write_t wr;
    bool tcp_open, closing;
    unsigned pending; /* open handles and requests in flight: freed at 0 once closing */
    hc_buf_t queue;   /* not handed to the kernel yet */
    char *sending;    /* being written */
    unsigned backoff_ms;
    uint64_t dropped;
    SSL_CTX *tls_ctx; /* syslog-tls: the DEA's context; NULL: plain TCP */
    SSL *tls;         /* the current connection's session */
    bool tls_bye;     /* closing: close_notify queued */
} drain_t;

struct dea_logdrains_s {
    char hostname[64], app[64], procid[32];
    hc_buf_t part[2]; /* an unfinished line of stdout, of stderr */
    drain_t *d[DEA_LOGDRAIN_MAX];
    size_t n;
};

/* ---- pure parts ---- */

int dea_logdrain_parse_url(const char *url, char *host, size_t host_size, int *port, bool *ret_tls)
{
    static const char plain[] = "syslog://", tls[] = "syslog-tls://";
    const char *h, *he, *p;
    bool is_tls = url && strncmp(url, tls, sizeof(tls) - 1) == 0;
    if (is_tls)
        h = url + sizeof(tls) - 1;
    else if (url && strncmp(url, plain, sizeof(plain) - 1) == 0)
        h = url + sizeof(plain) - 1;
    else
        return -EINVAL;
    if (*h == '[') {
        he = strchr(++h, ']');
        if (!he || he[1] != ':')
            return -EINVAL;
        p = he + 2;
        for (const char *c = h; c < he; c++)
            if (!strchr("0123456789abcdefABCDEF:.", *c))
                return -EINVAL;
    } else {
        he = strchr(h, ':');
        if (!he)
            return -EINVAL;
        p = he + 1;
        for (const char *c = h; c < he; c++)
            if (!((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') ||
                  (*c >= '0' && *c <= '9') || *c == '.' || *c == '-'))
                return -EINVAL;
    }
    size_t hl = (size_t)(he - h), pl = strspn(p, "0123456789");
    if (hl == 0 || hl >= host_size || pl == 0 || pl > 5 || (p[pl] != '\0' && p[pl] != '/'))
        return -EINVAL;
    uint64_t v;
    if (hc_parse_u64(p, pl, 65535, &v) < 0 || v == 0)
        return -EINVAL;
    memcpy(host, h, hl);
    host[hl] = '\0';
    *port = (int)v;
    *ret_tls = is_tls;
    return 0;
}

void dea_logdrain_frame(hc_buf_t *out, bool is_err, const struct timespec *ts, const char *hostname,
                        const char *app, const char *procid, const char *msg, size_t len)
{
    struct tm tm;
    char when[40];
    gmtime_r(&ts->tv_sec, &tm);
    size_t w = strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(when + w, sizeof(when) - w, ".%06ldZ", ts->tv_nsec / 1000);
    char head[256];
    int hn = snprintf(head, sizeof(head), "<%d>1 %s %s %s %s - - ", is_err ? 11 : 14, when,
                      hostname, app, procid);
    if (hn < 0 || (size_t)hn >= sizeof(head))
        return;
    hc_buf_appendf(out, "%zu ", (size_t)hn + len);
    hc_buf_append(out, head, (size_t)hn);
    hc_buf_append(out, msg, len);
}

bool dea_logdrain_addr_refused(const struct sockaddr *sa, bool allow_loopback)
{
    if (sa->sa_family == AF_INET) {
        uint32_t a = ntohl(((const struct sockaddr_in *)sa)->sin_addr.s_addr);
        if ((a >> 24) == 0 || (a >> 16) == 0xa9fe) /* 0.0.0.0/8, 169.254/16 */
            return true;
        return (a >> 24) == 127 && !allow_loopback;
    }
    if (sa->sa_family == AF_INET6) {
        const struct in6_addr *a = &((const struct sockaddr_in6 *)sa)->sin6_addr;
        if (IN6_IS_ADDR_V4MAPPED(a)) {
            struct sockaddr_in v4 = {.sin_family = AF_INET};
            memcpy(&v4.sin_addr, &a->s6_addr[12], 4);
            return dea_logdrain_addr_refused((const struct sockaddr *)&v4, allow_loopback);
        }
        if (IN6_IS_ADDR_UNSPECIFIED(a) || IN6_IS_ADDR_LINKLOCAL(a))
            return true;
        return IN6_IS_ADDR_LOOPBACK(a) && !allow_loopback;
    }
    return true;
}

/* ---- one drain's connection ---- */

static void drain_connect(drain_t *d);

static void drain_maybe_free(drain_t *d)
{
    if (!d->closing || d->pending)
        return;
    hc_buf_release(&d->queue);
    free(d->sending);
    free(d);
}

static void on_handle_closed(uv_handle_t *h)
{
    drain_t *d = h->data;
    if (h == (uv_handle_t *)&d->tcp)
        d->tcp_open = false;
    d->pending--;
    drain_maybe_free(d);
}

static void close_tcp(drain_t *d)
{
    if (d->tcp_open && !uv_is_closing((uv_handle_t *)&d->tcp))
        uv_close((uv_handle_t *)&d->tcp, on_handle_closed);
    SSL_free(d->tls); /* nothing of it is in flight: writes own their bytes */
    d->tls = NULL;
}

static void drain_close_now(drain_t *d)
{
    d->closing = true;
    if (d->state == D_RESOLVING)
        uv_cancel((uv_req_t *)&d->gai);
    close_tcp(d);
    if (!uv_is_closing((uv_handle_t *)&d->timer))
        uv_close((uv_handle_t *)&d->timer, on_handle_closed);
    drain_maybe_free(d);
}

static void on_retry(uv_timer_t *t)
{
    drain_t *d = t->data;
    if (d->tcp_open) /* the broken connection's close has not finished yet */
        uv_timer_start(&d->timer, on_retry, 100, 0);
    else
        drain_connect(d);
}

/* The connection failed (why: NULL when already logged): another attempt after a delay. */
static void retry_later(drain_t *d, const char *why)
{
    close_tcp(d);
    if (d->closing) {
        drain_close_now(d);
        return;
    }
    if (why && d->backoff_ms == BACKOFF_MIN_MS)
        hc_log_warn("syslog drain unreachable, retrying", "drain", d->url, "err", why);
    d->state = D_WAITING;
    uv_timer_start(&d->timer, on_retry, d->backoff_ms, 0);
    d->backoff_ms = HC_MIN(d->backoff_ms * 2, BACKOFF_MAX_MS);
}

static void on_written(uv_write_t *req, int status);

/* A TLS session that fails: logged at every attempt, with the reason. */
static void tls_failed(drain_t *d, const char *why)
{
    if (!d->closing)
        hc_log_warn("syslog drain TLS failed, retrying", "drain", d->url, "err", why);
    retry_later(d, NULL);
}

/* Hands the queue (through the TLS session, with its handshake or alerts) to the kernel. */
static void flush(drain_t *d)
{
    if (d->sending || (d->state != D_CONNECTED && d->state != D_HANDSHAKE))
        return;
    size_t len = 0;
    if (d->tls) {
        if (d->state == D_CONNECTED && d->queue.len) {
            if (dea_logdrain_tls_write(d->tls, d->queue.data, d->queue.len) < 0) {
                tls_failed(d, "cannot encrypt");
                return;
            }
            hc_buf_reset(&d->queue);
        }
        d->sending = dea_logdrain_tls_take(d->tls, &len);
    } else if (d->state == D_CONNECTED && d->queue.len) {
        d->sending = hc_buf_detach(&d->queue, &len);
    }
    if (!d->sending)
        return;
    uv_buf_t b = uv_buf_init(d->sending, (unsigned)len);
    int r = uv_write(&d->wr, (uv_stream_t *)&d->tcp, &b, 1, on_written);
    if (r < 0) {
        free(d->sending);
        d->sending = NULL;
        retry_later(d, uv_strerror(r));
        return;
    }
    d->pending++;
}

/* A closing drain whose lines have left: a TLS session says goodbye first (best effort). */
static void drain_finish(drain_t *d)
{
    if (d->tls && d->state == D_CONNECTED && !d->tls_bye) {
        d->tls_bye = true;
        dea_logdrain_tls_shutdown(d->tls);
        flush(d);
        if (d->sending)
            return; /* on_written comes back here */
    }
    drain_close_now(d);
}

static void on_written(uv_write_t *req, int status)
{
    drain_t *d = req->data;
    d->pending--;
    free(d->sending);
    d->sending = NULL;
    if (status < 0) {
        if (!d->closing)
            retry_later(d, uv_strerror(status));
        else
            drain_close_now(d);
        return;
    }
    flush(d);
    if (d->closing && !d->sending)
        drain_finish(d);
}

/* Lines may leave: plain TCP connected, or the TLS handshake done. */
static void drain_ready(drain_t *d)
{
    if (d->backoff_ms > BACKOFF_MIN_MS)
        hc_log_info("syslog drain connected", "drain", d->url);
    uv_timer_stop(&d->timer); /* the handshake's deadline */
    d->state = D_CONNECTED;
    d->backoff_ms = BACKOFF_MIN_MS;
    flush(d);
}

static void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *b)
{
    (void)h;
    (void)suggested;
    b->base = hc_malloc(READ_BUF);
    b->len = READ_BUF;
}

/* syslog-tls: what the receiver sends (handshake, tickets, alerts) goes to the session. */
static void on_read(uv_stream_t *s, ssize_t n, const uv_buf_t *b)
{
    drain_t *d = s->data;
    hc_err_t err = {0};
    int r = 0;
    if (n < 0)
        r = hc_err_set(&err, (int)n, "%s",
                       n == UV_EOF ? "the receiver closed the connection" : uv_strerror((int)n));
    else if (n > 0)
        r = dea_logdrain_tls_feed(d->tls, b->base, (size_t)n, &err);
    free(b->base);
    if (r < 0 && d->state == D_HANDSHAKE)
        tls_failed(d, err.msg);
    else if (r < 0)
        retry_later(d, err.msg);
    else if (r == 1 && d->state == D_HANDSHAKE)
        drain_ready(d);
    else
        flush(d);
}

static void on_handshake_timeout(uv_timer_t *t)
{
    tls_failed(t->data, "TLS handshake timed out");
}

static void start_tls(drain_t *d)
{
    hc_err_t err = {0};
    d->tls = dea_logdrain_tls_new(d->tls_ctx, d->host);
    if (!d->tls) {
        tls_failed(d, "cannot create a TLS session");
        return;
    }
    d->state = D_HANDSHAKE;
    d->tls_bye = false;
    int r = uv_read_start((uv_stream_t *)&d->tcp, on_alloc, on_read);
    if (r < 0) {
        retry_later(d, uv_strerror(r));
        return;
    }
    uv_timer_start(&d->timer, on_handshake_timeout, HANDSHAKE_MS, 0);
    if (dea_logdrain_tls_feed(d->tls, NULL, 0, &err) < 0) /* the ClientHello */
        tls_failed(d, err.msg);
    else
        flush(d);
}

static void on_connected(uv_connect_t *req, int status)
{
    drain_t *d = req->data;
    d->pending--;
    if (d->closing) {
        drain_close_now(d);
        return;
    }
    if (status < 0)
        retry_later(d, uv_strerror(status));
    else if (d->tls_ctx)
        start_tls(d);
    else
        drain_ready(d);
}

static void on_resolved(uv_getaddrinfo_t *req, int status, struct addrinfo *res)
{
    drain_t *d = req->data;
    d->pending--;
    if (d->closing || status < 0) {
        uv_freeaddrinfo(res);
        if (d->closing)
            drain_close_now(d);
        else
            retry_later(d, uv_strerror(status));
        return;
    }
    if (dea_logdrain_addr_refused(res->ai_addr, d->allow_loopback)) {
        uv_freeaddrinfo(res);
        hc_log_warn("syslog drain refused: loopback or link-local address", "drain", d->url);
        d->state = D_REFUSED;
        hc_buf_reset(&d->queue);
        return;
    }
    uv_tcp_init(d->loop, &d->tcp);
    d->tcp.data = d;
    d->tcp_open = true;
    d->pending++;
    uv_tcp_nodelay(&d->tcp, 1);
    d->state = D_CONNECTING;
    int r = uv_tcp_connect(&d->conn, &d->tcp, res->ai_addr, on_connected);
    uv_freeaddrinfo(res);
    if (r < 0)
        retry_later(d, uv_strerror(r));
    else
        d->pending++;
}

static void drain_connect(drain_t *d)
{
    char port[8];
    snprintf(port, sizeof(port), "%d", d->port);
    struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM};
    d->state = D_RESOLVING;
    int r = uv_getaddrinfo(d->loop, &d->gai, on_resolved, d->host, port, &hints);
    if (r < 0)
        retry_later(d, uv_strerror(r));
    else
        d->pending++;
}

static drain_t *drain_new(uv_loop_t *loop, const char *url, const char *host, int port,
                          bool allow_loopback, SSL_CTX *tls_ctx)
{
    drain_t *d = hc_calloc(1, sizeof(*d));
    d->loop = loop;
    d->tls_ctx = tls_ctx;
    snprintf(d->url, sizeof(d->url), "%s", url);
    snprintf(d->host, sizeof(d->host), "%s", host);
    d->port = port;
    d->allow_loopback = allow_loopback;
    d->backoff_ms = BACKOFF_MIN_MS;
    hc_buf_init(&d->queue, DEA_LOGDRAIN_MAX_QUEUED);
    uv_timer_init(loop, &d->timer);
    d->timer.data = d;
    d->conn.data = d;
    d->gai.data = d;
    d->wr.data = d;
    d->pending = 1; /* the timer */
    drain_connect(d);
    return d;
}

static void drain_enqueue(drain_t *d, const char *p, size_t len)
{
    if (d->state == D_REFUSED || d->closing)
        return;
    if (d->queue.len + len > DEA_LOGDRAIN_MAX_QUEUED) {
        if (d->dropped++ == 0)
            hc_log_warn("syslog drain behind, dropping lines", "drain", d->url);
        return;
    }
    hc_buf_append(&d->queue, p, len);
    flush(d);
}

static void on_close_wait(uv_timer_t *t)
{
    drain_close_now(t->data);
}

/* ---- an instance's drains ---- */

/* Copies s keeping printable ASCII other than space (RFC 5424 header fields). */
static void header_field(char *out, size_t size, const char *s)
{
    size_t k = 0;
    for (; s && *s && k + 1 < size; s++)
        if (*s > ' ' && *s < 0x7f)
            out[k++] = *s;
    if (k == 0 && size > 1)
        out[k++] = '-';
    out[k] = '\0';
}

dea_logdrains_t *dea_logdrains_new(dea_t *dea, const dea_inst_t *in)
{
    dea_logdrains_t *ds = NULL;
    json_t *svc;
    size_t i;
    json_array_foreach(in->s.services, i, svc)
    {
        const char *url = json_string_value(json_object_get(svc, "syslog_drain_url"));
        char host[256];
        int port;
        bool tls;
        if (!url || !*url)
            continue;
        if (dea_logdrain_parse_url(url, host, sizeof(host), &port, &tls) < 0 ||
            (tls && !dea->logdrain_tls)) {
            hc_log_warn("syslog drain not supported (syslog://HOST:PORT or "
                        "syslog-tls://HOST:PORT only)",
                        "app", in->s.name, "drain", url);
            continue;
        }
        if (!ds) {
            ds = hc_calloc(1, sizeof(*ds));
            header_field(ds->hostname, sizeof(ds->hostname), in->s.name);
            header_field(ds->app, sizeof(ds->app), in->s.droplet);
            snprintf(ds->procid, sizeof(ds->procid), "[APP/%lld]", (long long)in->s.index);
            hc_buf_init(&ds->part[0], DEA_LOGDRAIN_MAX_LINE);
            hc_buf_init(&ds->part[1], DEA_LOGDRAIN_MAX_LINE);
        }
        if (ds->n == DEA_LOGDRAIN_MAX)
            break;
        ds->d[ds->n++] = drain_new(dea->loop, url, host, port, dea->conf->logdrain_allow_loopback,
                                   tls ? dea->logdrain_tls : NULL);
    }
    return ds;
}

/* One line (without its newline) to every drain. */
static void send_line(dea_logdrains_t *ds, bool is_err, const char *p, size_t len)
{
    if (len && p[len - 1] == '\r')
        len--;
    hc_buf_t f;
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    hc_buf_init(&f, DEA_LOGDRAIN_MAX_LINE + 512);
    dea_logdrain_frame(&f, is_err, &ts, ds->hostname, ds->app, ds->procid, p, len);
    if (!f.overflow)
        for (size_t i = 0; i < ds->n; i++)
            drain_enqueue(ds->d[i], f.data, f.len);
    hc_buf_release(&f);
}

void dea_logdrains_write(dea_logdrains_t *ds, bool is_err, const char *data, size_t len)
{
    if (!ds)
        return;
    hc_buf_t *part = &ds->part[is_err];
    while (len > 0) {
        const char *nl = memchr(data, '\n', len);
        size_t take = nl ? (size_t)(nl - data) : len;
        size_t room = DEA_LOGDRAIN_MAX_LINE - part->len;
        if (take > room) /* a line too long: its first DEA_LOGDRAIN_MAX_LINE bytes go alone */
            take = room, nl = NULL;
        hc_buf_append(part, data, take);
        data += take + (nl ? 1 : 0);
        len -= take + (nl ? 1 : 0);
        if (nl || part->len == DEA_LOGDRAIN_MAX_LINE) {
            send_line(ds, is_err, part->data, part->len);
            hc_buf_reset(part);
        }
    }
}

void dea_logdrains_close(dea_logdrains_t *ds)
{
    if (!ds)
        return;
    for (int e = 0; e < 2; e++) {
        if (ds->part[e].len)
            send_line(ds, e, ds->part[e].data, ds->part[e].len);
        hc_buf_release(&ds->part[e]);
    }
    for (size_t i = 0; i < ds->n; i++) {
        drain_t *d = ds->d[i];
        d->closing = true;
        if (d->state == D_CONNECTED) {
            uv_timer_start(&d->timer, on_close_wait, CLOSE_WAIT_MS, 0);
            flush(d);
            if (!d->sending)
                drain_finish(d);
        } else {
            drain_close_now(d);
        }
    }
    free(ds);
}
