/* hearth-broker: Open Service Broker API v2 for PostgreSQL, MariaDB, Redis and RabbitMQ. */
#include "broker.h"

static const hc_conf_opt_t brk_conf_opts[] = {
    HC_DAEMON_CONF_ENTRIES(brk_conf_t, common, 9025, 9026, "/var/lib/hearth/broker"),
    HC_CONF_STR("host", brk_conf_t, host, "127.0.0.1", "listen address (OSBAPI and status)"),
    HC_CONF_STR("status.user", brk_conf_t, status_user, NULL, "/varz user (unset: random)"),
    HC_CONF_STR("status.password", brk_conf_t, status_password, NULL, "(unset: random)"),
    HC_CONF_STR("auth.user", brk_conf_t, user, "broker", "basic auth user"),
    HC_CONF_STR("auth.password", brk_conf_t, password, NULL, "basic auth password (required)"),
    HC_CONF_STR("api_version_min", brk_conf_t, api_version_min, "2.12",
                "oldest X-Broker-API-Version accepted"),
    HC_CONF_BOOL("async_only", brk_conf_t, async_only, false,
                 "refuse (422) provision/deprovision without accepts_incomplete=true"),
    HC_CONF_INT("max_instances", brk_conf_t, max_instances, 1000, 1, 1000000),
    HC_CONF_INT("max_bindings", brk_conf_t, max_bindings, 10000, 1, 1000000),
    HC_CONF_STR("postgresql.host", brk_conf_t, pg_host, NULL, "PostgreSQL host (unset: off)"),
    HC_CONF_INT("postgresql.port", brk_conf_t, pg_port, 5432, 1, 65535),
    HC_CONF_STR("postgresql.user", brk_conf_t, pg_user, "postgres", "admin role"),
    HC_CONF_STR("postgresql.password", brk_conf_t, pg_password, NULL),
    HC_CONF_STR("mysql.host", brk_conf_t, my_host, NULL, "MariaDB host (unset: off)"),
    HC_CONF_INT("mysql.port", brk_conf_t, my_port, 3306, 1, 65535),
    HC_CONF_STR("mysql.user", brk_conf_t, my_user, "root", "admin user"),
    HC_CONF_STR("mysql.password", brk_conf_t, my_password, NULL),
    HC_CONF_STR("mysql.client", brk_conf_t, my_client, "mariadb", "command-line client"),
    HC_CONF_BOOL("redis.enabled", brk_conf_t, redis_enabled, false,
                 "offer redis (one redis-server per instance)"),
    HC_CONF_STR("redis.host", brk_conf_t, redis_host, "127.0.0.1", "address redis servers bind"),
    HC_CONF_STR("redis.server", brk_conf_t, redis_server, "redis-server"),
    HC_CONF_STR("redis.cli", brk_conf_t, redis_cli, "redis-cli"),
    HC_CONF_STR("rabbitmq.host", brk_conf_t, rmq_host, NULL, "RabbitMQ host (unset: off)"),
    HC_CONF_INT("rabbitmq.port", brk_conf_t, rmq_port, 5672, 1, 65535, "AMQP port"),
    HC_CONF_INT("rabbitmq.management_port", brk_conf_t, rmq_mgmt_port, 15672, 1, 65535),
    HC_CONF_STR("rabbitmq.user", brk_conf_t, rmq_user, "guest", "administrator"),
    HC_CONF_STR("rabbitmq.password", brk_conf_t, rmq_password, "guest"),
    HC_CONF_STR(
        "store_key", brk_conf_t, store_key, NULL,
        "64 hex digits sealing broker.db's secrets (unset: DATA/store.key, made at first start)"),
    HC_CONF_END,
};

static const hc_daemon_spec_t spec = {
    .name = "hearth-broker",
    .comp = "broker",
    .summary = "Open Service Broker API v2 for PostgreSQL, MySQL, Redis and RabbitMQ",
    .conf_opts = brk_conf_opts,
    .check = brk_check,
    .start = brk_start,
    .stop = brk_stop,
};

int main(int argc, char **argv)
{
    brk_conf_t conf = {0};
    brk_t brk = {0};
    int rc = hc_daemon_main(&spec, &conf, &brk, argc, argv);
    brk_release(&brk);
    return rc;
}
