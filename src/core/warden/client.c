/* client.c - the hearth-warden client (hc_warden.h). */
#include <errno.h>
#include <string.h>

#include <sodium.h>

#include "hc_buf.h"
#include "hc_warden.h"

typedef struct hc_wreq_s {
    struct hc_wreq_s *next;
    hc_warden_cb cb;
    void *data;
} hc_wreq_t;

typedef struct hc_wwrite_s {
    uv_write_t w;
    char *buf;
    size_t len;
} hc_wwrite_t;

struct hc_warden_s {
    uv_loop_t *loop;
    uv_pipe_t pipe;
    uv_connect_t conn_req;
    char *path;
    hc_buf_t in;
    hc_wreq_t *head, *tail;
    unsigned queued;
    size_t pending; /* bytes written to the socket, not yet done */
    bool connected, closing;
    hc_warden_connect_cb connect_cb;
    void *connect_data;
};

hc_warden_t *hc_warden_new(uv_loop_t *loop, const char *path)
{
    hc_warden_t *w = hc_calloc(1, sizeof(*w));
    w->loop = loop;
    w->path = hc_strdup(path);
    hc_buf_init(&w->in, HC_WARDEN_MAX_LINE + 1);
    uv_pipe_init(loop, &w->pipe, 0);
    w->pipe.data = w;
    return w;
}

static void fail_all(hc_warden_t *w, const char *msg)
{
    while (w->head) {
        hc_wreq_t *r = w->head;
        w->head = r->next;
        w->queued--;
        r->cb(w, NULL, false, msg, r->data);
        free(r);
    }
    w->tail = NULL;
}

static void on_closed(uv_handle_t *h)
{
    hc_warden_t *w = h->data;
    hc_buf_release(&w->in);
    free(w->path);
    free(w);
}

static void shut(hc_warden_t *w, const char *msg)
{
    if (w->closing)
        return;
    w->closing = true;
    w->connected = false;
    fail_all(w, msg);
}

void hc_warden_free(hc_warden_t *w)
{
    if (!w)
        return;
    shut(w, "connection closed");
    uv_close((uv_handle_t *)&w->pipe, on_closed);
}

static void handle_line(hc_warden_t *w, const char *line, size_t len)
{
    hc_wreq_t *r = w->head;
    if (!r)
        return; /* unsolicited: ignore */
    json_t *j = json_loadb(line, len, JSON_ALLOW_NUL, NULL);
    const char *type = json_string_value(json_object_get(j, "type"));
    bool more = type && ((strcmp(type, "stream") == 0 && !json_object_get(j, "exit_status")) ||
                         (strcmp(type, "copy_out") == 0 && json_object_get(j, "data")));
    if (!more) {
        w->head = r->next;
        if (!w->head)
            w->tail = NULL;
        w->queued--;
    }
    if (!j)
        r->cb(w, NULL, false, "bad response from warden", r->data);
    else if (type && strcmp(type, "error") == 0)
        r->cb(w, NULL, false,
              json_string_value(json_object_get(j, "message"))
                  ? json_string_value(json_object_get(j, "message"))
                  : "error",
              r->data);
    else
        r->cb(w, j, more, NULL, r->data);
    json_decref(j);
    if (!more)
        free(r);
}

static void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
    (void)h;
    (void)suggested;
    static char scratch[65536];
    *buf = uv_buf_init(scratch, sizeof(scratch));
}

static void on_read(uv_stream_t *s, ssize_t n, const uv_buf_t *buf)
{
    hc_warden_t *w = s->data;
    if (n < 0) {
        shut(w, n == UV_EOF ? "warden closed the connection" : uv_strerror((int)n));
        return;
    }
    hc_buf_append(&w->in, buf->base, (size_t)n);
    if (w->in.overflow) {
        shut(w, "response line too long");
        return;
    }
    char *nl;
    while (!w->closing && (nl = memchr(w->in.data, '\n', w->in.len)) != NULL) {
        size_t len = (size_t)(nl - w->in.data);
        handle_line(w, w->in.data, len);
        hc_buf_consume(&w->in, len + 1);
    }
}

