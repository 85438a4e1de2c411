/* hearth-warden: the container server, its operator client, and its helper modes. */
#include <stdio.h>
#include <string.h>
#include <uv.h>

#include "hc_base.h"
#include "hc_log.h"
#include "lib/wdn_helper.h"
#include "wdn_cli.h"
#include "wdn_daemon.h"

static void usage(FILE *f)
{
    fprintf(f, "usage: hearth-warden [--socket PATH] [--data-dir DIR] [-c FILE] [--log-level L]\n"
               "       hearth-warden --help-config\n"
               "       hearth-warden client [--socket PATH] COMMAND ... (client --help)\n"
               "       hearth-warden --version\n");
}

int main(int argc, char **argv)
{
    if (wdn_helper_is(argc, argv))
        return wdn_helper_main(argc, argv);
    if (argc > 1 && strcmp(argv[1], "client") == 0)
        return wdn_cli_main(argc - 1, argv + 1);
    static wdn_conf_t conf;
    hc_conf_defaults(wdn_conf_opts, &conf);
    const char *socket = NULL, *data_dir = NULL, *conf_file = NULL, *level = NULL;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(a, "--version") == 0) {
            printf("hearth-warden %s\n", HEARTH_VERSION);
            return 0;
        } else if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            usage(stdout);
            return 0;
        } else if (strcmp(a, "--help-config") == 0) {
            hc_conf_print_help(wdn_conf_opts, stdout);
            return 0;
        } else if (strcmp(a, "--socket") == 0 && v) {
            socket = v;
            i++;
        } else if (strcmp(a, "--data-dir") == 0 && v) {
            data_dir = v;
            i++;
        } else if (strcmp(a, "-c") == 0 && v) {
            conf_file = v;
            i++;
        } else if (strcmp(a, "--log-level") == 0 && v) {
            level = v;
            i++;
        } else {
            usage(stderr);
            return 2;
        }
    }
    hc_log_open("warden", NULL);
    if (level && hc_log_level_parse(level) != HC_LOG_INVALID)
        hc_log_level = hc_log_level_parse(level);
    hc_err_t err = {0};
    if ((conf_file && hc_conf_load_file(wdn_conf_opts, &conf, conf_file, &err) < 0) ||
        (socket && hc_conf_set(wdn_conf_opts, &conf, "socket", socket, &err) < 0) ||
        (data_dir && hc_conf_set(wdn_conf_opts, &conf, "data_dir", data_dir, &err) < 0) ||
        wdn_conf_check(&conf, &err) < 0) {
        fprintf(stderr, "hearth-warden: %s\n", err.msg);
        return 2;
    }
    static wdn_daemon_t d;
    uv_loop_t *loop = uv_default_loop();
    if (wdn_daemon_init(&d, loop, &conf, &err) < 0) {
        hc_log_error("cannot start", "err", err.msg);
        return 1;
    }
    uv_run(loop, UV_RUN_DEFAULT);
    wdn_daemon_cleanup(&d);
    hc_log_info("stopped");
    return 0;
}
