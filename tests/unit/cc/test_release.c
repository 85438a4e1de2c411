/*
 * Unit tests for src/cc/release.c: release descriptions of env changes, versions numbered
 * 1, 2, 3... per app with what the app had, and descriptions cut at a UTF-8 boundary.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "app.h"
#include "release.h"

static void desc_of(const char *before, const char *after, const char *want)
{
    json_t *b = json_loads(before, 0, NULL), *a = json_loads(after, 0, NULL);
    char out[256];
    assert_non_null(b);
    assert_non_null(a);
    assert_int_equal(cc_release_env_desc(b, a, out, sizeof(out)), want[0] != '\0');
    assert_string_equal(out, want);
    json_decref(b);
    json_decref(a);
}

static void test_env_desc(void **state)
{
    (void)state;
    desc_of("[]", "[\"A=1\",\"B=2\"]", "Set A, B");
    desc_of("[\"A=1\",\"B=2\"]", "[\"B=2\"]", "Remove A");
    desc_of("[\"A=1\",\"B=2\"]", "[\"A=1\",\"B=3\",\"C=\"]", "Set B, C");
    desc_of("[\"A=1\",\"B=2\"]", "[\"B=3\"]", "Set B; Remove A");
    desc_of("[\"A=1\",\"B=2\"]", "[\"B=2\",\"A=1\"]", "");  /* reordered: no change */
    desc_of("[\"AB=1\"]", "[\"A=1\"]", "Set A; Remove AB"); /* a prefix is another name */
}

static void test_add_numbers_per_app(void **state)
{
    (void)state;
    char tmp[] = "/tmp/hearth-cc-release.XXXXXX", path[300];
    hc_err_t err;
    cc_db_t *db = NULL;
    cc_db_res_t res = {0};
    int64_t v = 0;
    assert_non_null(mkdtemp(tmp));
    snprintf(path, sizeof(path), "%s/cc.db", tmp);
    assert_int_equal(cc_db_open(path, &db, &err), 0);
    cc_app_t a = {.guid = "a", .droplet_hash = "d1", .package_hash = "p1", .command = "run"};
    cc_app_t b = {.guid = "b", .droplet_hash = "d9"};
    a.env = json_loads("[\"K=V\"]", 0, NULL);
    b.env = json_array();

    assert_int_equal(cc_release_latest(db, "a", &v, &err), 0);
    assert_int_equal(v, 0);
    assert_int_equal(cc_release_add(db, &a, "u@x", "Deploy p1", &v, &err), 0);
    assert_int_equal(v, 1);
    assert_int_equal(cc_release_add(db, &b, "u@x", "Deploy p9", &v, &err), 0);
    assert_int_equal(v, 1);
    /* 300 bytes of "é" (2 bytes each): cut to 254 bytes, never inside a character. */
    char long_desc[301] = "";
    for (int i = 0; i < 150; i++)
        strcat(long_desc, "\xc3\xa9");
    assert_int_equal(cc_release_add(db, &a, "v@x", long_desc, &v, &err), 0);
    assert_int_equal(v, 2);
    assert_int_equal(cc_release_latest(db, "a", &v, &err), 0);
    assert_int_equal(v, 2);
    assert_int_equal(cc_db_exec(db,
                                "SELECT version, droplet_hash, package_hash, env, command, email,"
                                " description FROM releases WHERE app_guid = 'a' ORDER BY version",
                                CC_P0, &res, &err),
                     0);
    assert_int_equal(res.nrows, 2);
    assert_string_equal(cc_db_cell(&res, 0, 1), "d1");
    assert_string_equal(cc_db_cell(&res, 0, 2), "p1");
    assert_string_equal(cc_db_cell(&res, 0, 3), "[\"K=V\"]");
    assert_string_equal(cc_db_cell(&res, 0, 4), "run");
    assert_string_equal(cc_db_cell(&res, 0, 5), "u@x");
    assert_string_equal(cc_db_cell(&res, 0, 6), "Deploy p1");
    assert_string_equal(cc_db_cell(&res, 1, 5), "v@x");
    assert_int_equal(strlen(cc_db_cell(&res, 1, 6)), 254);
    assert_memory_equal(cc_db_cell(&res, 1, 6), long_desc, 254);
    cc_db_res_release(&res);
    json_decref(a.env);
    json_decref(b.env);
    cc_db_free(db);
    char cmd[400];
    snprintf(cmd, sizeof(cmd), "rm -rf %s", tmp);
    assert_int_equal(system(cmd), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_env_desc),
        cmocka_unit_test(test_add_numbers_per_app),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
