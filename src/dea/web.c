/*
 * web.c - the DEA's HTTP port (--port, default 9023): an instance's logs and files kept on the
 * host (data_dir/instances/ID, which outlives a crash for crashlogs), behind basic auth with
 * the credentials dea.find.droplet hands to the CC, paths confined to the instance dir.
 *
 *   GET /instances/ID/files/PATH       a file (Range: bytes=N- gives 206) or a directory listing
 *   GET /droplets/ID/PATH              the same (cf-v1 §3.9 file_uri + staged)
 *   GET /instances/ID/files/PATH?tail=1[&offset=N]
 *                                      chunked: the file from byte N, then what is appended,
 *                                      following rotation, until the instance is over
 *   GET /instances/ID/logs[?lines=N]   the last N (100) lines of stdout.log, then stderr.log
 */
#include <arpa/inet.h>
#include <dirent.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hc_http.h"
#include "hc_log.h"
#include "web.h"

#define FILES_MAX_READ ((size_t)4 * 1024 * 1024)

typedef struct web_write_s {
    uv_write_t req;
    dea_web_conn_t *c;
    char *owned;
    dea_web_sent_cb cb;
    void *cbdata;
} web_write_t;

/* ---- connections ---- */

static void conn_closed(uv_handle_t *h)
{
    dea_web_conn_t *c = h->data;
    if (--c->handles > 0)
        return;
    free(c->head);
    free(c);
}

void dea_web_close(dea_web_conn_t *c)
{
    if (c->closing)
        return;
    c->closing = true;
    if (c->tail) {
        dea_tail_detach(c->tail);
        c->tail = NULL;
    }
    dea_web_t *web = c->web;
    if (c->prev)
        c->prev->next = c->next;
    else
        web->conns = c->next;
    if (c->next)
        c->next->prev = c->prev;
    web->num_conns--;
    uv_close((uv_handle_t *)&c->timer, conn_closed);
    uv_close((uv_handle_t *)&c->tcp, conn_closed);
}

static void on_written(uv_write_t *req, int status)
{
    web_write_t *w = HC_CONTAINER_OF(req, web_write_t, req);
    dea_web_conn_t *c = w->c;
    free(w->owned);
    if (status < 0)
        dea_web_close(c);
    else if (!c->closing && w->cb)
        w->cb(c, w->cbdata);
    free(w);
}

void dea_web_send(dea_web_conn_t *c, char *data, size_t len, bool owned, dea_web_sent_cb cb,
                  void *cbdata)
{
    if (c->closing) {
        if (owned)
            free(data);
        return;
    }
    web_write_t *w = hc_calloc(1, sizeof(*w));
    w->c = c;
    w->owned = owned ? data : NULL;
    w->cb = cb;
    w->cbdata = cbdata;
    uv_buf_t b = uv_buf_init(data, (unsigned)len);
    if (uv_write(&w->req, (uv_stream_t *)&c->tcp, &b, 1, on_written) < 0) {
        free(w->owned);
        free(w);
        dea_web_close(c);
    }
}

static void on_shutdown(uv_shutdown_t *req, int status)
{
    (void)status;
    dea_web_conn_t *c = req->data;
    free(req);
    dea_web_close(c);
}

void dea_web_finish(dea_web_conn_t *c)
{
    if (c->closing)
        return;
    uv_shutdown_t *req = hc_calloc(1, sizeof(*req));
    req->data = c;
    if (uv_shutdown(req, (uv_stream_t *)&c->tcp, on_shutdown) < 0) {
        free(req);
        dea_web_close(c);
    }
}

static void finish_cb(dea_web_conn_t *c, void *data)
{
    (void)data;
    dea_web_finish(c);
}

/* A complete response (body taken), then the connection ends. */
static void reply(dea_web_conn_t *c, int status, const char *extra, char *body, size_t len)
{
    hc_buf_t b;
    hc_buf_init(&b, len + 1024);
    hc_buf_appendf(&b,
                   "HTTP/1.1 %d %s\r\nContent-Type: text/plain; charset=utf-8\r\n"
                   "Content-Length: %zu\r\n%sConnection: close\r\n\r\n",
                   status, hc_http_reason(status), len, extra ? extra : "");
    hc_buf_append(&b, body, len);
    free(body);
    size_t n;
    char *data = hc_buf_detach(&b, &n);
    dea_web_send(c, data, n, true, finish_cb, NULL);
}

static void reply_text(dea_web_conn_t *c, int status, const char *text)
{
    reply(c, status, NULL, hc_strdup(text), strlen(text));
}

/* ---- requests ---- */

static hc_str_t header(const hc_http_req_t *req, const char *name)
{
    for (size_t i = 0; i < req->num_headers; i++)
        if (hc_str_eq_nocase(req->headers[i].name, hc_str_c(name)))
            return req->headers[i].value;
    return HC_STR_NULL;
}

