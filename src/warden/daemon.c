/*
 * daemon.c - the socket server: accepts connections, splits lines, serves one request at a
 * time per connection (cf-v1.md §8.1: strictly in order), writes JSON response lines.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hc_log.h"
#include "lib/wdn_rootfs.h"
#include "lib/wdn_util.h"
#include "wdn_daemon.h"

static void conn_pump(wdn_conn_t *c);
static bool conn_pump_once(wdn_conn_t *c);
static void call_finish(wdn_call_t *call);

typedef struct wdn_write_s {
    uv_write_t w;
    wdn_conn_t *conn;
    size_t len;
    char data[];
} wdn_write_t;

static void conn_on_close(uv_handle_t *h)
{
    wdn_conn_t *c = HC_CONTAINER_OF(h, wdn_conn_t, pipe);
    hc_buf_release(&c->in);
    json_decref(c->used);
    free(c);
}

static void conn_close(wdn_conn_t *c)
{
    if (c->closing)
        return;
    c->closing = true;
    wdn_daemon_t *d = c->d;
    for (wdn_conn_t **pp = &d->conns; *pp; pp = &(*pp)->next) {
        if (*pp == c) {
            *pp = c->next;
            break;
        }
    }
    d->nconns--;
    if (c->call) {
        wdn_call_t *call = c->call;
        c->call = NULL;
        /* link/run waiting on a job, or a stream; not a link whose output is being read
         * (its work callback finishes the call) */
        bool waiting = call->job != NULL && !call->io;
        wdn_job_call_abort(call);
        call->conn = NULL;
        if (call->xfer)
            wdn_xfer_abort(call); /* its helper's exit finishes the call */
        if (waiting)
            call_finish(call); /* nothing else refers to it */
        /* otherwise a helper or the stop timer still runs: it finishes the call and the
         * reply is dropped */
    }
    /* Grace time: containers this connection used lose a reference. */
    size_t i;
    json_t *h;
    json_array_foreach(c->used, i, h)
    {
        wdn_ctr_t *ctr = wdn_ctr_find(d, json_string_value(h));
        if (ctr && ctr->refs > 0 && --ctr->refs == 0 && !d->stopping)
            wdn_ctr_grace_arm(ctr);
    }
    uv_close((uv_handle_t *)&c->pipe, conn_on_close);
}

static void on_write(uv_write_t *w, int status)
{
    wdn_write_t *wr = HC_CONTAINER_OF(w, wdn_write_t, w);
    wdn_conn_t *c = wr->conn;
    c->pending_out -= wr->len;
    free(wr);
    if (status < 0) {
        conn_close(c);
        return;
    }
    if (c->call && c->call->xfer && c->pending_out < WDN_MAX_PENDING_OUT / 4)
        wdn_xfer_drained(c->call);
}

void wdn_conn_send(wdn_conn_t *c, json_t *msg)
{
    if (!c || c->closing) {
        json_decref(msg);
        return;
    }
    char *s = json_dumps(msg, JSON_COMPACT);
    json_decref(msg);
    if (!s)
        return;
    size_t n = strlen(s);
    wdn_write_t *wr = hc_malloc(sizeof(*wr) + n + 1);
    memcpy(wr->data, s, n);
    wr->data[n] = '\n';
    wr->len = n + 1;
    wr->conn = c;
    free(s);
    if (c->pending_out + wr->len > WDN_MAX_PENDING_OUT) {
        /* The client does not read what it asked for: cut it off (STYLE R19). */
        free(wr);
        conn_close(c);
        return;
    }
    c->pending_out += wr->len;
    uv_buf_t b = uv_buf_init(wr->data, (unsigned)wr->len);
    if (uv_write(&wr->w, (uv_stream_t *)&c->pipe, &b, 1, on_write) < 0) {
        c->pending_out -= wr->len;
        free(wr);
        conn_close(c);
    }
}

static void call_free(wdn_call_t *call)
{
    wdn_req_release(&call->req);
    free(call);
}

