/*
 * The HTTP client: libcurl's multi interface driven by the libuv loop. curl tells us which
 * sockets to watch (CURLMOPT_SOCKETFUNCTION -> one uv_poll_t per socket) and when to wake it
 * (CURLMOPT_TIMERFUNCTION -> one uv_timer_t); both call curl_multi_socket_action, then finished
 * transfers are collected from curl_multi_info_read and their callbacks called. User callbacks
 * are never called from inside a curl callback, so they may start, cancel or free freely.
 */
#include <curl/curl.h>
#include <string.h>

#include "hc_http_client.h"

typedef struct hc__poll_s hc__poll_t;

struct hc_http_client_s {
    uv_loop_t *loop;
    CURLM *multi;
    uv_timer_t timer;
    hc_http_xfer_t *xfers; /* in flight, doubly linked */
    size_t num_xfers;
    hc__poll_t *polls; /* open poll handles, doubly linked */
    int open_handles;  /* timer + polls not yet closed */
    int depth;         /* nesting of user callbacks being called */
    bool freeing, torn_down;
};

struct hc__poll_s {
    uv_poll_t poll;
    curl_socket_t fd;
    hc_http_client_t *c;
    hc__poll_t *prev, *next;
};

struct hc_http_xfer_s {
    hc_http_client_t *c;
    CURL *easy;
    struct curl_slist *req_headers;
    hc_http_xfer_t *prev, *next;
    hc_http_client_cb cb;
    void *data;
    char *body_copy;
    const char *upload;
    size_t upload_len, upload_pos;
    hc_buf_t resp; /* body, bounded by max_response */
    hc_buf_t head; /* header lines of the last response */
    bool too_big, head_too_big;
    hc_http_header_t headers[HC_HTTP_CLIENT_MAX_HEADERS];
    size_t num_headers;
    char errbuf[CURL_ERROR_SIZE];
};

static void client_teardown(hc_http_client_t *c);

/* ---- handles ---- */

static void client_on_handle_close(uv_handle_t *h)
{
    hc_http_client_t *c = h->data;
    if (h->type == UV_POLL) {
        hc__poll_t *p = HC_CONTAINER_OF(h, hc__poll_t, poll);
        c = p->c;
        free(p);
    }
    if (--c->open_handles == 0 && c->torn_down)
        free(c);
}

static void poll_close(hc__poll_t *p)
{
    hc_http_client_t *c = p->c;
    if (p->prev)
        p->prev->next = p->next;
    else
        c->polls = p->next;
    if (p->next)
        p->next->prev = p->prev;
    uv_poll_stop(&p->poll);
    uv_close((uv_handle_t *)&p->poll, client_on_handle_close);
}

/* ---- completion ---- */

static void xfer_free(hc_http_xfer_t *x)
{
    curl_easy_cleanup(x->easy);
    curl_slist_free_all(x->req_headers);
    free(x->body_copy);
    hc_buf_release(&x->resp);
    hc_buf_release(&x->head);
    free(x);
}

static void xfer_unlink(hc_http_xfer_t *x)
{
    hc_http_client_t *c = x->c;
    if (x->prev)
        x->prev->next = x->next;
    else
        c->xfers = x->next;
    if (x->next)
        x->next->prev = x->prev;
    c->num_xfers--;
    curl_multi_remove_handle(c->multi, x->easy);
}

/* Splits the saved header lines (status line first) into name/value slices. */
static void xfer_parse_headers(hc_http_xfer_t *x)
{
    const char *p = x->head.data, *end = x->head.data + x->head.len;
    bool first = true;

    x->num_headers = 0;
    while (p < end && x->num_headers < HC_HTTP_CLIENT_MAX_HEADERS) {
        const char *eol = memchr(p, '\n', (size_t)(end - p));
        const char *line_end = eol ? eol : end;
        const char *le = line_end;
        if (le > p && le[-1] == '\r')
            le--;
        if (!first && le > p) {
            const char *colon = memchr(p, ':', (size_t)(le - p));
            if (colon) {
                const char *v = colon + 1;
                while (v < le && (*v == ' ' || *v == '\t'))
                    v++;
                const char *ve = le;
                while (ve > v && (ve[-1] == ' ' || ve[-1] == '\t'))
                    ve--;
                x->headers[x->num_headers++] =
                    (hc_http_header_t){hc_str(p, (size_t)(colon - p)), hc_str(v, (size_t)(ve - v))};
            }
        }
        first = false;
        p = eol ? eol + 1 : end;
    }
}

