/* The PostgreSQL backend (libpq): `?` placeholders become $N, text in and text out. */
#include <string.h>

#include <libpq-fe.h>

#include "db/db.h"
#include "hc_buf.h"

/* The connection and whether the CC opened a transaction on it (BEGIN .. COMMIT). */
typedef struct pg_s {
    PGconn *c;
    bool in_tx;
} pg_t;

/* Rewrites `?` outside quoted literals as $1, $2, ... into out. */
static void pg_rewrite(const char *sql, hc_buf_t *out)
{
    int n = 0;
    char quote = 0;
    for (const char *p = sql; *p; p++) {
        if (quote) {
            if (*p == quote)
                quote = 0;
            hc_buf_append_byte(out, *p);
        } else if (*p == '\'' || *p == '"') {
            quote = *p;
            hc_buf_append_byte(out, *p);
        } else if (*p == '?') {
            hc_buf_appendf(out, "$%d", ++n);
        } else {
            hc_buf_append_byte(out, *p);
        }
    }
}

static int pg_error(PGresult *pr, PGconn *c, hc_err_t *err)
{
    const char *state = pr ? PQresultErrorField(pr, PG_DIAG_SQLSTATE) : NULL;
    int code = state && strcmp(state, "23505") == 0 ? -EEXIST : -EIO;
    const char *msg = pr ? PQresultErrorMessage(pr) : PQerrorMessage(c);
    size_t len = strlen(msg);
    while (len && (msg[len - 1] == '\n' || msg[len - 1] == ' '))
        len--;
    return hc_err_set(err, code, "postgres: %.*s", (int)len, msg);
}

static int pg_exec(void *conn, const char *sql, const char *const *params, size_t n,
                   cc_db_res_t *res, hc_err_t *err)
{
    pg_t *pg = conn;
    PGconn *c = pg->c;
    hc_buf_t q;
    PGresult *pr = NULL;
    int r;

    memset(res, 0, sizeof(*res));
    hc_buf_init(&q, 0);
    pg_rewrite(sql, &q);
    pr = PQexecParams(c, q.data, (int)n, NULL, params, NULL, NULL, 0);
    ExecStatusType st = PQresultStatus(pr);
    /* The server restarted or the connection broke: reconnect once and retry. Inside a
     * transaction the retry would run outside it, so only when none is open. */
    if (st == PGRES_FATAL_ERROR && PQstatus(c) == CONNECTION_BAD && !pg->in_tx) {
        PQreset(c);
        if (PQstatus(c) == CONNECTION_OK) {
            PQclear(pr);
            pr = PQexecParams(c, q.data, (int)n, NULL, params, NULL, NULL, 0);
            st = PQresultStatus(pr);
        }
    }
    if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
        r = pg_error(pr, c, err);
        goto out;
    }
    res->nrows = (size_t)PQntuples(pr);
    res->ncols = (size_t)PQnfields(pr);
    if (res->nrows && res->ncols) {
        res->cells = hc_calloc(res->nrows * res->ncols, sizeof(char *));
        for (size_t i = 0; i < res->nrows; i++)
            for (size_t j = 0; j < res->ncols; j++)
                if (!PQgetisnull(pr, (int)i, (int)j))
                    res->cells[i * res->ncols + j] = hc_strndup(
                        PQgetvalue(pr, (int)i, (int)j), (size_t)PQgetlength(pr, (int)i, (int)j));
    }
    const char *changes = PQcmdTuples(pr);
    res->changes = changes && *changes ? strtoll(changes, NULL, 10) : 0;
    r = 0;
out:
    PQclear(pr);
    hc_buf_release(&q);
    return r;
}

static int pg_script(void *conn, const char *sql, hc_err_t *err)
{
    pg_t *pg = conn;
    bool begin = strcmp(sql, "BEGIN") == 0;
    /* A broken connection outside a transaction is re-established before a new one starts. */
    if (PQstatus(pg->c) == CONNECTION_BAD && !pg->in_tx)
        PQreset(pg->c);
    PGresult *pr = PQexec(pg->c, sql);
    ExecStatusType st = PQresultStatus(pr);
    int r = 0;
    if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK)
        r = pg_error(pr, pg->c, err);
    PQclear(pr);
    if (begin && r == 0)
        pg->in_tx = true;
    else if (strcmp(sql, "COMMIT") == 0 || strcmp(sql, "ROLLBACK") == 0)
        pg->in_tx = false;
    return r;
}

static void pg_close(void *conn)
{
    pg_t *pg = conn;
    PQfinish(pg->c);
    free(pg);
}

static const cc_db_ops_t pg_ops = {.exec = pg_exec, .script = pg_script, .close = pg_close};

int cc_db_pg_open(const char *url, void **ret_conn, const cc_db_ops_t **ret_ops, hc_err_t *err)
{
    PGconn *c = PQconnectdb(url);
    if (!c || PQstatus(c) != CONNECTION_OK) {
        const char *msg = c ? PQerrorMessage(c) : "out of memory";
        size_t len = strlen(msg);
        while (len && msg[len - 1] == '\n')
            len--;
        hc_err_set(err, -EIO, "connect to postgres: %.*s", (int)len, msg);
        PQfinish(c);
        return -EIO;
    }
    pg_t *pg = hc_calloc(1, sizeof(*pg));
    pg->c = c;
    /* Migrations create tables that may already exist: keep the server's notices quiet. */
    int r = pg_script(pg, "SET client_min_messages = warning", err);
    if (r < 0) {
        pg_close(pg);
        return r;
    }
    *ret_conn = pg;
    *ret_ops = &pg_ops;
    return 0;
}
