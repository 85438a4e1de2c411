/*
 * hearth-bus: a NATS-protocol message server (issue 3, spec/bus.md). Parses the command line,
 * sets up logging, runs the server on one libuv loop until it is stopped.
 */
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include <uv.h>

#include "args.h"
#include "hc_log.h"
#include "server.h"

int main(int argc, char **argv)
{
    bus_opts_t opts;
    bus_server_t srv;
    hc_err_t err;
    uv_loop_t loop;
    int r;

    hc_err_clear(&err);
    r = bus_args_parse(argc, argv, &opts, &err);
    if (r == BUS_ARGS_HELP) {
        fputs(bus_usage, stdout);
        bus_opts_release(&opts);
        return 0;
    }
    if (r == BUS_ARGS_VERSION) {
        printf("hearth-bus %s (nats protocol %s)\n", HEARTH_VERSION, BUS_COMPAT_VERSION);
        bus_opts_release(&opts);
        return 0;
    }
    if (r < 0) {
        fprintf(stderr, "hearth-bus: %s\n", err.msg);
        bus_opts_release(&opts);
        return 2;
    }
    r = hc_log_open("bus", opts.log_file);
    if (r < 0) {
        fprintf(stderr, "hearth-bus: open log `%s`: %s\n", opts.log_file, strerror(-r));
        bus_opts_release(&opts);
        return 2;
    }
    if (opts.debug)
        hc_log_level = HC_LOG_DEBUG;
    signal(SIGPIPE, SIG_IGN);
    uv_loop_init(&loop);
    r = bus_server_start(&srv, &loop, &opts, &err);
    if (r < 0) {
        hc_log_error("cannot start", "err", err.msg);
        bus_server_stop(&srv);
        uv_run(&loop, UV_RUN_DEFAULT);
        bus_server_release(&srv);
        uv_loop_close(&loop);
        bus_opts_release(&opts);
        return 1;
    }
    uv_run(&loop, UV_RUN_DEFAULT);
    hc_log_info("server stopped", NULL);
    bus_server_release(&srv);
    uv_loop_close(&loop);
    bus_opts_release(&opts);
    hc_log_close();
    return 0;
}