static void call_timer_closed(uv_handle_t *h)
{
    call_free(HC_CONTAINER_OF((uv_timer_t *)h, wdn_call_t, timer));
}

static void call_finish(wdn_call_t *call)
{
    wdn_conn_t *c = call->conn;
    if (c && c->call == call)
        c->call = NULL;
    if (call->timer_on) {
        call->timer_on = false;
        uv_close((uv_handle_t *)&call->timer, call_timer_closed);
    } else {
        call_free(call);
    }
    if (c && !c->closing)
        conn_pump(c);
}

void wdn_call_done(wdn_call_t *call, json_t *resp)
{
    if (!json_object_get(resp, "type"))
        json_object_set_new(resp, "type", json_string(wdn_req_type_name(call->req.type)));
    wdn_conn_send(call->conn, resp);
    call_finish(call);
}

void wdn_call_fail(wdn_call_t *call, int code, const char *msg)
{
    (void)code;
    wdn_conn_send(call->conn, json_pack("{s:s, s:s}", "type", "error", "message", msg));
    call_finish(call);
}

static bool is_data_line(const char *line, size_t len)
{
    json_t *o = json_loadb(line, len, 0, NULL);
    const char *type = json_string_value(json_object_get(o, "type"));
    bool yes = type && strcmp(type, "data") == 0;
    json_decref(o);
    return yes;
}

void wdn_conn_pause(wdn_conn_t *c)
{
    if (!c->closing && !c->paused) {
        c->paused = true;
        uv_read_stop((uv_stream_t *)&c->pipe);
    }
}

static void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf);
static void on_read(uv_stream_t *s, ssize_t n, const uv_buf_t *buf);

void wdn_conn_resume(wdn_conn_t *c)
{
    if (c->closing || !c->paused)
        return;
    c->paused = false;
    uv_read_start((uv_stream_t *)&c->pipe, on_alloc, on_read);
    conn_pump(c);
}

static void conn_pump(wdn_conn_t *c)
{
    /* A request may turn the connection into a sink (streamed copy_in): then the lines
     * already read after it are its data, so go round again. */
    while (!c->closing && !c->paused && conn_pump_once(c))
        ;
}

static bool conn_pump_once(wdn_conn_t *c)
{
    /* A streamed copy_in takes the lines that follow it as its data, one at a time, as
     * long as it does not pause the connection (its helper's pipe is full). */
    while (c->call && c->call->sink && !c->closing && !c->paused) {
        char *nl = memchr(c->in.data, '\n', c->in.len);
        if (!nl) {
            if (c->in.len > WDN_MAX_LINE) {
                wdn_conn_send(
                    c, json_pack("{s:s, s:s}", "type", "error", "message", "data line too long"));
                conn_close(c);
            }
            return false;
        }
        size_t len = (size_t)(nl - c->in.data);
        wdn_call_t *call = c->call;
        bool done = wdn_xfer_data(call, c->in.data, len);
        hc_buf_consume(&c->in, len + 1);
        if (done) {
            wdn_xfer_complete(call); /* answers, then pumps the next request */
            return false;
        }
    }
    while (!c->call && !c->closing) {
        char *nl = memchr(c->in.data, '\n', c->in.len);
        if (!nl) {
            if (c->in.len > WDN_MAX_LINE) {
                wdn_conn_send(c, json_pack("{s:s, s:s}", "type", "error", "message",
                                           "request line too long"));
                conn_close(c);
            }
            return false;
        }
        size_t len = (size_t)(nl - c->in.data);
        wdn_call_t *call = hc_calloc(1, sizeof(*call));
        call->conn = c;
        hc_err_t err = {0};
        int r = len == 0 ? 1 : wdn_req_parse(c->in.data, len, &call->req, &err);
        /* Data lines that follow a streamed copy_in refused before it started are dropped
         * without an answer: that copy_in already got its error. */
        if (r < 0 && is_data_line(c->in.data, len))
            r = 1;
        memmove(c->in.data, nl + 1, c->in.len - len - 1);
        c->in.len -= len + 1;
        c->in.data[c->in.len] = '\0';
        if (r != 0) {
            if (r < 0)
                wdn_conn_send(c, json_pack("{s:s, s:s}", "type", "error", "message", err.msg));
            free(call);
            continue;
        }
        if (call->req.handle) {
            bool seen = false;
            size_t i;
            json_t *h;
            json_array_foreach(c->used, i, h) seen |=
                strcmp(json_string_value(h), call->req.handle) == 0;
            wdn_ctr_t *ctr = wdn_ctr_find(c->d, call->req.handle);
            if (!seen && ctr && json_array_size(c->used) < 4096) {
                json_array_append_new(c->used, json_string(call->req.handle));
                ctr->refs++;
                if (ctr->grace_armed) {
                    uv_timer_stop(&ctr->grace);
                    ctr->grace_armed = false;
                }
            }
        }
        c->call = call;
        wdn_handle(call);
        if (c->call == call && call->sink)
            return true;
    }
    return false;
}

