/*
 * Unit tests for src/cc/db: the same SQL on SQLite and on a real PostgreSQL server started
 * by the test (tests/e2e/cc_pg.sh; skipped with a message only when it cannot run here).
 */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "db/db.h"

static char tmpdir[] = "/tmp/hearth-cc-db.XXXXXX";
static char pg_url[512];
static char pg_dir[600];

typedef struct fixture_s {
    const char *url;
    cc_db_t *db;
} fixture_t;

static int open_db(void **state, const char *url)
{
    hc_err_t err;
    fixture_t *f = hc_calloc(1, sizeof(*f));
    f->url = url;
    if (cc_db_open(url, &f->db, &err) < 0) {
        fprintf(stderr, "open %s: %s\n", url, err.msg);
        free(f);
        return -1;
    }
    /* Start every test from empty tables. */
    cc_db_exec_script(f->db,
                      "DELETE FROM users; DELETE FROM apps; DELETE FROM tokens;"
                      " DELETE FROM releases;",
                      &err);
    *state = f;
    return 0;
}

static int setup_sqlite(void **state)
{
    static char path[600];
    snprintf(path, sizeof(path), "%s/cc.db", tmpdir);
    return open_db(state, path);
}

static int setup_pg(void **state)
{
    if (!pg_url[0])
        skip();
    return open_db(state, pg_url);
}

static int teardown(void **state)
{
    fixture_t *f = *state;
    if (f) {
        cc_db_free(f->db);
        free(f);
    }
    return 0;
}

static void test_insert_select_params_and_null(void **state)
{
    fixture_t *f = *state;
    cc_db_res_t res = {0};
    hc_err_t err;
    assert_int_equal(cc_db_exec(f->db,
                                "INSERT INTO users (email, pw_hash, admin, created)"
                                " VALUES (?, ?, ?, ?)",
                                CC_P("a@x", "h'?\"", "1", "1700000000"), NULL, &err),
                     0);
    assert_int_equal(cc_db_exec(f->db,
                                "SELECT email, pw_hash, admin + 1, created FROM users"
                                " WHERE email = ? AND created > ?",
                                CC_P("a@x", "5"), &res, &err),
                     0);
    assert_int_equal(res.nrows, 1);
    assert_int_equal(res.ncols, 4);
    assert_string_equal(cc_db_cell(&res, 0, 1), "h'?\"");
    assert_int_equal(cc_db_cell_int(&res, 0, 2), 2);
    assert_int_equal(cc_db_cell_int(&res, 0, 3), 1700000000);
    assert_null(cc_db_cell(&res, 1, 0));
    cc_db_res_release(&res);
    /* A literal '?' inside quotes is not a placeholder. */
    assert_int_equal(cc_db_exec(f->db, "SELECT '?', ?", CC_P("x"), &res, &err), 0);
    assert_string_equal(cc_db_cell(&res, 0, 0), "?");
    assert_string_equal(cc_db_cell(&res, 0, 1), "x");
    cc_db_res_release(&res);
    assert_int_equal(cc_db_exec(f->db, "SELECT NULL", CC_P0, &res, &err), 0);
    assert_null(cc_db_cell(&res, 0, 0));
    cc_db_res_release(&res);
}

static void test_unique_violation_is_eexist(void **state)
{
    fixture_t *f = *state;
    hc_err_t err;
    const char *sql = "INSERT INTO users (email, pw_hash, created) VALUES (?, 'h', 1)";
    assert_int_equal(cc_db_exec(f->db, sql, CC_P("dup@x"), NULL, &err), 0);
    assert_int_equal(cc_db_exec(f->db, sql, CC_P("dup@x"), NULL, &err), -EEXIST);
    assert_int_equal(cc_db_exec(f->db, "SELECT nope FROM nothing", CC_P0, NULL, &err), -EIO);
    assert_non_null(strstr(err.msg, "nothing"));
}

