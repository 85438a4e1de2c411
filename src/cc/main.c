/* hearth-cc: the Cloud Controller (REST API, users, apps, blob store, staging orchestration). */
#include "cc.h"

static const hc_daemon_opt_t cc_opts[] = {
    {.name = "database-url",
     .arg = "URL",
     .help = "postgres://... (default: SQLite in data dir)",
     .key = "database_url"},
    {.name = NULL},
};

static const hc_daemon_spec_t cc_spec = {
    .name = "hearth-cc",
    .comp = "cc",
    .summary = "Cloud Controller: REST API, users, apps, blob store, staging orchestration",
    .conf_opts = cc_conf_opts,
    .opts = cc_opts,
    .start = cc_start,
    .stop = cc_stop,
};

int main(int argc, char **argv)
{
    cc_conf_t conf;
    cc_ctx_t cc = {0};
    int rc = hc_daemon_main(&cc_spec, &conf, &cc, argc, argv);
    cc_release(&cc);
    return rc;
}
