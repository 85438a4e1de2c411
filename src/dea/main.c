/* hearth-dea: runs app instances and staging tasks in warden containers. */
#include "dea.h"

static const hc_daemon_opt_t dea_opts[] = {
    {.name = "warden-socket", .arg = "PATH", .help = "warden's socket", .key = "warden_socket"},
    {NULL},
};

static const hc_daemon_spec_t dea_spec = {
    .name = "hearth-dea",
    .comp = "dea",
    .summary = "DEA: runs droplets in warden containers, stages apps with buildpacks",
    .conf_opts = dea_conf_opts,
    .opts = dea_opts,
    .start = dea_start,
    .stop = dea_stop,
    .term = dea_term,
    .stop_timeout_ms = 5000,
};

int main(int argc, char **argv)
{
    dea_conf_t conf = {0};
    dea_t dea = {0};
    return hc_daemon_main(&dea_spec, &conf, &dea, argc, argv);
}