static void xfer_complete(hc_http_xfer_t *x, CURLcode code, const char *error)
{
    hc_http_client_t *c = x->c;
    hc_http_client_result_t res = {0};
    long status = 0;

    xfer_unlink(x);
    if (!error && code != CURLE_OK) {
        if (x->too_big || code == CURLE_FILESIZE_EXCEEDED)
            error = "response body too large";
        else if (x->head_too_big)
            error = "response head too large";
        else if (x->errbuf[0])
            error = x->errbuf;
        else
            error = curl_easy_strerror(code);
    }
    if (!error) {
        curl_easy_getinfo(x->easy, CURLINFO_RESPONSE_CODE, &status);
        xfer_parse_headers(x);
        res.status = (int)status;
        res.headers = x->headers;
        res.num_headers = x->num_headers;
        res.body = x->resp.data;
        res.body_len = x->resp.len;
    }
    res.error = error;
    c->depth++;
    x->cb(&res, x->data);
    c->depth--;
    xfer_free(x);
    if (c->freeing && c->depth == 0)
        client_teardown(c);
}

static void client_collect(hc_http_client_t *c)
{
    CURLMsg *msg;
    int left;

    while (!c->freeing && (msg = curl_multi_info_read(c->multi, &left))) {
        if (msg->msg != CURLMSG_DONE)
            continue;
        hc_http_xfer_t *x = NULL;
        CURLcode code = msg->data.result;
        curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&x);
        xfer_complete(x, code, NULL);
    }
    if (c->freeing && c->depth == 0)
        client_teardown(c);
}

/* ---- curl <-> libuv ---- */

static void client_on_poll(uv_poll_t *h, int status, int events)
{
    hc__poll_t *p = HC_CONTAINER_OF(h, hc__poll_t, poll);
    hc_http_client_t *c = p->c;
    int flags = 0, running;

    if (status < 0)
        flags = CURL_CSELECT_ERR;
    if (events & UV_READABLE)
        flags |= CURL_CSELECT_IN;
    if (events & UV_WRITABLE)
        flags |= CURL_CSELECT_OUT;
    curl_multi_socket_action(c->multi, p->fd, flags, &running);
    client_collect(c);
}

static void client_on_timer(uv_timer_t *t)
{
    hc_http_client_t *c = t->data;
    int running;

    curl_multi_socket_action(c->multi, CURL_SOCKET_TIMEOUT, 0, &running);
    client_collect(c);
}

static int client_socket_cb(CURL *easy, curl_socket_t s, int what, void *userp, void *socketp)
{
    hc_http_client_t *c = userp;
    hc__poll_t *p = socketp;

    (void)easy;
    if (what == CURL_POLL_REMOVE) {
        if (p) {
            curl_multi_assign(c->multi, s, NULL);
            poll_close(p);
        }
        return 0;
    }
    if (!p) {
        p = hc_calloc(1, sizeof(*p));
        p->c = c;
        p->fd = s;
        if (uv_poll_init_socket(c->loop, &p->poll, s) < 0) {
            free(p);
            return -1;
        }
        c->open_handles++;
        p->next = c->polls;
        if (c->polls)
            c->polls->prev = p;
        c->polls = p;
        curl_multi_assign(c->multi, s, p);
    }
    int ev = 0;
    if (what & CURL_POLL_IN)
        ev |= UV_READABLE;
    if (what & CURL_POLL_OUT)
        ev |= UV_WRITABLE;
    uv_poll_start(&p->poll, ev, client_on_poll);
    return 0;
}

static int client_timer_cb(CURLM *multi, long timeout_ms, void *userp)
{
    hc_http_client_t *c = userp;

    (void)multi;
    if (c->torn_down)
        return 0;
    if (timeout_ms < 0)
        uv_timer_stop(&c->timer);
    else /* 0 means "as soon as possible": the next loop iteration, never recursively */
        uv_timer_start(&c->timer, client_on_timer, (uint64_t)timeout_ms, 0);
    return 0;
}

