/*
 * bench-http_server: the hearth HTTP server answering GET /hello with a 13-byte text body, on
 * 127.0.0.1:PORT (argv[1], default 18080) until SIGTERM/SIGINT. bench/http_server/run drives it
 * and nginx with wrk and prints both figures.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>

#include "hc_http_server.h"

static void on_hello(const hc_http_request_t *req, hc_http_res_t *res, void *data)
{
    (void)req;
    (void)data;
    hc_http_reply_text(res, 200, "Hello, world\n");
}

static void on_json(const hc_http_request_t *req, hc_http_res_t *res, void *data)
{
    hc_str_t name = hc_http_req_param(req, "name");
    (void)data;
    hc_http_reply_json(res, 200, json_pack("{s:s%,s:i}", "name", name.p, name.len, "instances", 3));
}

static void on_closed(hc_http_server_t *srv, void *data)
{
    (void)srv;
    (void)data;
}

static uv_signal_t sig_term, sig_int;

static void on_signal(uv_signal_t *s, int signum)
{
    hc_http_server_t *srv = s->data;
    (void)signum;
    hc_http_server_close(srv, 1000, on_closed, NULL);
    uv_close((uv_handle_t *)&sig_term, NULL);
    uv_close((uv_handle_t *)&sig_int, NULL);
}

int main(int argc, char **argv)
{
    uv_loop_t *loop = uv_default_loop();
    hc_http_server_conf_t conf = {.port = argc > 1 ? atoi(argv[1]) : 18080, .max_conns = 10000};
    hc_http_server_t *srv;
    hc_err_t err;

    if (hc_http_server_new(loop, &conf, &srv, &err) < 0) {
        fprintf(stderr, "bench-http_server: %s\n", err.msg);
        return 1;
    }
    hc_http_server_route(srv, "GET", "/hello", on_hello, NULL);
    hc_http_server_route(srv, "GET", "/apps/:name", on_json, NULL);
    uv_signal_init(loop, &sig_term);
    uv_signal_init(loop, &sig_int);
    sig_term.data = sig_int.data = srv;
    uv_signal_start(&sig_term, on_signal, SIGTERM);
    uv_signal_start(&sig_int, on_signal, SIGINT);
    uv_run(loop, UV_RUN_DEFAULT);
    hc_http_server_free(srv);
    uv_loop_close(loop);
    return 0;
}