static void test_transactions_commit_and_rollback(void **state)
{
    fixture_t *f = *state;
    cc_db_res_t res = {0};
    hc_err_t err;
    const char *sql = "INSERT INTO users (email, pw_hash, created) VALUES (?, 'h', 1)";
    assert_int_equal(cc_db_begin(f->db, &err), 0);
    assert_int_equal(cc_db_exec(f->db, sql, CC_P("t1@x"), NULL, &err), 0);
    cc_db_rollback(f->db);
    assert_int_equal(cc_db_begin(f->db, &err), 0);
    assert_int_equal(cc_db_exec(f->db, sql, CC_P("t2@x"), NULL, &err), 0);
    /* A failing statement inside a transaction, then rollback: nothing of it stays. */
    assert_int_equal(cc_db_exec(f->db, sql, CC_P("t2@x"), NULL, &err), -EEXIST);
    cc_db_rollback(f->db);
    assert_int_equal(cc_db_begin(f->db, &err), 0);
    assert_int_equal(cc_db_exec(f->db, sql, CC_P("t3@x"), NULL, &err), 0);
    assert_int_equal(cc_db_commit(f->db, &err), 0);
    assert_int_equal(cc_db_exec(f->db, "SELECT email FROM users ORDER BY email", CC_P0, &res, &err),
                     0);
    assert_int_equal(res.nrows, 1);
    assert_string_equal(cc_db_cell(&res, 0, 0), "t3@x");
    cc_db_res_release(&res);
}

static void test_changes_and_limit(void **state)
{
    fixture_t *f = *state;
    cc_db_res_t res = {0};
    hc_err_t err;
    for (int i = 0; i < 5; i++) {
        char e[16];
        snprintf(e, sizeof(e), "u%d@x", i);
        assert_int_equal(
            cc_db_exec(f->db, "INSERT INTO users (email, pw_hash, created) VALUES (?, 'h', ?)",
                       CC_P(e, "3"), NULL, &err),
            0);
    }
    assert_int_equal(
        cc_db_exec(f->db, "UPDATE users SET admin = 1 WHERE created = ?", CC_P("3"), &res, &err),
        0);
    assert_int_equal(res.changes, 5);
    cc_db_res_release(&res);
    assert_int_equal(cc_db_exec(f->db,
                                "SELECT email FROM users WHERE email > ? ORDER BY email LIMIT ?",
                                CC_P("u1@x", "2"), &res, &err),
                     0);
    assert_int_equal(res.nrows, 2);
    assert_string_equal(cc_db_cell(&res, 0, 0), "u2@x");
    cc_db_res_release(&res);
}

static void test_reopen_keeps_schema_version(void **state)
{
    fixture_t *f = *state;
    cc_db_res_t res = {0};
    hc_err_t err;
    cc_db_t *again = NULL;
    assert_int_equal(cc_db_open(f->url, &again, &err), 0);
    assert_int_equal(cc_db_exec(again, "SELECT version FROM schema_version", CC_P0, &res, &err), 0);
    assert_int_equal(res.nrows, 1);
    assert_int_equal(cc_db_cell_int(&res, 0, 0), 6);
    cc_db_res_release(&res);
    cc_db_free(again);
}

/* Runs script (which takes the schema back to an older version) on f's database, adds the
 * app g1 and opens the database again: the migrations run. Returns the new connection. */
static cc_db_t *downgrade_and_reopen(fixture_t *f, const char *script)
{
    hc_err_t err;
    cc_db_t *again = NULL;
    assert_int_equal(cc_db_exec_script(f->db, script, &err), 0);
    assert_int_equal(cc_db_exec(f->db,
                                "INSERT INTO apps (guid, name, owner, created, updated)"
                                " VALUES ('g1', 'web', 'a@x', 1, 1)",
                                CC_P0, NULL, &err),
                     0);
    assert_int_equal(cc_db_open(f->url, &again, &err), 0);
    return again;
}

static void assert_schema_version(cc_db_t *db, int64_t want)
{
    cc_db_res_t res = {0};
    hc_err_t err;
    assert_int_equal(cc_db_exec(db, "SELECT version FROM schema_version", CC_P0, &res, &err), 0);
    assert_int_equal(res.nrows, 1);
    assert_int_equal(cc_db_cell_int(&res, 0, 0), want);
    cc_db_res_release(&res);
}

/* A database at version 4 (apps without health check columns) is upgraded on open, its apps
 * getting the defaults. */