static bool authorized(dea_t *dea, const hc_http_req_t *req)
{
    hc_str_t h = header(req, "Authorization");
    hc_autofree char *plain = hc_asprintf("%s:%s", dea->conf->file_user, dea->conf->file_password);
    size_t plen = strlen(plain);
    size_t blen = sodium_base64_ENCODED_LEN(plen, sodium_base64_VARIANT_ORIGINAL);
    hc_autofree char *b64 = hc_malloc(blen);
    sodium_bin2base64(b64, blen, (const unsigned char *)plain, plen,
                      sodium_base64_VARIANT_ORIGINAL);
    hc_autofree char *want = hc_asprintf("Basic %s", b64);
    size_t wl = strlen(want);
    return h.len == wl && sodium_memcmp(h.p, want, wl) == 0;
}

static int hexval(char ch)
{
    if (ch >= '0' && ch <= '9')
        return ch - '0';
    if (ch >= 'a' && ch <= 'f')
        return ch - 'a' + 10;
    if (ch >= 'A' && ch <= 'F')
        return ch - 'A' + 10;
    return -1;
}

char *dea_web_decode(hc_str_t s)
{
    char *out = hc_malloc(s.len + 1), *o = out;
    for (size_t i = 0; i < s.len; i++) {
        if (s.p[i] != '%') {
            *o++ = s.p[i];
            continue;
        }
        int hi = i + 2 < s.len ? hexval(s.p[i + 1]) : -1, lo = hi >= 0 ? hexval(s.p[i + 2]) : -1;
        if (hi < 0 || lo < 0 || (hi == 0 && lo == 0)) {
            free(out);
            return NULL;
        }
        *o++ = (char)(hi * 16 + lo);
        i += 2;
    }
    *o = '\0';
    return out;
}

bool dea_web_path_ok(const char *p)
{
    const char *s = p;
    while (*s) {
        const char *e = strchr(s, '/');
        size_t n = e ? (size_t)(e - s) : strlen(s);
        if ((n == 2 && s[0] == '.' && s[1] == '.') || (n == 1 && s[0] == '.'))
            return false;
        if (n == 0 && e && e[1])
            return false;
        s = e ? e + 1 : s + n;
    }
    return true;
}

bool dea_web_query(hc_str_t q, const char *name, uint64_t max, uint64_t *ret)
{
    size_t nl = strlen(name);
    const char *p = q.p, *end = q.p + q.len;
    while (p && p < end) {
        const char *amp = memchr(p, '&', (size_t)(end - p));
        const char *e = amp ? amp : end;
        if ((size_t)(e - p) > nl && memcmp(p, name, nl) == 0 && p[nl] == '=')
            return hc_parse_u64(p + nl + 1, (size_t)(e - p - (ptrdiff_t)nl - 1), max, ret) == 0;
        p = amp ? amp + 1 : NULL;
    }
    return false;
}

static dea_inst_t *find(dea_t *dea, const char *id, size_t len)
{
    for (dea_inst_t *in = dea->insts; in; in = in->next)
        if (strlen(in->id) == len && memcmp(in->id, id, len) == 0)
            return in;
    return NULL;
}

