/*
 * xfer.c - copy_in and copy_out streamed over the client's connection (wdn_proto.h): the
 * tar bytes travel base64-encoded in JSON lines and the daemon relays them to or from the
 * copy helper's stdin or stdout (`__copy-in PID UID - DST`, `__copy-out PID UID SRC -`),
 * which extracts or packs them inside the container as its user, exactly like the host-path
 * form. Both directions are flow-controlled: the client's connection stops being read while
 * the helper's stdin holds XFER_HIGH bytes, and the helper's stdout stops being read while
 * the client has half of WDN_MAX_PENDING_OUT unread.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include <sodium.h>

#include "hc_log.h"
#include "wdn_daemon.h"

#define XFER_HIGH (4 * 1024 * 1024)
#define XFER_LOW (1024 * 1024)
#define XFER_MAX_ERR 4096
/* Bytes of tar one streamed copy_in may send; the container's disk quota is the real bound,
 * this one only keeps a client from feeding a failed copy forever. */
#define XFER_MAX_STREAM ((uint64_t)64 * 1024 * 1024 * 1024)

typedef struct wdn_xfer_s {
    wdn_call_t *call; /* NULL once answered */
    wdn_ctr_t *ctr;
    bool copy_in;
    uv_process_t proc;
    uv_pipe_t pin, pout, perr;
    int handles;     /* initialised handles not yet closed */
    bool exited;     /* the helper is gone (or never started) */
    int status;      /* its exit status */
    bool out_eof;    /* copy_out: stdout fully relayed */
    bool err_eof;    /* stderr fully read */
    bool eof;        /* copy_in: the client's eof line came */
    bool in_closed;  /* copy_in: stdin pipe closed */
    bool reading;    /* copy_out: stdout being read */
    bool answered;   /* wdn_xfer_complete ran */
    size_t queued;   /* copy_in: bytes written to stdin not yet taken */
    uint64_t total;  /* copy_in: bytes received */
    hc_buf_t errtxt; /* the helper's stderr (its error message) */
    char fail[256];  /* our own reason to fail, if any */
    char *chunk;     /* copy_in: decode buffer of WDN_COPY_MAX_CHUNK bytes */
    uv_shutdown_t shutdown;
} wdn_xfer_t;

typedef struct xfer_write_s {
    uv_write_t w;
    wdn_xfer_t *x;
    size_t len;
    char data[];
} xfer_write_t;

static void xfer_closed(uv_handle_t *h)
{
    wdn_xfer_t *x = h->data;
    if (--x->handles > 0)
        return;
    hc_buf_release(&x->errtxt);
    free(x->chunk);
    free(x);
}

static void close_one(wdn_xfer_t *x, uv_handle_t *h)
{
    if (!uv_is_closing(h))
        uv_close(h, xfer_closed);
    (void)x;
}

/* Ready to answer: the helper is gone and all its output is in (or nobody waits for it). */
static bool ready(const wdn_xfer_t *x)
{
    bool aborted = !x->call || !x->call->conn;
    return x->exited && x->err_eof && (aborted || (x->copy_in ? x->eof : x->out_eof));
}

void wdn_xfer_complete(wdn_call_t *call)
{
    wdn_xfer_t *x = call->xfer;
    if (!x || x->answered)
        return;
    x->answered = true;
    call->xfer = NULL;
    call->sink = false;
    x->call = NULL;
    if (x->ctr)
        x->ctr->busy--;
    char msg[512] = "";
    if (x->fail[0]) {
        snprintf(msg, sizeof(msg), "%s", x->fail);
    } else if (x->status != 0) {
        const char *t = x->errtxt.len ? x->errtxt.data : "copy helper failed";
        if (strncmp(t, "hearth-warden: ", 15) == 0)
            t += 15;
        snprintf(msg, sizeof(msg), "%s", t);
        msg[strcspn(msg, "\n")] = '\0';
    }
    if (call->conn && call->conn->paused)
        wdn_conn_resume(call->conn); /* not from inside conn_pump: see wdn_xfer_data */
    close_one(x, (uv_handle_t *)&x->pin);
    close_one(x, (uv_handle_t *)&x->pout);
    close_one(x, (uv_handle_t *)&x->perr);
    close_one(x, (uv_handle_t *)&x->proc);
    if (msg[0])
        wdn_call_fail(call, -EIO, msg);
    else
        wdn_call_done(call, json_object());
}

static void maybe_complete(wdn_xfer_t *x)
{
    if (x->call && !x->answered && ready(x))
        wdn_xfer_complete(x->call);
}

static void kill_helper(wdn_xfer_t *x)
{
    if (!x->exited)
        (void)uv_process_kill(&x->proc, SIGKILL);
}