static void test_upgrade_from_4_adds_health_check(void **state)
{
    fixture_t *f = *state;
    cc_db_res_t res = {0};
    hc_err_t err;
    cc_db_t *again =
        downgrade_and_reopen(f, "ALTER TABLE apps DROP COLUMN health_check_type;"
                                "ALTER TABLE apps DROP COLUMN health_check_http_endpoint;"
                                "DROP TABLE releases;"
                                "UPDATE schema_version SET version = 4;");
    assert_int_equal(cc_db_exec(again,
                                "SELECT health_check_type, health_check_http_endpoint FROM apps"
                                " WHERE guid = 'g1'",
                                CC_P0, &res, &err),
                     0);
    assert_int_equal(res.nrows, 1);
    assert_string_equal(cc_db_cell(&res, 0, 0), "port");
    assert_string_equal(cc_db_cell(&res, 0, 1), "/");
    cc_db_res_release(&res);
    assert_schema_version(again, 6);
    cc_db_free(again);
}

/* A database at version 5 (no release history) gets the releases table on open: its apps
 * stay, and a release can be recorded and read back. */
static void test_upgrade_from_5_adds_releases(void **state)
{
    fixture_t *f = *state;
    cc_db_res_t res = {0};
    hc_err_t err;
    cc_db_t *again =
        downgrade_and_reopen(f, "DROP TABLE releases; UPDATE schema_version SET version = 5;");
    assert_int_equal(cc_db_exec(again,
                                "INSERT INTO releases (app_guid, version, droplet_hash, env,"
                                " created, email, description)"
                                " VALUES ('g1', 1, 'd1', '[\"A=1\"]', 7, 'a@x', 'Deploy abc')",
                                CC_P0, NULL, &err),
                     0);
    /* (app_guid, version) is unique: a version is recorded once. */
    assert_int_equal(cc_db_exec(again,
                                "INSERT INTO releases (app_guid, version, created, email,"
                                " description) VALUES ('g1', 1, 8, 'a@x', 'again')",
                                CC_P0, NULL, &err),
                     -EEXIST);
    assert_int_equal(cc_db_exec(again,
                                "SELECT a.name, r.version, r.droplet_hash, r.env, r.description"
                                " FROM apps a JOIN releases r ON r.app_guid = a.guid",
                                CC_P0, &res, &err),
                     0);
    assert_int_equal(res.nrows, 1);
    assert_string_equal(cc_db_cell(&res, 0, 0), "web");
    assert_int_equal(cc_db_cell_int(&res, 0, 1), 1);
    assert_string_equal(cc_db_cell(&res, 0, 2), "d1");
    assert_string_equal(cc_db_cell(&res, 0, 3), "[\"A=1\"]");
    assert_string_equal(cc_db_cell(&res, 0, 4), "Deploy abc");
    cc_db_res_release(&res);
    assert_schema_version(again, 6);
    cc_db_free(again);
}

/* After a server restart the next statement outside a transaction reconnects and succeeds. */
static void test_pg_reconnects_after_restart(void **state)
{
    fixture_t *f = *state;
    cc_db_res_t res = {0};
    hc_err_t err;
    char cmd[2048];
    snprintf(cmd, sizeof(cmd), "'%s/tests/e2e/cc_pg.sh' restart '%s'", getenv("HEARTH_SOURCE_DIR"),
             pg_dir);
    assert_int_equal(system(cmd), 0);
    assert_int_equal(cc_db_exec(f->db, "SELECT 1", CC_P0, &res, &err), 0);
    assert_string_equal(cc_db_cell(&res, 0, 0), "1");
    cc_db_res_release(&res);
    assert_int_equal(cc_db_begin(f->db, &err), 0);
    assert_int_equal(cc_db_commit(f->db, &err), 0);
}

/* ---- the connection pool of the thread pool's workers ---- */

#define POOL_THREADS 6
#define POOL_ROUNDS 40

typedef struct pool_arg_s {
    cc_db_pool_t *pool;
    cc_db_t *held[POOL_THREADS]; /* which connection each thread holds, under mu */
    pthread_mutex_t mu;
    int overlaps, failures;
    int idx;
} pool_arg_t;