/* ---- transfer callbacks (called by curl: never call user code here) ---- */

static size_t xfer_on_write(char *ptr, size_t size, size_t nmemb, void *userp)
{
    hc_http_xfer_t *x = userp;
    size_t n = size * nmemb;

    hc_buf_append(&x->resp, ptr, n);
    if (x->resp.overflow) {
        x->too_big = true;
        return 0; /* CURLE_WRITE_ERROR */
    }
    return n;
}

static size_t xfer_on_header(char *ptr, size_t size, size_t nmemb, void *userp)
{
    hc_http_xfer_t *x = userp;
    size_t n = size * nmemb;

    /* A new status line (after 100 Continue or a 1xx) starts the head over. */
    if (n >= 5 && memcmp(ptr, "HTTP/", 5) == 0)
        hc_buf_reset(&x->head);
    hc_buf_append(&x->head, ptr, n);
    if (x->head.overflow) {
        x->head_too_big = true;
        return 0;
    }
    return n;
}

static size_t xfer_on_read(char *buf, size_t size, size_t nitems, void *userp)
{
    hc_http_xfer_t *x = userp;
    size_t n = HC_MIN(size * nitems, x->upload_len - x->upload_pos);

    memcpy(buf, x->upload + x->upload_pos, n);
    x->upload_pos += n;
    return n;
}

/* ---- public ---- */

hc_http_client_t *hc_http_client_new(uv_loop_t *loop, hc_err_t *err)
{
    static bool global_done;

    if (!global_done) {
        CURLcode code = curl_global_init(CURL_GLOBAL_DEFAULT);
        if (code != CURLE_OK) {
            hc_err_set(err, -EIO, "curl_global_init: %s", curl_easy_strerror(code));
            return NULL;
        }
        global_done = true;
    }
    hc_http_client_t *c = hc_calloc(1, sizeof(*c));
    c->loop = loop;
    c->multi = curl_multi_init();
    if (!c->multi) {
        free(c);
        hc_err_set(err, -EIO, "curl_multi_init failed");
        return NULL;
    }
    curl_multi_setopt(c->multi, CURLMOPT_SOCKETFUNCTION, client_socket_cb);
    curl_multi_setopt(c->multi, CURLMOPT_SOCKETDATA, c);
    curl_multi_setopt(c->multi, CURLMOPT_TIMERFUNCTION, client_timer_cb);
    curl_multi_setopt(c->multi, CURLMOPT_TIMERDATA, c);
    uv_timer_init(loop, &c->timer);
    c->timer.data = c;
    c->open_handles = 1;
    return c;
}

static int xfer_setup(hc_http_xfer_t *x, const hc_http_client_opts_t *o, hc_err_t *err)
{
    CURL *e = x->easy;
    uint64_t timeout = o->timeout_ms ? o->timeout_ms : HC_HTTP_CLIENT_DEFAULT_TIMEOUT_MS;
    const char *method = o->method ? o->method : (o->body ? "POST" : "GET");

    curl_easy_setopt(e, CURLOPT_URL, o->url);
    curl_easy_setopt(e, CURLOPT_PRIVATE, x);
    curl_easy_setopt(e, CURLOPT_ERRORBUFFER, x->errbuf);
    curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, (long)timeout);
    curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS,
                     (long)(o->connect_timeout_ms ? o->connect_timeout_ms : timeout));
    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, xfer_on_write);
    curl_easy_setopt(e, CURLOPT_WRITEDATA, x);
    curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, xfer_on_header);
    curl_easy_setopt(e, CURLOPT_HEADERDATA, x);
    curl_easy_setopt(e, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)x->resp.max);

    if (strcmp(method, "HEAD") == 0)
        curl_easy_setopt(e, CURLOPT_NOBODY, 1L);
    else if (strcmp(method, "GET") != 0)
        curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, method);
    if (o->body || strcmp(method, "POST") == 0 || strcmp(method, "PUT") == 0) {
        /* Streamed from the buffer by the read callback, with a known length. */
        if (o->body && !o->body_borrowed) {
            x->body_copy = hc_memdup(o->body, o->body_len);
            x->upload = x->body_copy;
        } else {
            x->upload = o->body;
        }
        x->upload_len = o->body ? o->body_len : 0;
        curl_easy_setopt(e, CURLOPT_POST, 1L);
        curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)x->upload_len);
        curl_easy_setopt(e, CURLOPT_READFUNCTION, xfer_on_read);
        curl_easy_setopt(e, CURLOPT_READDATA, x);
    }
    if (o->basic_user) {
        curl_easy_setopt(e, CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC);
        curl_easy_setopt(e, CURLOPT_USERNAME, o->basic_user);
        curl_easy_setopt(e, CURLOPT_PASSWORD, o->basic_password ? o->basic_password : "");
    }
    for (const char *const *h = o->headers; h && *h; h++)
        x->req_headers = curl_slist_append(x->req_headers, *h);
    if (o->bearer) {
        char *h = hc_asprintf("Authorization: Bearer %s", o->bearer);
        x->req_headers = curl_slist_append(x->req_headers, h);
        free(h);
    }
    if (x->req_headers)
        curl_easy_setopt(e, CURLOPT_HTTPHEADER, x->req_headers);
    if ((o->headers || o->bearer) && !x->req_headers)
        return hc_err_set(err, -ENOMEM, "curl_slist_append failed");
    return 0;
}