static void on_connect(uv_connect_t *req, int status)
{
    hc_warden_t *w = req->handle->data;
    if (status == 0 && !w->closing) {
        w->connected = true;
        uv_read_start((uv_stream_t *)&w->pipe, on_alloc, on_read);
    }
    if (w->connect_cb)
        w->connect_cb(w, status, w->connect_data);
}

int hc_warden_connect(hc_warden_t *w, hc_warden_connect_cb cb, void *data)
{
    if (w->connected || w->closing)
        return -EINVAL;
    w->connect_cb = cb;
    w->connect_data = data;
    uv_pipe_connect(&w->conn_req, &w->pipe, w->path, on_connect);
    return 0;
}

bool hc_warden_connected(const hc_warden_t *w)
{
    return w && w->connected && !w->closing;
}

static void on_write(uv_write_t *req, int status)
{
    hc_wwrite_t *wr = HC_CONTAINER_OF(req, hc_wwrite_t, w);
    hc_warden_t *w = req->handle->data;
    w->pending -= wr->len;
    free(wr->buf);
    free(wr);
    if (status < 0)
        shut(w, uv_strerror(status));
}

/* Writes one JSON line (takes ownership of msg). */
static int send_line(hc_warden_t *w, json_t *msg)
{
    if (!json_is_object(msg)) {
        json_decref(msg);
        return -EINVAL;
    }
    if (!w->connected) {
        json_decref(msg);
        return -ENOTCONN;
    }
    char *s = json_dumps(msg, JSON_COMPACT);
    json_decref(msg);
    if (!s)
        return -EINVAL;
    size_t n = strlen(s);
    hc_wwrite_t *wr = hc_malloc(sizeof(*wr));
    wr->buf = hc_realloc(s, n + 2);
    wr->buf[n] = '\n';
    wr->buf[n + 1] = '\0';
    wr->len = n + 1;
    uv_buf_t b = uv_buf_init(wr->buf, (unsigned)(n + 1));
    int r = uv_write(&wr->w, (uv_stream_t *)&w->pipe, &b, 1, on_write);
    if (r < 0) {
        free(wr->buf);
        free(wr);
        return r;
    }
    w->pending += wr->len;
    return 0;
}

int hc_warden_send(hc_warden_t *w, json_t *msg)
{
    return send_line(w, msg);
}

int hc_warden_copy_in_chunk(hc_warden_t *w, const void *p, size_t len)
{
    if (len > HC_WARDEN_MAX_CHUNK)
        return -EINVAL;
    size_t enc = sodium_base64_ENCODED_LEN(len, sodium_base64_VARIANT_ORIGINAL);
    char *b64 = hc_malloc(enc);
    sodium_bin2base64(b64, enc, p, len, sodium_base64_VARIANT_ORIGINAL);
    json_t *m = json_pack("{s:s, s:s}", "type", "data", "data", b64);
    free(b64);
    return send_line(w, m);
}

int hc_warden_copy_in_end(hc_warden_t *w)
{
    return send_line(w, json_pack("{s:s, s:b}", "type", "data", "eof", 1));
}

void *hc_warden_chunk_decode(json_t *resp, size_t *ret_len)
{
    const char *s = json_string_value(json_object_get(resp, "data"));
    if (!s)
        return NULL;
    size_t n = strlen(s), cap = n / 4 * 3 + 3, len = 0;
    unsigned char *buf = hc_malloc(cap);
    if (sodium_base642bin(buf, cap, s, n, NULL, &len, NULL, sodium_base64_VARIANT_ORIGINAL) != 0) {
        free(buf);
        return NULL;
    }
    *ret_len = len;
    return buf;
}

size_t hc_warden_pending(const hc_warden_t *w)
{
    return w->pending;
}

int hc_warden_request(hc_warden_t *w, json_t *req, hc_warden_cb cb, void *data)
{
    if (w->connected && w->queued >= HC_WARDEN_MAX_QUEUE) {
        json_decref(req);
        return -ENOBUFS;
    }
    int r = send_line(w, req);
    if (r < 0)
        return r;
    hc_wreq_t *q = hc_calloc(1, sizeof(*q));
    q->cb = cb;
    q->data = data;
    if (w->tail)
        w->tail->next = q;
    else
        w->head = q;
    w->tail = q;
    w->queued++;
    return 0;
}