static void *pool_worker(void *data)
{
    pool_arg_t *a = data;
    pthread_mutex_lock(&a->mu);
    int me = a->idx++;
    pthread_mutex_unlock(&a->mu);
    for (int i = 0; i < POOL_ROUNDS; i++) {
        hc_err_t err;
        cc_db_t *db = cc_db_pool_acquire(a->pool, &err);
        if (!db) {
            __atomic_add_fetch(&a->failures, 1, __ATOMIC_SEQ_CST);
            continue;
        }
        pthread_mutex_lock(&a->mu);
        for (int t = 0; t < POOL_THREADS; t++)
            if (a->held[t] == db)
                a->overlaps++;
        a->held[me] = db;
        pthread_mutex_unlock(&a->mu);
        cc_db_res_t res = {0};
        /* Every read sees the row the main connection committed before the threads started. */
        if (cc_db_exec(db, "SELECT name FROM apps WHERE guid = 'p1'", CC_P0, &res, &err) < 0 ||
            res.nrows != 1 || strcmp(cc_db_cell(&res, 0, 0), "pooled") != 0)
            __atomic_add_fetch(&a->failures, 1, __ATOMIC_SEQ_CST);
        cc_db_res_release(&res);
        pthread_mutex_lock(&a->mu);
        a->held[me] = NULL;
        pthread_mutex_unlock(&a->mu);
        cc_db_pool_release(a->pool, db);
    }
    return NULL;
}

static void test_pool_one_thread_per_connection(void **state)
{
    fixture_t *f = *state;
    hc_err_t err;
    assert_int_equal(cc_db_exec(f->db,
                                "INSERT INTO apps (guid, name, owner, created, updated)"
                                " VALUES ('p1', 'pooled', 'o', 1, 1)",
                                CC_P0, NULL, &err),
                     0);
    pool_arg_t a = {.pool = cc_db_pool_new(f->url, 2)};
    pthread_mutex_init(&a.mu, NULL);
    pthread_t th[POOL_THREADS];
    for (int i = 0; i < POOL_THREADS; i++)
        assert_int_equal(pthread_create(&th[i], NULL, pool_worker, &a), 0);
    for (int i = 0; i < POOL_THREADS; i++)
        pthread_join(th[i], NULL);
    assert_int_equal(a.overlaps, 0);
    assert_int_equal(a.failures, 0);
    pthread_mutex_destroy(&a.mu);
    cc_db_pool_free(a.pool);
}

static void test_pool_connect_failure(void **state)
{
    (void)state;
    hc_err_t err;
    cc_db_pool_t *p = cc_db_pool_new("/nonexistent-dir/hearth/cc.db", 1);
    /* Each attempt fails cleanly and gives the slot back (no wait for ever on the second). */
    assert_null(cc_db_pool_acquire(p, &err));
    assert_true(strlen(err.msg) > 0);
    assert_null(cc_db_pool_acquire(p, &err));
    cc_db_pool_free(p);
}

#define BOTH(t)                                                                                    \
    cmocka_unit_test_setup_teardown(t, setup_sqlite, teardown),                                    \
        cmocka_unit_test_setup_teardown(t, setup_pg, teardown)

int main(void)
{
    assert_non_null(mkdtemp(tmpdir));
    const char *src = getenv("HEARTH_SOURCE_DIR");
    snprintf(pg_dir, sizeof(pg_dir), "%s/pg", tmpdir);
    if (src) {
        char cmd[2048];
        snprintf(cmd, sizeof(cmd), "'%s/tests/e2e/cc_pg.sh' start '%s'", src, pg_dir);
        FILE *p = popen(cmd, "r");
        if (p && fgets(pg_url, sizeof(pg_url), p))
            pg_url[strcspn(pg_url, "\n")] = '\0';
        int rc = p ? pclose(p) : -1;
        if (rc != 0)
            pg_url[0] = '\0';
    }
    if (!pg_url[0])
        fprintf(stderr, "SKIP PostgreSQL half: the server could not be started here\n");
    const struct CMUnitTest tests[] = {
        BOTH(test_insert_select_params_and_null),
        BOTH(test_unique_violation_is_eexist),
        BOTH(test_transactions_commit_and_rollback),
        BOTH(test_changes_and_limit),
        BOTH(test_reopen_keeps_schema_version),
        BOTH(test_upgrade_from_4_adds_health_check),
        BOTH(test_upgrade_from_5_adds_releases),
        cmocka_unit_test_setup_teardown(test_pg_reconnects_after_restart, setup_pg, teardown),
        BOTH(test_pool_one_thread_per_connection),
        cmocka_unit_test(test_pool_connect_failure),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    char cmd[2048];
    if (src) {
        snprintf(cmd, sizeof(cmd), "'%s/tests/e2e/cc_pg.sh' stop '%s'", src, pg_dir);
        if (system(cmd) != 0)
            fprintf(stderr, "stopping PostgreSQL failed\n");
    }
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
    if (system(cmd) != 0)
        fprintf(stderr, "removing %s failed\n", tmpdir);
    return rc;
}
