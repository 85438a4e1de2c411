/* The SQLite backend: WAL, synchronous=NORMAL, a busy timeout, text in and text out. */
#include <string.h>

#include <sqlite3.h>

#include "db/db.h"

#define CC_SQLITE_BUSY_MS 5000

static int sq_error(sqlite3 *db, int rc, hc_err_t *err, const char *what)
{
    int ext = sqlite3_extended_errcode(db);
    int code =
        (ext == SQLITE_CONSTRAINT_UNIQUE || ext == SQLITE_CONSTRAINT_PRIMARYKEY) ? -EEXIST : -EIO;
    (void)rc;
    return hc_err_set(err, code, "sqlite %s: %s", what, sqlite3_errmsg(db));
}

static int sq_exec(void *conn, const char *sql, const char *const *params, size_t n,
                   cc_db_res_t *res, hc_err_t *err)
{
    sqlite3 *db = conn;
    sqlite3_stmt *st = NULL;
    size_t cap = 0;
    int r;

    memset(res, 0, sizeof(*res));
    int rc = sqlite3_prepare_v2(db, sql, -1, &st, NULL);
    if (rc != SQLITE_OK) {
        r = sq_error(db, rc, err, "prepare");
        goto out;
    }
    for (size_t i = 0; i < n; i++) {
        rc = params[i] ? sqlite3_bind_text(st, (int)i + 1, params[i], -1, SQLITE_TRANSIENT)
                       : sqlite3_bind_null(st, (int)i + 1);
        if (rc != SQLITE_OK) {
            r = sq_error(db, rc, err, "bind");
            goto out;
        }
    }
    res->ncols = (size_t)sqlite3_column_count(st);
    for (;;) {
        rc = sqlite3_step(st);
        if (rc == SQLITE_DONE)
            break;
        if (rc != SQLITE_ROW) {
            r = sq_error(db, rc, err, "step");
            goto out;
        }
        if (res->nrows == cap) {
            cap = cap ? cap * 2 : 8;
            res->cells = hc_reallocarray(res->cells, cap * res->ncols + 1, sizeof(char *));
        }
        for (size_t c = 0; c < res->ncols; c++) {
            const unsigned char *t = sqlite3_column_text(st, (int)c);
            res->cells[res->nrows * res->ncols + c] =
                t ? hc_strndup((const char *)t, (size_t)sqlite3_column_bytes(st, (int)c)) : NULL;
        }
        res->nrows++;
    }
    res->changes = sqlite3_changes(db);
    r = 0;
out:
    sqlite3_finalize(st);
    if (r < 0)
        cc_db_res_release(res);
    return r;
}

static int sq_script(void *conn, const char *sql, hc_err_t *err)
{
    char *msg = NULL;
    int rc = sqlite3_exec(conn, sql, NULL, NULL, &msg);
    if (rc != SQLITE_OK) {
        hc_err_set(err, -EIO, "sqlite: %s", msg ? msg : sqlite3_errstr(rc));
        sqlite3_free(msg);
        return -EIO;
    }
    return 0;
}

static void sq_close(void *conn)
{
    sqlite3_close_v2(conn);
}

static const cc_db_ops_t sq_ops = {.exec = sq_exec, .script = sq_script, .close = sq_close};

int cc_db_sqlite_open(const char *path, void **ret_conn, const cc_db_ops_t **ret_ops, hc_err_t *err)
{
    sqlite3 *db = NULL;
    int rc = sqlite3_open_v2(
        path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL);
    if (rc != SQLITE_OK) {
        hc_err_set(err, -EIO, "open `%s`: %s", path, db ? sqlite3_errmsg(db) : "no memory");
        sqlite3_close_v2(db);
        return -EIO;
    }
    sqlite3_busy_timeout(db, CC_SQLITE_BUSY_MS);
    int r = sq_script(db,
                      "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; "
                      "PRAGMA foreign_keys=ON;",
                      err);
    if (r < 0) {
        sqlite3_close_v2(db);
        return hc_err_wrap(err, "`%s`", path);
    }
    *ret_conn = db;
    *ret_ops = &sq_ops;
    return 0;
}