static void on_exit_cb(uv_process_t *p, int64_t status, int sig)
{
    wdn_xfer_t *x = p->data;
    x->exited = true;
    x->status = sig ? 128 + sig : (int)status;
    maybe_complete(x);
}

static void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
    (void)h;
    (void)suggested;
    static char scratch[65536];
    *buf = uv_buf_init(scratch, sizeof(scratch));
}

static void on_err_read(uv_stream_t *s, ssize_t n, const uv_buf_t *buf)
{
    wdn_xfer_t *x = s->data;
    if (n > 0) {
        size_t room = XFER_MAX_ERR - x->errtxt.len;
        hc_buf_append(&x->errtxt, buf->base, HC_MIN((size_t)n, room));
        return;
    }
    if (n < 0) {
        x->err_eof = true;
        close_one(x, (uv_handle_t *)s);
        maybe_complete(x);
    }
}

static void on_out_read(uv_stream_t *s, ssize_t n, const uv_buf_t *buf)
{
    wdn_xfer_t *x = s->data;
    if (n < 0) {
        x->out_eof = true;
        x->reading = false;
        close_one(x, (uv_handle_t *)s);
        maybe_complete(x);
        return;
    }
    if (n == 0 || !x->call || !x->call->conn)
        return; /* nobody to relay to: drained until the helper dies */
    wdn_conn_t *c = x->call->conn;
    size_t enc = sodium_base64_ENCODED_LEN((size_t)n, sodium_base64_VARIANT_ORIGINAL);
    char *b64 = hc_malloc(enc);
    sodium_bin2base64(b64, enc, (const unsigned char *)buf->base, (size_t)n,
                      sodium_base64_VARIANT_ORIGINAL);
    wdn_conn_send(c, json_pack("{s:s, s:s}", "type", "copy_out", "data", b64));
    free(b64);
    if (x->call && x->call->conn && x->call->conn->pending_out > WDN_MAX_PENDING_OUT / 2 &&
        x->reading) {
        x->reading = false;
        uv_read_stop(s);
    }
}

void wdn_xfer_drained(wdn_call_t *call)
{
    wdn_xfer_t *x = call->xfer;
    if (x && !x->copy_in && !x->reading && !x->out_eof && !uv_is_closing((uv_handle_t *)&x->pout)) {
        x->reading = true;
        uv_read_start((uv_stream_t *)&x->pout, on_alloc, on_out_read);
    }
}

void wdn_xfer_detach_ctr(wdn_daemon_t *d, wdn_ctr_t *c)
{
    for (wdn_conn_t *k = d->conns; k; k = k->next) {
        wdn_xfer_t *x = k->call ? k->call->xfer : NULL;
        if (!x || x->ctr != c)
            continue;
        /* The copy fails (its client is still answered, after its eof for a copy_in); the
         * container no longer waits for it. */
        if (!x->fail[0])
            snprintf(x->fail, sizeof(x->fail), "container destroyed during the copy");
        c->busy--;
        x->ctr = NULL;
        kill_helper(x);
    }
}

void wdn_xfer_abort(wdn_call_t *call)
{
    wdn_xfer_t *x = call->xfer;
    if (!x)
        return;
    call->sink = false;
    kill_helper(x);
    maybe_complete(x);
}

static void on_in_shutdown(uv_shutdown_t *req, int status)
{
    (void)status;
    wdn_xfer_t *x = req->data;
    close_one(x, (uv_handle_t *)&x->pin);
}

/* The helper sees end of file once every queued byte is written (uv_close would drop them). */
static void close_stdin(wdn_xfer_t *x)
{
    if (x->in_closed)
        return;
    x->in_closed = true;
    x->shutdown.data = x;
    if (x->exited || uv_shutdown(&x->shutdown, (uv_stream_t *)&x->pin, on_in_shutdown) < 0)
        close_one(x, (uv_handle_t *)&x->pin);
}

static void on_in_written(uv_write_t *w, int status)
{
    xfer_write_t *wr = HC_CONTAINER_OF(w, xfer_write_t, w);
    wdn_xfer_t *x = wr->x;
    x->queued -= wr->len;
    free(wr);
    if (status < 0 && !x->fail[0] && !x->exited)
        kill_helper(x); /* cannot feed it: it fails with what it has */
    if (x->call && x->call->conn && x->call->conn->paused && x->queued < XFER_LOW)
        wdn_conn_resume(x->call->conn);
}

