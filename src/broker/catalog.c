/* The services and plans this broker offers, and GET /v2/catalog's document. */
#include <string.h>

#include "broker.h"
#include "hc_json.h"

static const brk_plan_t pg_plans[] = {
    {"5f1d7a3e-2c4b-4e8a-9d1f-000000000101", "default", "A database and a login role per binding",
     0},
};
static const brk_plan_t my_plans[] = {
    {"5f1d7a3e-2c4b-4e8a-9d1f-000000000201", "default", "A database and a user per binding", 0},
};
static const brk_plan_t redis_plans[] = {
    {"5f1d7a3e-2c4b-4e8a-9d1f-000000000301", "small", "Own redis-server, 64 MiB",
     (uint64_t)64 << 20},
    {"5f1d7a3e-2c4b-4e8a-9d1f-000000000302", "medium", "Own redis-server, 256 MiB",
     (uint64_t)256 << 20},
};
static const brk_plan_t rmq_plans[] = {
    {"5f1d7a3e-2c4b-4e8a-9d1f-000000000401", "default", "A vhost and a user per binding", 0},
};

static const brk_service_t services[BRK_SVC_COUNT] = {
    [BRK_SVC_POSTGRESQL] = {"5f1d7a3e-2c4b-4e8a-9d1f-000000000100",
                            "postgresql",
                            "PostgreSQL database",
                            {"postgresql", "relational", "sql"},
                            pg_plans,
                            HC_ARRAY_SIZE(pg_plans)},
    [BRK_SVC_MYSQL] = {"5f1d7a3e-2c4b-4e8a-9d1f-000000000200",
                       "mysql",
                       "MySQL (MariaDB) database",
                       {"mysql", "relational", "sql"},
                       my_plans,
                       HC_ARRAY_SIZE(my_plans)},
    [BRK_SVC_REDIS] = {"5f1d7a3e-2c4b-4e8a-9d1f-000000000300",
                       "redis",
                       "Redis key-value store",
                       {"redis", "key-value"},
                       redis_plans,
                       HC_ARRAY_SIZE(redis_plans)},
    [BRK_SVC_RABBITMQ] = {"5f1d7a3e-2c4b-4e8a-9d1f-000000000400",
                          "rabbitmq",
                          "RabbitMQ message broker",
                          {"rabbitmq", "amqp", "messaging"},
                          rmq_plans,
                          HC_ARRAY_SIZE(rmq_plans)},
};

const brk_service_t *brk_service(int svc)
{
    hc_assert(svc >= 0 && svc < BRK_SVC_COUNT);
    return &services[svc];
}

const brk_svc_ops_t *brk_svc_ops(int svc)
{
    static const brk_svc_ops_t *const ops[BRK_SVC_COUNT] = {
        [BRK_SVC_POSTGRESQL] = &brk_pg_ops,
        [BRK_SVC_MYSQL] = &brk_mysql_ops,
        [BRK_SVC_REDIS] = &brk_redis_ops,
        [BRK_SVC_RABBITMQ] = &brk_rabbitmq_ops,
    };
    hc_assert(svc >= 0 && svc < BRK_SVC_COUNT);
    return ops[svc];
}

int brk_service_find(const char *service_id, const char *plan_id, int *ret_svc, int *ret_plan)
{
    for (int s = 0; s < BRK_SVC_COUNT; s++) {
        if (strcmp(services[s].id, service_id) != 0)
            continue;
        for (size_t p = 0; p < services[s].num_plans; p++) {
            if (strcmp(services[s].plans[p].id, plan_id) == 0) {
                *ret_svc = s;
                *ret_plan = (int)p;
                return 0;
            }
        }
        return -ENOENT;
    }
    return -ENOENT;
}

json_t *brk_catalog_json(const bool enabled[BRK_SVC_COUNT])
{
    json_t *arr = hc_json_arr();
    for (int s = 0; s < BRK_SVC_COUNT; s++) {
        if (!enabled[s])
            continue;
        const brk_service_t *svc = &services[s];
        json_t *o = hc_json_obj(), *tags = hc_json_arr(), *plans = hc_json_arr();
        hc_json_set_str(o, "id", svc->id);
        hc_json_set_str(o, "name", svc->name);
        hc_json_set_str(o, "description", svc->description);
        hc_json_set_bool(o, "bindable", true);
        hc_json_set_bool(o, "plan_updateable", false);
        hc_json_set_bool(o, "instances_retrievable", false);
        hc_json_set_bool(o, "bindings_retrievable", false);
        for (size_t t = 0; t < HC_ARRAY_SIZE(svc->tags) && svc->tags[t]; t++)
            hc_json_append_str(tags, svc->tags[t]);
        hc_json_set_new(o, "tags", tags);
        for (size_t p = 0; p < svc->num_plans; p++) {
            json_t *po = hc_json_obj();
            hc_json_set_str(po, "id", svc->plans[p].id);
            hc_json_set_str(po, "name", svc->plans[p].name);
            hc_json_set_str(po, "description", svc->plans[p].description);
            hc_json_set_bool(po, "free", true);
            hc_json_set_bool(po, "bindable", true);
            hc_json_append_new(plans, po);
        }
        hc_json_set_new(o, "plans", plans);
        hc_json_append_new(arr, o);
    }
    json_t *root = hc_json_obj();
    hc_json_set_new(root, "services", arr);
    return root;
}
