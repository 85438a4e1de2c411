/* hearth-hm: the health manager (desired vs actual, crash backoff, one leader by bus lease). */
#include "hm.h"

static const hc_daemon_opt_t hm_opts[] = {
    {.name = "cc", .arg = "URL", .help = "Cloud Controller base URL", .key = "cc.url"},
    {NULL},
};

static const hc_daemon_spec_t hm_spec = {
    .name = "hearth-hm",
    .comp = "hm",
    .summary = "health manager: desired vs actual state, crash backoff, leader by bus lease",
    .conf_opts = hm_conf_opts,
    .opts = hm_opts,
    .start = hm_start,
    .stop = hm_stop,
};

int main(int argc, char **argv)
{
    hm_conf_t conf;
    hm_t hm = {0};
    int rc = hc_daemon_main(&hm_spec, &conf, &hm, argc, argv);
    hm_release(&hm);
    return rc;
}