bool wdn_xfer_data(wdn_call_t *call, const char *line, size_t len)
{
    wdn_xfer_t *x = call->xfer;
    wdn_data_t d;
    hc_err_t err = {0};
    if (wdn_data_parse(line, len, x->chunk, WDN_COPY_MAX_CHUNK, &d, &err) < 0) {
        /* Out of step with the client: answer now; later lines are taken as requests. */
        if (!x->fail[0])
            snprintf(x->fail, sizeof(x->fail), "copy_in: %.200s", err.msg);
        d.eof = true;
        d.len = 0;
    }
    if (d.eof) {
        x->eof = true;
        call->sink = false;
        close_stdin(x);
        if (x->fail[0])
            kill_helper(x);
        return ready(x);
    }
    x->total += d.len;
    if (x->total > XFER_MAX_STREAM && !x->fail[0]) {
        snprintf(x->fail, sizeof(x->fail), "copy_in: archive stream longer than %llu bytes",
                 (unsigned long long)XFER_MAX_STREAM);
        kill_helper(x);
    }
    if (d.len == 0 || x->fail[0] || x->exited || x->in_closed)
        return false; /* a failed copy: read and drop until eof */
    xfer_write_t *wr = hc_malloc(sizeof(*wr) + d.len);
    wr->x = x;
    wr->len = d.len;
    memcpy(wr->data, x->chunk, d.len);
    uv_buf_t b = uv_buf_init(wr->data, (unsigned)d.len);
    if (uv_write(&wr->w, (uv_stream_t *)&x->pin, &b, 1, on_in_written) < 0) {
        free(wr);
        kill_helper(x);
        return false;
    }
    x->queued += d.len;
    if (x->queued > XFER_HIGH && call->conn)
        wdn_conn_pause(call->conn);
    return false;
}

void wdn_xfer_start(wdn_call_t *call, wdn_ctr_t *c)
{
    wdn_daemon_t *d = c->d;
    wdn_xfer_t *x = hc_calloc(1, sizeof(*x));
    x->call = call;
    x->ctr = c;
    x->copy_in = call->req.type == WDN_REQ_COPY_IN;
    hc_buf_init(&x->errtxt, XFER_MAX_ERR + 1);
    uv_pipe_t *pipes[3] = {&x->pin, &x->pout, &x->perr};
    for (int i = 0; i < 3; i++) {
        uv_pipe_init(d->loop, pipes[i], 0);
        pipes[i]->data = x;
    }
    x->proc.data = x;
    x->handles = 4;
    call->ctr = c;
    call->xfer = x;
    c->busy++;
    if (x->copy_in) {
        x->chunk = hc_malloc(WDN_COPY_MAX_CHUNK);
        call->sink = true;
    }
    char pid[16], uid[16];
    snprintf(pid, sizeof(pid), "%d", (int)c->init_pid);
    snprintf(uid, sizeof(uid), "%u", (unsigned)c->uid);
    char *argv[] = {d->self_exe,
                    x->copy_in ? "__copy-in" : "__copy-out",
                    pid,
                    uid,
                    x->copy_in ? "-" : (char *)call->req.src_path,
                    x->copy_in ? (char *)call->req.dst_path : "-",
                    NULL};
    uv_stdio_container_t stdio[3] = {
        {.flags = x->copy_in ? UV_CREATE_PIPE | UV_READABLE_PIPE : UV_IGNORE,
         .data.stream = (uv_stream_t *)&x->pin},
        {.flags = x->copy_in ? UV_IGNORE : UV_CREATE_PIPE | UV_WRITABLE_PIPE,
         .data.stream = (uv_stream_t *)&x->pout},
        {.flags = UV_CREATE_PIPE | UV_WRITABLE_PIPE, .data.stream = (uv_stream_t *)&x->perr},
    };
    static char *const env[] = {"PATH=/usr/sbin:/usr/bin:/sbin:/bin", "LC_ALL=C", NULL};
    uv_process_options_t o = {
        .exit_cb = on_exit_cb,
        .file = argv[0],
        .args = argv,
        .env = (char **)env,
        .stdio_count = 3,
        .stdio = stdio,
    };
    int e = uv_spawn(d->loop, &x->proc, &o);
    if (e < 0) {
        snprintf(x->fail, sizeof(x->fail), "cannot start copy helper: %s", uv_strerror(e));
        x->exited = x->err_eof = x->out_eof = true;
        /* copy_in: the client's data lines still come and are dropped until its eof. */
        maybe_complete(x);
        return;
    }
    uv_read_start((uv_stream_t *)&x->perr, on_alloc, on_err_read);
    if (x->copy_in) {
        x->out_eof = true;
    } else {
        x->reading = true;
        x->in_closed = true;
        uv_read_start((uv_stream_t *)&x->pout, on_alloc, on_out_read);
    }
}
