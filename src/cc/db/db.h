/*
 * db.h - one small SQL interface over SQLite and PostgreSQL, so the CC writes its SQL once.
 *
 * SQL uses `?` placeholders; for PostgreSQL they are rewritten to $1, $2... (a `?` inside a
 * quoted literal is left alone). Every parameter and every result cell is text (NULL is SQL
 * NULL): SQLite applies the column affinity on insert and comparison, PostgreSQL infers the
 * parameter types, so integers pass as decimal strings. The schema uses only types both
 * understand (TEXT, BIGINT), booleans are 0/1.
 *
 * Statements run synchronously on the caller's thread. A cc_db_t is one connection: use it
 * from one thread at a time. The loop thread owns the CC's main connection (the writer: short,
 * indexed statements; writes that touch more than one row run inside cc_db_begin/cc_db_commit);
 * the hot read paths run on the thread pool with connections from a cc_db_pool_t.
 */
#ifndef HEARTH_CC_DB_H
#define HEARTH_CC_DB_H

#include "hc_base.h"

typedef struct cc_db_s cc_db_t;

typedef enum cc_db_kind_e {
    CC_DB_SQLITE = 0,
    CC_DB_POSTGRES = 1,
} cc_db_kind_t;

/* A result: nrows x ncols text cells (NULL for SQL NULL), plus rows changed by a write. */
typedef struct cc_db_res_s {
    size_t nrows, ncols;
    char **cells;
    int64_t changes;
} cc_db_res_t;

/* Parameters as a compound literal: cc_db_exec(db, sql, CC_P(a, b), &res, err). */
#define CC_P(...)                                                                                  \
    (const char *const[]){__VA_ARGS__},                                                            \
        (sizeof((const char *const[]){__VA_ARGS__}) / sizeof(const char *))
#define CC_P0 NULL, 0

/*
 * Opens the database: url "postgres://..." or "postgresql://..." for PostgreSQL, anything else
 * is a SQLite file path (created; WAL, synchronous=NORMAL, busy timeout). Then applies the
 * migrations that are missing. Returns 0 and *ret_db, or negative with err set.
 */
int cc_db_open(const char *url, cc_db_t **ret_db, hc_err_t *err);
/* Opens a connection like cc_db_open, without migrations (for a database already migrated). */
int cc_db_connect(const char *url, cc_db_t **ret_db, hc_err_t *err);
/* Closes and frees. Accepts NULL. */
void cc_db_free(cc_db_t *db);

/*
 * A pool of up to n connections to url for the thread pool's workers, opened on first use.
 * Each connection is handed to one thread at a time. Thread-safe (except new and free).
 */
typedef struct cc_db_pool_s cc_db_pool_t;
#define CC_DB_POOL_MAX 64
cc_db_pool_t *cc_db_pool_new(const char *url, size_t n);
/* Frees the pool and closes its connections; none may be in use. Accepts NULL. */
void cc_db_pool_free(cc_db_pool_t *p);
/*
 * Takes a connection, waiting while all n are in use; connects when the slot has none yet.
 * Returns it, or NULL with err set when connecting failed. Blocking: thread pool only.
 */
cc_db_t *cc_db_pool_acquire(cc_db_pool_t *p, hc_err_t *err);
/* Gives db back to the pool (from any thread). Accepts NULL. */
void cc_db_pool_release(cc_db_pool_t *p, cc_db_t *db);
cc_db_kind_t cc_db_kind(const cc_db_t *db);

/*
 * Runs one statement with n text parameters. When ret_res is not NULL it receives the rows
 * (release with cc_db_res_release) and res->changes; on error it is left empty.
 * Returns 0, -EEXIST on a unique-constraint violation, or -EIO with err set.
 */
int cc_db_exec(cc_db_t *db, const char *sql, const char *const *params, size_t n,
               cc_db_res_t *ret_res, hc_err_t *err);
/* Runs several statements without parameters (migrations). Returns 0 or -EIO. */
int cc_db_exec_script(cc_db_t *db, const char *sql, hc_err_t *err);

/* Transactions. begin takes the write lock at once on SQLite (BEGIN IMMEDIATE). */
int cc_db_begin(cc_db_t *db, hc_err_t *err);
int cc_db_commit(cc_db_t *db, hc_err_t *err);
/* Rolls back if a transaction is open; never fails visibly. */
void cc_db_rollback(cc_db_t *db);

void cc_db_res_release(cc_db_res_t *res);
/* Cell (row, col) or NULL; out of range gives NULL. */
const char *cc_db_cell(const cc_db_res_t *res, size_t row, size_t col);
/* Cell as an integer (0 when NULL or not a number). */
int64_t cc_db_cell_int(const cc_db_res_t *res, size_t row, size_t col);

/* Schema migrations (schema.c): brings the database to the latest version. */
int cc_db_migrate(cc_db_t *db, hc_err_t *err);

/* Backend entry points (sqlite.c, pg.c), used by db.c. */
typedef struct cc_db_ops_s {
    int (*exec)(void *conn, const char *sql, const char *const *params, size_t n, cc_db_res_t *res,
                hc_err_t *err);
    int (*script)(void *conn, const char *sql, hc_err_t *err);
    void (*close)(void *conn);
} cc_db_ops_t;

int cc_db_sqlite_open(const char *path, void **ret_conn, const cc_db_ops_t **ret_ops,
                      hc_err_t *err);
int cc_db_pg_open(const char *url, void **ret_conn, const cc_db_ops_t **ret_ops, hc_err_t *err);

#endif