static void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
    (void)suggested;
    wdn_conn_t *c = HC_CONTAINER_OF((uv_pipe_t *)h, wdn_conn_t, pipe);
    static char scratch[65536];
    (void)c;
    *buf = uv_buf_init(scratch, sizeof(scratch));
}

static void on_read(uv_stream_t *s, ssize_t n, const uv_buf_t *buf)
{
    wdn_conn_t *c = HC_CONTAINER_OF((uv_pipe_t *)s, wdn_conn_t, pipe);
    if (n < 0) {
        conn_close(c);
        return;
    }
    if (n == 0)
        return;
    hc_buf_append(&c->in, buf->base, (size_t)n);
    if (c->in.overflow) {
        wdn_conn_send(c,
                      json_pack("{s:s, s:s}", "type", "error", "message", "request line too long"));
        conn_close(c);
        return;
    }
    conn_pump(c);
}

static void on_connection(uv_stream_t *server, int status)
{
    wdn_daemon_t *d = HC_CONTAINER_OF((uv_pipe_t *)server, wdn_daemon_t, server);
    if (status < 0)
        return;
    wdn_conn_t *c = hc_calloc(1, sizeof(*c));
    c->d = d;
    hc_buf_init(&c->in, WDN_MAX_LINE + 2);
    c->used = json_array();
    uv_pipe_init(d->loop, &c->pipe, 0);
    if (uv_accept(server, (uv_stream_t *)&c->pipe) < 0 || d->nconns >= WDN_MAX_CONNS) {
        c->closing = true;
        uv_close((uv_handle_t *)&c->pipe, conn_on_close);
        return;
    }
    c->next = d->conns;
    d->conns = c;
    d->nconns++;
    uv_read_start((uv_stream_t *)&c->pipe, on_alloc, on_read);
}

static void on_signal(uv_signal_t *s, int signum)
{
    wdn_daemon_t *d = s->data;
    hc_log_info("stopping; containers keep running", "signal", signum == SIGINT ? "INT" : "TERM");
    wdn_daemon_stop(d);
}

void wdn_daemon_stop(wdn_daemon_t *d)
{
    if (d->stopping)
        return;
    d->stopping = true;
    while (d->conns)
        conn_close(d->conns);
    uv_close((uv_handle_t *)&d->server, NULL);
    uv_close((uv_handle_t *)&d->sigterm, NULL);
    uv_close((uv_handle_t *)&d->sigint, NULL);
    unlink(d->conf.socket);
    wdn_drain_stop(d);
    /* Containers and their helpers outlive us; drop our handles on them. */
    for (wdn_ctr_t *c = d->ctrs; c; c = c->next) {
        wdn_job_detach_all(c);
        if (c->grace_armed)
            uv_timer_stop(&c->grace);
        uv_close((uv_handle_t *)&c->grace, NULL);
    }
}

void wdn_daemon_cleanup(wdn_daemon_t *d)
{
    if (d->ctrs || d->drains)
        return;
    wdn_net_fini(d);
    wdn_cg_fini(&d->cg);
}