static void reply_dir(dea_web_conn_t *c, const char *p)
{
    hc_buf_t out;
    hc_buf_init(&out, 1024 * 1024);
    int fd = open(p, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
    struct dirent *e;
    while (d && (e = readdir(d))) {
        if (e->d_name[0] == '.')
            continue;
        hc_buf_appendf(&out, "%s%s\n", e->d_name, e->d_type == DT_DIR ? "/" : "");
    }
    if (d)
        closedir(d);
    else if (fd >= 0)
        close(fd);
    size_t n;
    char *body = hc_buf_detach(&out, &n);
    reply(c, 200, NULL, body, n);
}

/* A file from `from` (Range), or its last FILES_MAX_READ bytes. */
static void reply_file(dea_web_conn_t *c, const char *p, const struct stat *st, int64_t from)
{
    int fd = open(p, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) {
        reply_text(c, 404, "no such file\n");
        return;
    }
    off_t size = st->st_size, off;
    if (from >= 0 && from >= size && size > 0) {
        close(fd);
        hc_autofree char *cr = hc_asprintf("Content-Range: bytes */%lld\r\n", (long long)size);
        reply(c, 416, cr, hc_strdup(""), 0);
        return;
    }
    off = from >= 0 ? from : (size > (off_t)FILES_MAX_READ ? size - (off_t)FILES_MAX_READ : 0);
    size_t want = (size_t)(size - off);
    if (want > FILES_MAX_READ)
        want = FILES_MAX_READ;
    char *buf = hc_malloc(want + 1);
    ssize_t n = pread(fd, buf, want, off);
    close(fd);
    if (n < 0) {
        free(buf);
        reply_text(c, 500, "read failed\n");
        return;
    }
    if (from >= 0 && size > 0) {
        hc_autofree char *cr =
            hc_asprintf("Content-Range: bytes %lld-%lld/%lld\r\n", (long long)off,
                        (long long)(off + n - (n > 0)), (long long)size);
        reply(c, 206, cr, buf, (size_t)n);
        return;
    }
    reply(c, 200, NULL, buf, (size_t)n);
}

/* The last `lines` lines of a file (at most FILES_MAX_READ bytes read). */
static void append_last_lines(hc_buf_t *out, const char *p, uint64_t lines)
{
    int fd = open(p, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) < 0) {
        if (fd >= 0)
            close(fd);
        return;
    }
    off_t off = st.st_size > (off_t)FILES_MAX_READ ? st.st_size - (off_t)FILES_MAX_READ : 0;
    size_t want = (size_t)(st.st_size - off);
    hc_autofree char *buf = hc_malloc(want + 1);
    ssize_t n = pread(fd, buf, want, off);
    close(fd);
    if (n <= 0)
        return;
    size_t start = (size_t)n;
    uint64_t seen = 0;
    if (buf[start - 1] == '\n')
        start--; /* the last line's own terminator */
    while (start > 0 && lines > 0) {
        if (buf[start - 1] == '\n' && ++seen == lines)
            break;
        start--;
    }
    if (lines == 0)
        start = (size_t)n;
    hc_buf_append(out, buf + start, (size_t)n - start);
}

static void handle(dea_web_conn_t *c, const hc_http_req_t *req)
{
    dea_t *dea = c->web->dea;
    if (!hc_str_eq(req->method, HC_STR_LIT("GET"))) {
        reply(c, 405, "Allow: GET\r\n", hc_strdup("method not allowed\n"), 19);
        return;
    }
    /* /instances/ID/files/REST, /droplets/ID/REST, /instances/ID/logs */
    hc_str_t path = req->path, id;
    const char *rest;
    size_t rest_len;
    bool logs = false;
    const char *s = path.p, *end = path.p + path.len;
    size_t pl;
    if (path.len > 11 && memcmp(s, "/instances/", 11) == 0)
        pl = 11;
    else if (path.len > 10 && memcmp(s, "/droplets/", 10) == 0)
        pl = 10;
    else {
        reply_text(c, 404, "not found\n");
        return;
    }
    const char *slash = memchr(s + pl, '/', (size_t)(end - s - pl));
    id = hc_str(s + pl, slash ? (size_t)(slash - s - pl) : (size_t)(end - s - pl));
    rest = slash ? slash + 1 : end;
    rest_len = (size_t)(end - rest);
    if (pl == 11) {
        if (rest_len == 4 && memcmp(rest, "logs", 4) == 0) {
            logs = true;
        } else if (rest_len >= 5 && memcmp(rest, "files", 5) == 0 &&
                   (rest_len == 5 || rest[5] == '/')) {
            rest += rest_len > 5 ? 6 : 5;
            rest_len = (size_t)(end - rest);
        } else {
            reply_text(c, 404, "not found\n");
            return;
        }
    }
    if (!authorized(dea, req)) {
        reply(c, 401, "WWW-Authenticate: Basic realm=\"hearth-dea\"\r\n",
              hc_strdup("unauthorized\n"), 13);
        return;
    }
    dea_inst_t *in = find(dea, id.p, id.len);
    if (!in) {
        reply_text(c, 404, "no such instance\n");
        return;
    }
    if (logs) {
        uint64_t lines = 100;
        (void)dea_web_query(req->query, "lines", 1000000, &lines);
        hc_buf_t out;
        hc_buf_init(&out, 2 * FILES_MAX_READ + 1);
        hc_autofree char *o = hc_asprintf("%s/logs/stdout.log", in->dir);
        hc_autofree char *e = hc_asprintf("%s/logs/stderr.log", in->dir);
        append_last_lines(&out, o, lines);
        append_last_lines(&out, e, lines);
        size_t n;
        char *body = hc_buf_detach(&out, &n);
        reply(c, 200, NULL, body, n);
        return;
    }
    hc_autofree char *rel = dea_web_decode(hc_str(rest, rest_len));
    if (!rel || !dea_web_path_ok(rel)) {
        reply_text(c, 403, "path outside the instance\n");
        return;
    }
    uint64_t tail = 0, offset = 0;
    if (dea_web_query(req->query, "tail", 1, &tail) && tail) {
        (void)dea_web_query(req->query, "offset", UINT64_MAX >> 1, &offset);
        dea_tail_start(c, in, rel, offset);
        return;
    }
    hc_autofree char *p = hc_asprintf("%s/%s", in->dir, rel);
    struct stat st;
    /* lstat + O_NOFOLLOW: symlinks inside the dir never lead out of it. */
    if (lstat(p, &st) < 0) {
        reply_text(c, 404, "no such file\n");
        return;
    }
    if (S_ISDIR(st.st_mode)) {
        reply_dir(c, p);
        return;
    }
    if (!S_ISREG(st.st_mode)) {
        reply_text(c, 404, "no such file\n");
        return;
    }
    int64_t from = -1;
    hc_str_t range = header(req, "Range");
    uint64_t v;
    if (range.len > 7 && memcmp(range.p, "bytes=", 6) == 0 && range.p[range.len - 1] == '-' &&
        hc_parse_u64(range.p + 6, range.len - 7, INT64_MAX, &v) == 0)
        from = (int64_t)v;
    reply_file(c, p, &st, from);
}

