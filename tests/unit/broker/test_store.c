/* Tests for src/broker/store.c and tables.c: what is saved comes back after a reopen. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include <sys/stat.h>

#include "broker.h"
#include "seal.h"
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

/* Empties b's tables (what brk_store_load put there) without closing its db. */
static void drop_tables(brk_t *b)
{
    while (b->insts)
        brk_inst_remove(b, b->insts);
    while (b->bindings)
        brk_binding_remove(b, b->bindings);
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
    assert_int_equal(brk_store_put_inst(&b, i1, &err), 0);
    assert_int_equal(brk_store_put_inst(&b, i2, &err), 0);
    assert_int_equal(brk_store_put_binding(&b, b1, &err), 0);
    assert_int_equal(brk_store_put_binding(&b, b2, &err), 0);
    /* Saving again replaces. */
    i1->state = BRK_ST_DEPROVISIONING;
    assert_int_equal(brk_store_put_inst(&b, i1, &err), 0);
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
    assert_int_equal(brk_store_put_inst(&c, bad, &err), 0);
    brk_t d = {.db = c.db};
    assert_int_equal(brk_store_load(&d, &err), -EINVAL);
    assert_non_null(strstr(err.msg, "bad"));
    drop_tables(&d);
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

/* The raw text of column col of table's row id. */
static char *raw(sqlite3 *db, const char *table, const char *col, const char *id)
{
    char sql[200];
    sqlite3_stmt *st = NULL;
    snprintf(sql, sizeof(sql), "SELECT %s FROM %s WHERE id = ?", col, table);
    assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
    sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    char *v = hc_strdup((const char *)sqlite3_column_text(st, 0));
    sqlite3_finalize(st);
    return v;
}

/* Secrets are sealed in broker.db, open with the key only, and old plain rows still load. */
static void test_sealed_at_rest(void **state)
{
    (void)state;
    char d[] = "/tmp/hearth-broker-seal.XXXXXX", path[256], keyfile[256];
    hc_err_t err;
    hc_err_clear(&err);
    assert_non_null(mkdtemp(d));
    snprintf(path, sizeof(path), "%s/broker.db", d);
    snprintf(keyfile, sizeof(keyfile), "%s/store.key", d);

    brk_t b = {0};
    assert_int_equal(brk_seal_key(NULL, keyfile, b.seal_key, &err), 0);
    struct stat sb;
    assert_int_equal(stat(keyfile, &sb), 0);
    assert_int_equal(sb.st_mode & 0777, 0600);
    unsigned char again[BRK_SEAL_KEY_LEN];
    assert_int_equal(brk_seal_key(NULL, keyfile, again, &err), 0);
    assert_memory_equal(again, b.seal_key, BRK_SEAL_KEY_LEN); /* made once, then read */

    assert_int_equal(brk_store_open(path, &b.db, &err), 0);
    brk_inst_t *i1 = new_inst("i1", BRK_SVC_REDIS, 0, BRK_ST_READY);
    brk_binding_t *b1 = new_binding("b1", "i1");
    assert_int_equal(brk_store_put_inst(&b, i1, &err), 0);
    assert_int_equal(brk_store_put_binding(&b, b1, &err), 0);
    char *v = raw(b.db, "instances", "secret", "i1");
    assert_null(strstr(v, i1->secret));
    assert_non_null(strstr(v, "sealed:v1:"));
    free(v);
    v = raw(b.db, "bindings", "password", "b1");
    assert_null(strstr(v, b1->password));
    free(v);
    v = raw(b.db, "bindings", "creds", "b1");
    assert_null(strstr(v, "ufedcba9876543210"));
    free(v);
    /* A row written before sealing (plain text) loads as it is. */
    assert_int_equal(sqlite3_exec(b.db,
                                  "INSERT INTO bindings (id, inst_id, app_guid, params, key,"
                                  " password, creds) VALUES ('old', 'i1', 'a', '{}', 'k',"
                                  " 'plainpw', '{\"password\":\"plainpw\"}')",
                                  NULL, NULL, NULL),
                     SQLITE_OK);

    brk_t c = {.db = b.db};
    memcpy(c.seal_key, b.seal_key, sizeof(c.seal_key));
    assert_int_equal(brk_store_load(&c, &err), 0);
    assert_string_equal(brk_inst_find(&c, "i1")->secret, i1->secret);
    assert_string_equal(brk_binding_find(&c, "b1")->password, b1->password);
    assert_string_equal(brk_binding_find(&c, "b1")->creds, b1->creds);
    assert_string_equal(brk_binding_find(&c, "old")->password, "plainpw");
    drop_tables(&c);

    /* Another key (store_key given in the configuration) opens nothing: a clear error. */
    brk_t e = {.db = b.db};
    const char *hex = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff";
    assert_int_equal(brk_seal_key(hex, keyfile, e.seal_key, &err), 0);
    hc_err_clear(&err);
    assert_int_equal(brk_store_load(&e, &err), -EBADMSG);
    assert_non_null(strstr(err.msg, "i1"));
    drop_tables(&e);
    assert_int_equal(brk_seal_key("0011", keyfile, e.seal_key, &err), -EINVAL);

    sqlite3_close(b.db);
    brk_inst_free(i1);
    brk_binding_free(b1);
    char cmd[300];
    snprintf(cmd, sizeof(cmd), "rm -rf %s", d);
    assert_int_equal(system(cmd), 0);
}

/* brk_seal/brk_unseal: round trip, fresh nonces, altered or malformed values refused. */
static void test_seal(void **state)
{
    (void)state;
    unsigned char key[BRK_SEAL_KEY_LEN] = {1, 2, 3};
    hc_err_t err;
    hc_err_clear(&err);
    char *a = brk_seal(key, "s3cret"), *b = brk_seal(key, "s3cret"), *p = NULL;
    assert_string_not_equal(a, b);
    assert_int_equal(brk_unseal(key, a, &p, &err), 0);
    assert_string_equal(p, "s3cret");
    free(p);
    char *empty = brk_seal(key, "");
    assert_int_equal(brk_unseal(key, empty, &p, &err), 0);
    assert_string_equal(p, "");
    free(p);
    size_t n = strlen(a);
    a[n - 3] = a[n - 3] == 'A' ? 'B' : 'A';
    assert_int_equal(brk_unseal(key, a, &p, &err), -EBADMSG);
    assert_null(p);
    assert_int_equal(brk_unseal(key, "sealed:v1:%%%", &p, &err), -EBADMSG);
    assert_int_equal(brk_unseal(key, "sealed:v1:", &p, &err), -EBADMSG);
    assert_int_equal(brk_unseal(key, "sealed:v1:AAAA", &p, &err), -EBADMSG);
    key[0] ^= 1;
    assert_int_equal(brk_unseal(key, b, &p, &err), -EBADMSG);
    free(a);
    free(b);
    free(empty);
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
        cmocka_unit_test(test_sealed_at_rest),
        cmocka_unit_test(test_seal),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