int hc_http_client_request(hc_http_client_t *c, const hc_http_client_opts_t *opts,
                           hc_http_client_cb cb, void *data, hc_http_xfer_t **ret_xfer,
                           hc_err_t *err)
{
    if (c->freeing)
        return hc_err_set(err, -ECANCELED, "http client is closing");
    if (!opts->url)
        return hc_err_set(err, -EINVAL, "no url");

    hc_http_xfer_t *x = hc_calloc(1, sizeof(*x));
    x->c = c;
    x->cb = cb;
    x->data = data;
    hc_buf_init(&x->resp,
                opts->max_response ? opts->max_response : HC_HTTP_CLIENT_DEFAULT_MAX_RESPONSE);
    hc_buf_init(&x->head, HC_HTTP_CLIENT_MAX_HEAD);
    x->easy = curl_easy_init();
    if (!x->easy) {
        xfer_free(x);
        return hc_err_set(err, -ENOMEM, "curl_easy_init failed");
    }
    int r = xfer_setup(x, opts, err);
    if (r < 0) {
        xfer_free(x);
        return r;
    }
    CURLMcode mc = curl_multi_add_handle(c->multi, x->easy);
    if (mc != CURLM_OK) {
        xfer_free(x);
        return hc_err_set(err, -EIO, "curl_multi_add_handle: %s", curl_multi_strerror(mc));
    }
    x->next = c->xfers;
    if (c->xfers)
        c->xfers->prev = x;
    c->xfers = x;
    c->num_xfers++;
    if (ret_xfer)
        *ret_xfer = x;
    return 0;
}

void hc_http_client_cancel(hc_http_xfer_t *x)
{
    xfer_complete(x, CURLE_ABORTED_BY_CALLBACK, "cancelled");
}

size_t hc_http_client_pending(const hc_http_client_t *c)
{
    return c->num_xfers;
}

static void client_teardown(hc_http_client_t *c)
{
    if (c->torn_down)
        return;
    c->torn_down = true;
    curl_multi_cleanup(c->multi);
    c->multi = NULL;
    while (c->polls)
        poll_close(c->polls);
    uv_close((uv_handle_t *)&c->timer, client_on_handle_close);
}

void hc_http_client_free(hc_http_client_t *c)
{
    if (!c || c->freeing)
        return;
    c->freeing = true;
    c->depth++;
    while (c->xfers)
        xfer_complete(c->xfers, CURLE_ABORTED_BY_CALLBACK, "cancelled");
    c->depth--;
    if (c->depth == 0)
        client_teardown(c);
}

hc_str_t hc_http_client_result_header(const hc_http_client_result_t *res, const char *name)
{
    hc_str_t want = hc_str_c(name);
    for (size_t i = 0; i < res->num_headers; i++)
        if (hc_str_eq_nocase(res->headers[i].name, want))
            return res->headers[i].value;
    return HC_STR_NULL;
}