static void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
    (void)suggested;
    dea_web_conn_t *c = h->data;
    if (c->parsed)
        *buf = uv_buf_init(c->sink, sizeof(c->sink));
    else
        *buf = uv_buf_init(c->head + c->len, (unsigned)(DEA_WEB_MAX_HEAD - c->len));
}

static void on_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf)
{
    (void)buf;
    dea_web_conn_t *c = s->data;
    if (nread < 0) {
        dea_web_close(c); /* EOF or error: a tail ends here */
        return;
    }
    if (c->parsed || nread == 0)
        return;
    size_t last = c->len;
    c->len += (size_t)nread;
    hc_http_header_t hdrs[64];
    hc_http_req_t req = {.headers = hdrs, .num_headers = HC_ARRAY_SIZE(hdrs)};
    int r = hc_http_parse_request(c->head, c->len, last, &req);
    if (r == HC_AGAIN && c->len < DEA_WEB_MAX_HEAD)
        return;
    c->parsed = true;
    uv_timer_stop(&c->timer);
    if (r < 0) {
        reply_text(c, r == HC_AGAIN ? 431 : (req.status ? req.status : 400), "bad request\n");
        return;
    }
    handle(c, &req);
}

static void on_head_timeout(uv_timer_t *t)
{
    dea_web_close(t->data);
}

static void on_connection(uv_stream_t *server, int status)
{
    dea_web_t *web = server->data;
    if (status < 0)
        return;
    dea_web_conn_t *c = hc_calloc(1, sizeof(*c));
    c->web = web;
    uv_tcp_init(web->dea->loop, &c->tcp);
    uv_timer_init(web->dea->loop, &c->timer);
    c->tcp.data = c->timer.data = c;
    c->handles = 2;
    c->next = web->conns;
    if (web->conns)
        web->conns->prev = c;
    web->conns = c;
    web->num_conns++;
    if (uv_accept(server, (uv_stream_t *)&c->tcp) < 0 || web->num_conns > DEA_WEB_MAX_CONNS ||
        web->closing) {
        dea_web_close(c);
        return;
    }
    c->head = hc_malloc(DEA_WEB_MAX_HEAD);
    uv_timer_start(&c->timer, on_head_timeout, DEA_WEB_HEAD_TIMEOUT_MS, 0);
    uv_read_start((uv_stream_t *)&c->tcp, on_alloc, on_read);
}

int dea_web_start(dea_t *dea, hc_err_t *err)
{
    dea_web_t *web = hc_calloc(1, sizeof(*web));
    web->dea = dea;
    struct sockaddr_in sa;
    int r;
    uv_tcp_init(dea->loop, &web->listener);
    web->listener.data = web;
    dea->web = web;
    if ((r = uv_ip4_addr("0.0.0.0", (int)dea->conf->common.port, &sa)) < 0 ||
        (r = uv_tcp_bind(&web->listener, (const struct sockaddr *)&sa, 0)) < 0 ||
        (r = uv_listen((uv_stream_t *)&web->listener, 128, on_connection)) < 0)
        return hc_err_set(err, r, "listen on port %d: %s", (int)dea->conf->common.port,
                          uv_strerror(r));
    struct sockaddr_storage ss;
    int len = sizeof(ss);
    uv_tcp_getsockname(&web->listener, (struct sockaddr *)&ss, &len);
    web->port = ntohs(((struct sockaddr_in *)&ss)->sin_port);
    return 0;
}

int dea_web_port(const dea_t *dea)
{
    return dea->web ? dea->web->port : 0;
}

static void on_listener_closed(uv_handle_t *h)
{
    free(h->data);
}

void dea_web_stop(dea_t *dea)
{
    dea_web_t *web = dea->web;
    if (!web)
        return;
    dea->web = NULL;
    web->closing = true;
    while (web->conns)
        dea_web_close(web->conns);
    uv_close((uv_handle_t *)&web->listener, on_listener_closed);
}
