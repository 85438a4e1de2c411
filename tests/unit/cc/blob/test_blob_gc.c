/*
 * Unit tests for src/cc/blob/gc.c's sweep over a local store (src/cc/blob/local.c's list):
 * packages and droplets no app uses go once older than the grace; used ones, young ones and
 * the resource cache stay; putting an existing blob again makes it young. And the keep list
 * read from the database: the apps' current blobs and those of their last N releases.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <cmocka.h>

#include "blob/blob.h"
#include "blob/gc.h"
#include "db/db.h"

static char dir[] = "/tmp/hearth-cc-blobgc.XXXXXX";

static void put(cc_blob_t *b, const char *key, int64_t age_s)
{
    char src[300], path[400];
    hc_err_t err;
    snprintf(src, sizeof(src), "%s/src", dir);
    FILE *f = fopen(src, "w");
    assert_non_null(f);
    fputs(key, f);
    fclose(f);
    assert_int_equal(cc_blob_put(b, key, src, &err), 0);
    const char *sha = strchr(key, '/') + 1;
    snprintf(path, sizeof(path), "%s/store/%.*s/%.2s/%.2s/%s", dir, (int)(sha - key - 1), key, sha,
             sha + 2, sha);
    struct timespec t[2] = {{.tv_sec = time(NULL) - age_s}, {.tv_sec = time(NULL) - age_s}};
    assert_int_equal(utimensat(AT_FDCWD, path, t, 0), 0);
}

static bool exists(cc_blob_t *b, const char *key)
{
    hc_err_t err;
    return cc_blob_stat(b, key, NULL, &err) == 1;
}

#define SHA(c) c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c

static void test_sweep(void **state)
{
    (void)state;
    char store[300];
    hc_err_t err;
    assert_non_null(mkdtemp(dir));
    snprintf(store, sizeof(store), "%s/store", dir);
    cc_blob_t *b = NULL;
    assert_int_equal(cc_blob_local_new(store, &b, &err), 0);
    const char *used_pkg = "pkg/" SHA("1"), *used_drop = "drop/" SHA("2");
    const char *old_pkg = "pkg/" SHA("3"), *old_drop = "drop/" SHA("4");
    const char *young_pkg = "pkg/" SHA("5"), *res = "res/" SHA("6"), *again = "drop/" SHA("7");
    put(b, used_pkg, 7200);
    put(b, used_drop, 7200);
    put(b, old_pkg, 7200);
    put(b, old_drop, 7200);
    put(b, young_pkg, 60);
    put(b, res, 7200);
    put(b, again, 7200);
    char src[300];
    snprintf(src, sizeof(src), "%s/src", dir);
    assert_int_equal(cc_blob_put(b, again, src, &err), 0); /* put again: young */

    char *keep[] = {(char *)used_drop, (char *)used_pkg}; /* sorted: "drop/..." < "pkg/..." */
    cc_blob_gc_stats_t st = {0};
    assert_int_equal(cc_blob_gc_sweep(b, keep, 2, (int64_t)time(NULL), 3600, &st, &err), 0);
    assert_int_equal(st.removed, 2);
    assert_int_equal(st.kept, 4);
    assert_false(exists(b, old_pkg));
    assert_false(exists(b, old_drop));
    assert_true(exists(b, used_pkg));
    assert_true(exists(b, used_drop));
    assert_true(exists(b, young_pkg));
    assert_true(exists(b, again));
    assert_true(exists(b, res)); /* the resource cache is not collected */

    /* With no grace, only the used ones are left. */
    st = (cc_blob_gc_stats_t){0};
    assert_int_equal(cc_blob_gc_sweep(b, keep, 2, (int64_t)time(NULL) + 10, 0, &st, &err), 0);
    assert_int_equal(st.removed, 2);
    assert_false(exists(b, young_pkg));
    assert_false(exists(b, again));
    assert_true(exists(b, used_pkg));
    assert_true(exists(b, res));
    cc_blob_free(b);
    char cmd[400];
    snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
    assert_int_equal(system(cmd), 0);
}

static void exec_ok(cc_db_t *db, const char *sql)
{
    hc_err_t err;
    if (cc_db_exec_script(db, sql, &err) < 0)
        fail_msg("%s: %s", sql, err.msg);
}

/* The keep list with releases_kept, as one string "k1 k2 ...", is want. */
static void assert_keys(cc_db_t *db, int64_t releases_kept, const char *want)
{
    char **keys = NULL, got[4096] = "";
    size_t n = 0;
    hc_err_t err;
    assert_int_equal(cc_blob_gc_used_keys(db, releases_kept, &keys, &n, &err), 0);
    for (size_t i = 0; i < n; i++) {
        size_t len = strlen(got);
        snprintf(got + len, sizeof(got) - len, "%s%s", i ? " " : "", keys[i]);
        free(keys[i]);
    }
    free(keys);
    assert_string_equal(got, want);
}

/* The keep list: app a is at release v4 (its package and droplet p4/d4, the current ones and
 * v4's), b has no release; v3 has the same droplet as v2 (an env change). */
static void test_used_keys_keeps_last_releases(void **state)
{
    (void)state;
    char tmp[] = "/tmp/hearth-cc-blobgc-db.XXXXXX", path[300];
    hc_err_t err;
    cc_db_t *db = NULL;
    assert_non_null(mkdtemp(tmp));
    snprintf(path, sizeof(path), "%s/cc.db", tmp);
    assert_int_equal(cc_db_open(path, &db, &err), 0);
    exec_ok(db,
            "INSERT INTO apps (guid, name, owner, package_hash, droplet_hash, created, updated)"
            " VALUES ('a', 'a', 'u@x', 'p4', 'd4', 1, 1), ('b', 'b', 'u@x', 'p9', 'd9', 1, 1),"
            " ('c', 'c', 'u@x', NULL, NULL, 1, 1);"
            "INSERT INTO releases (app_guid, version, package_hash, droplet_hash, created, email,"
            " description) VALUES ('a', 1, 'p1', 'd1', 1, 'u@x', 'Deploy p1'),"
            " ('a', 2, 'p2', 'd2', 2, 'u@x', 'Deploy p2'),"
            " ('a', 3, 'p2', 'd2', 3, 'u@x', 'Set A'),"
            " ('a', 4, 'p4', 'd4', 4, 'u@x', 'Deploy p4');");

    assert_keys(db, 0, "drop/d4 drop/d9 pkg/p4 pkg/p9");

    assert_keys(db, 2, "drop/d2 drop/d4 drop/d9 pkg/p2 pkg/p4 pkg/p9");

    assert_keys(db, 5, "drop/d1 drop/d2 drop/d4 drop/d9 pkg/p1 pkg/p2 pkg/p4 pkg/p9");

    /* Another app's releases do not count towards a's last two. */
    exec_ok(db,
            "INSERT INTO releases (app_guid, version, package_hash, droplet_hash, created,"
            " email, description) VALUES ('b', 1, 'p8', 'd8', 1, 'u@x', 'Deploy p8'),"
            " ('b', 2, 'p9', 'd9', 2, 'u@x', 'Deploy p9'), ('b', 3, 'p9', 'd9', 3, 'u@x', 'x')");
    assert_keys(db, 2, "drop/d2 drop/d4 drop/d9 pkg/p2 pkg/p4 pkg/p9");
    cc_db_free(db);
    char cmd[400];
    snprintf(cmd, sizeof(cmd), "rm -rf %s", tmp);
    assert_int_equal(system(cmd), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sweep),
        cmocka_unit_test(test_used_keys_keeps_last_releases),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
