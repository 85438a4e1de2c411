/* The backend-neutral half of the CC's database access: dispatch, transactions, results. */
#include <stdio.h>
#include <string.h>

#include "db/db.h"

struct cc_db_s {
    cc_db_kind_t kind;
    void *conn;
    const cc_db_ops_t *ops;
    bool in_tx;
};

static bool is_pg_url(const char *url)
{
    return strncmp(url, "postgres://", 11) == 0 || strncmp(url, "postgresql://", 13) == 0;
}

int cc_db_connect(const char *url, cc_db_t **ret_db, hc_err_t *err)
{
    cc_db_t *db = hc_calloc(1, sizeof(*db));
    int r;

    if (is_pg_url(url)) {
        db->kind = CC_DB_POSTGRES;
        r = cc_db_pg_open(url, &db->conn, &db->ops, err);
    } else {
        db->kind = CC_DB_SQLITE;
        r = cc_db_sqlite_open(url, &db->conn, &db->ops, err);
    }
    if (r < 0) {
        free(db);
        return r;
    }
    *ret_db = db;
    return 0;
}

int cc_db_open(const char *url, cc_db_t **ret_db, hc_err_t *err)
{
    cc_db_t *db = NULL;
    int r = cc_db_connect(url, &db, err);
    if (r < 0)
        return r;
    r = cc_db_migrate(db, err);
    if (r < 0) {
        cc_db_free(db);
        return hc_err_wrap(err, "migrate");
    }
    *ret_db = db;
    return 0;
}

void cc_db_free(cc_db_t *db)
{
    if (!db)
        return;
    if (db->conn)
        db->ops->close(db->conn);
    free(db);
}

cc_db_kind_t cc_db_kind(const cc_db_t *db)
{
    return db->kind;
}

int cc_db_exec(cc_db_t *db, const char *sql, const char *const *params, size_t n,
               cc_db_res_t *ret_res, hc_err_t *err)
{
    cc_db_res_t tmp = {0};
    int r = db->ops->exec(db->conn, sql, params, n, ret_res ? ret_res : &tmp, err);
    cc_db_res_release(&tmp);
    return r;
}

int cc_db_exec_script(cc_db_t *db, const char *sql, hc_err_t *err)
{
    return db->ops->script(db->conn, sql, err);
}

int cc_db_begin(cc_db_t *db, hc_err_t *err)
{
    hc_assert(!db->in_tx);
    int r = db->ops->script(db->conn, db->kind == CC_DB_SQLITE ? "BEGIN IMMEDIATE" : "BEGIN", err);
    if (r == 0)
        db->in_tx = true;
    return r;
}

int cc_db_commit(cc_db_t *db, hc_err_t *err)
{
    hc_assert(db->in_tx);
    int r = db->ops->script(db->conn, "COMMIT", err);
    if (r < 0) {
        cc_db_rollback(db);
        return r;
    }
    db->in_tx = false;
    return 0;
}

void cc_db_rollback(cc_db_t *db)
{
    if (!db->in_tx)
        return;
    hc_err_t ignored;
    db->ops->script(db->conn, "ROLLBACK", &ignored);
    db->in_tx = false;
}

void cc_db_res_release(cc_db_res_t *res)
{
    if (!res || !res->cells)
        return;
    for (size_t i = 0; i < res->nrows * res->ncols; i++)
        free(res->cells[i]);
    free(res->cells);
    memset(res, 0, sizeof(*res));
}

const char *cc_db_cell(const cc_db_res_t *res, size_t row, size_t col)
{
    if (row >= res->nrows || col >= res->ncols)
        return NULL;
    return res->cells[row * res->ncols + col];
}

int64_t cc_db_cell_int(const cc_db_res_t *res, size_t row, size_t col)
{
    const char *s = cc_db_cell(res, row, col);
    if (!s)
        return 0;
    char *end;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (errno || end == s)
        return 0;
    return v;
}