int wdn_daemon_init(wdn_daemon_t *d, uv_loop_t *loop, const wdn_conf_t *conf, hc_err_t *err)
{
    memset(d, 0, sizeof(*d));
    d->loop = loop;
    d->conf = *conf;
    ssize_t n = readlink("/proc/self/exe", d->self_exe, sizeof(d->self_exe) - 1);
    if (n < 0)
        return hc_err_set(err, -errno, "readlink /proc/self/exe");
    d->self_exe[n] = '\0';
    if (geteuid() != 0)
        return hc_err_set(err, -EPERM, "hearth-warden must run as root");
    /* A helper or client that goes away mid-write must cost an EPIPE, not the daemon. */
    signal(SIGPIPE, SIG_IGN);
    int r = wdn_mkdir_p(conf->data_dir, 0700);
    if (r < 0)
        return hc_err_set(err, r, "mkdir `%s`", conf->data_dir);
    char p[PATH_MAX];
    (void)wdn_path(p, sizeof(p), "%s/containers", conf->data_dir);
    if ((r = wdn_mkdir_p(p, 0700)) < 0)
        return hc_err_set(err, r, "mkdir `%s`", p);
    if (wdn_path(d->base, sizeof(d->base), "%s/base", conf->data_dir) < 0)
        return hc_err_set(err, -ENAMETOOLONG, "data_dir too long");
    if ((r = wdn_rootfs_build_base(d->base, err)) < 0)
        return hc_err_wrap(err, "build base rootfs");
    d->overlay = wdn_rootfs_have_overlay();
    r = wdn_cg_init(&d->cg, conf->cgroup_parent,
                    conf->cgroup_version && conf->cgroup_version[0] ? conf->cgroup_version : NULL,
                    err);
    if (r < 0)
        return hc_err_wrap(err, "cgroups");
    if (d->cg.ops == &wdn_cg_v2_ops &&
        (d->cg.v2_ctrls & (WDN_CG_MEMORY | WDN_CG_PIDS)) != (WDN_CG_MEMORY | WDN_CG_PIDS))
        hc_log_warn("cgroup v2: memory or pids controller unavailable, those limits are not "
                    "enforced",
                    "dir", d->cg.dirs[0]);
    d->slots = hc_calloc(conf->max_containers, 1);
    d->ports = hc_calloc(conf->port_count ? conf->port_count : 1, 1);
    if (conf->network && (r = wdn_net_init(d, err)) < 0)
        return hc_err_wrap(err, "network");
    wdn_recover(d);
    /* The socket: root only (0600 through the umask, so there is no window). */
    char dir[PATH_MAX];
    snprintf(dir, sizeof(dir), "%s", conf->socket);
    char *slash = strrchr(dir, '/');
    if (slash && slash != dir) {
        *slash = '\0';
        (void)wdn_mkdir_p(dir, 0755);
    }
    struct stat st;
    if (lstat(conf->socket, &st) == 0 && S_ISSOCK(st.st_mode))
        unlink(conf->socket);
    uv_pipe_init(loop, &d->server, 0);
    mode_t old = umask(0177);
    r = uv_pipe_bind(&d->server, conf->socket);
    umask(old);
    if (r < 0)
        return hc_err_set(err, r, "bind `%s`: %s", conf->socket, uv_strerror(r));
    (void)chmod(conf->socket, 0600);
    if ((r = uv_listen((uv_stream_t *)&d->server, 128, on_connection)) < 0)
        return hc_err_set(err, r, "listen `%s`: %s", conf->socket, uv_strerror(r));
    uv_signal_init(loop, &d->sigterm);
    uv_signal_init(loop, &d->sigint);
    d->sigterm.data = d->sigint.data = d;
    uv_signal_start(&d->sigterm, on_signal, SIGTERM);
    uv_signal_start(&d->sigint, on_signal, SIGINT);
    hc_log_info("listening", "socket", conf->socket, "cgroups", d->cg.ops->name, "rootfs",
                d->overlay ? "overlay" : "copy");
    return 0;
}
