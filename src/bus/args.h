/* args.h - hearth-bus's command line: nats-server's common flags (spec/bus.md, issue 3). */
#ifndef HEARTH_BUS_ARGS_H
#define HEARTH_BUS_ARGS_H

#include "server.h"

typedef enum bus_args_action_e {
    BUS_ARGS_RUN = 0,
    BUS_ARGS_HELP = 1,
    BUS_ARGS_VERSION = 2,
} bus_args_action_t;

/*
 * Fills opts from defaults, then the -c config file, then the other flags (flags win, as with
 * nats-server). Returns a bus_args_action_t, or a negative errno with err set.
 */
int bus_args_parse(int argc, char **argv, bus_opts_t *opts, hc_err_t *err);
extern const char bus_usage[];

#endif
