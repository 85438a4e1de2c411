/* Tests for src/broker/store.c and tables.c: what is saved comes back after a reopen. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "broker.h"
#include "store.h"

static char dir[] = "/tmp/hearth-broker-test.XXXXXX";

static brk_inst_t *new_inst(const char *id, int svc, int plan, brk_state_t st)
{
    brk_inst_t *i = hc_calloc(1, sizeof(*i));
    i->id = hc_strdup(id);
    i->svc = svc;
    i->plan = plan;
    i->org = hc_strdup("org");
    i->space = hc_strdup("space");
    i->params = hc_strdup("{\"a\":1}");
    i->state = st;
    i->descr = hc_strdup("d");
    snprintf(i->key, sizeof(i->key), "0123456789abcdef");
    snprintf(i->secret, sizeof(i->secret), "%032d", 7);
    i->port = 6390;
    return i;
}

static brk_binding_t *new_binding(const char *id, const char *inst)
{
    brk_binding_t *b = hc_calloc(1, sizeof(*b));
    b->id = hc_strdup(id);
    b->inst_id = hc_strdup(inst);
    b->app_guid = hc_strdup("app");
    b->params = hc_strdup("{}");
    snprintf(b->key, sizeof(b->key), "fedcba9876543210");
    snprintf(b->password, sizeof(b->password), "%032d", 9);
    b->creds = hc_strdup("{\"username\":\"ufedcba9876543210\"}");
    return b;
}

static void test_roundtrip(void **state)
{
    (void)state;
    char path[256];
    hc_err_t err;
    hc_err_clear(&err);
    assert_non_null(mkdtemp(dir));
    snprintf(path, sizeof(path), "%s/broker.db", dir);

    brk_t b = {0};
    assert_int_equal(brk_store_open(path, &b.db, &err), 0);
    brk_inst_t *i1 = new_inst("i1", BRK_SVC_REDIS, 1, BRK_ST_READY);
    brk_inst_t *i2 = new_inst("i2", BRK_SVC_POSTGRESQL, 0, BRK_ST_PROVISIONING);
    brk_binding_t *b1 = new_binding("b1", "i1"), *b2 = new_binding("b2", "i2");
    assert_int_equal(brk_store_put_inst(b.db, i1, &err), 0);
    assert_int_equal(brk_store_put_inst(b.db, i2, &err), 0);
    assert_int_equal(brk_store_put_binding(b.db, b1, &err), 0);
    assert_int_equal(brk_store_put_binding(b.db, b2, &err), 0);
    /* Saving again replaces. */
    i1->state = BRK_ST_DEPROVISIONING;
    assert_int_equal(brk_store_put_inst(b.db, i1, &err), 0);
    /* Deleting an instance deletes its bindings. */
    assert_int_equal(brk_store_del_inst(b.db, "i2", &err), 0);
    sqlite3_close(b.db);

    brk_t c = {0};
    assert_int_equal(brk_store_open(path, &c.db, &err), 0);
    assert_int_equal(brk_store_load(&c, &err), 0);
    assert_int_equal(c.num_insts, 1);
    assert_int_equal(c.num_bindings, 1);
    brk_inst_t *l = brk_inst_find(&c, "i1");
    assert_non_null(l);
    assert_null(brk_inst_find(&c, "i2"));
    assert_int_equal(l->svc, BRK_SVC_REDIS);
    assert_int_equal(l->plan, 1);
    assert_int_equal(l->state, BRK_ST_DEPROVISIONING);
    assert_string_equal(l->params, "{\"a\":1}");
    assert_string_equal(l->key, i1->key);
    assert_string_equal(l->secret, i1->secret);
    assert_int_equal(l->port, 6390);
    brk_binding_t *lb = brk_binding_find(&c, "b1");
    assert_non_null(lb);
    assert_string_equal(lb->inst_id, "i1");
    assert_string_equal(lb->password, b1->password);
    assert_string_equal(lb->creds, b1->creds);
    assert_null(brk_binding_find(&c, "b2"));

    /* A row naming a service or plan that does not exist is refused, not trusted. */
    brk_inst_t *bad = new_inst("bad", BRK_SVC_POSTGRESQL, 5, BRK_ST_READY);
    assert_int_equal(brk_store_put_inst(c.db, bad, &err), 0);
    brk_t d = {.db = c.db};
    assert_int_equal(brk_store_load(&d, &err), -EINVAL);
    assert_non_null(strstr(err.msg, "bad"));
    while (d.insts)
        brk_inst_remove(&d, d.insts);
    while (d.bindings)
        brk_binding_remove(&d, d.bindings);
    brk_release(&c);

    brk_inst_free(i1);
    brk_inst_free(i2);
    brk_inst_free(bad);
    brk_binding_free(b1);
    brk_binding_free(b2);
    char cmd[300];
    snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
    assert_int_equal(system(cmd), 0);
}

static void test_catalog(void **state)
{
    (void)state;
    bool on[BRK_SVC_COUNT] = {true, false, true, false};
    json_t *cat = brk_catalog_json(on);
    json_t *svcs = json_object_get(cat, "services");
    assert_int_equal(json_array_size(svcs), 2);
    assert_string_equal(json_string_value(json_object_get(json_array_get(svcs, 0), "name")),
                        "postgresql");
    json_t *redis = json_array_get(svcs, 1);
    assert_string_equal(json_string_value(json_object_get(redis, "name")), "redis");
    assert_int_equal(json_array_size(json_object_get(redis, "plans")), 2);
    int svc, plan;
    const char *sid = json_string_value(json_object_get(redis, "id"));
    const char *pid = json_string_value(
        json_object_get(json_array_get(json_object_get(redis, "plans"), 1), "id"));
    assert_int_equal(brk_service_find(sid, pid, &svc, &plan), 0);
    assert_int_equal(svc, BRK_SVC_REDIS);
    assert_int_equal(plan, 1);
    assert_int_equal(brk_service(svc)->plans[plan].maxmemory, (uint64_t)256 << 20);
    assert_int_equal(brk_service_find(sid, "nope", &svc, &plan), -ENOENT);
    assert_int_equal(brk_service_find("nope", pid, &svc, &plan), -ENOENT);
    json_decref(cat);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_roundtrip),
        cmocka_unit_test(test_catalog),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
