/*
 * postgresql: a database d<key> per instance owned by a NOLOGIN role o<key>, CONNECT revoked
 * from PUBLIC; a LOGIN role u<key> per binding, member of o<key>, whose sessions start with
 * SET ROLE o<key> so every binding of the instance sees the same objects. Unbind makes the
 * role NOLOGIN, terminates its sessions and drops it. Runs on a worker thread (libpq,
 * blocking). Every name and password is generated hex, so SQL text cannot be injected.
 */
#include <libpq-fe.h>
#include <stdio.h>
#include <string.h>

#include "broker.h"
#include "creds.h"

static int pg_connect(const brk_conf_t *c, const char *dbname, PGconn **ret, hc_err_t *err)
{
    char port[16];
    snprintf(port, sizeof(port), "%d", c->pg_port);
    const char *keys[] = {"host",    "port", "user", "password", "dbname", "connect_timeout",
                          "options", NULL};
    const char *vals[] = {
        c->pg_host, port, c->pg_user, c->pg_password, dbname, "10", "-c statement_timeout=60000",
        NULL};
    PGconn *conn = PQconnectdbParams(keys, vals, 0);
    if (!conn || PQstatus(conn) != CONNECTION_OK) {
        if (conn) { /* libpq ends its messages with a newline */
            char *m = PQerrorMessage(conn);
            size_t n = strlen(m);
            while (n > 0 && (m[n - 1] == '\n' || m[n - 1] == ' '))
                m[--n] = '\0';
        }
        int r =
            brk_err_set(err, -EIO, "postgresql: %s", conn ? PQerrorMessage(conn) : "out of memory");
        PQfinish(conn);
        return r;
    }
    *ret = conn;
    return 0;
}

/* Runs one statement; *ret_rows (optional) gets the number of rows returned. */
static int pg_exec(PGconn *conn, const char *sql, int *ret_rows, hc_err_t *err)
{
    PGresult *res = PQexec(conn, sql);
    ExecStatusType st = PQresultStatus(res);
    int r = 0;
    if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
        char *msg = PQresultErrorMessage(res);
        size_t n = strlen(msg);
        while (n > 0 && (msg[n - 1] == '\n' || msg[n - 1] == ' '))
            n--;
        r = brk_err_set(err, -EIO, "postgresql: %.*s", (int)n, msg);
    } else if (ret_rows) {
        *ret_rows = PQntuples(res);
    }
    PQclear(res);
    return r;
}

static int pg_execf(PGconn *conn, int *ret_rows, hc_err_t *err, const char *fmt, ...)
    HC_PRINTF(4, 5);
static int pg_execf(PGconn *conn, int *ret_rows, hc_err_t *err, const char *fmt, ...)
{
    char sql[1024];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(sql, sizeof(sql), fmt, ap);
    va_end(ap);
    hc_assert(n > 0 && (size_t)n < sizeof(sql));
    return pg_exec(conn, sql, ret_rows, err);
}

static int pg_provision(const brk_conf_t *c, brk_inst_t *inst, hc_err_t *err)
{
    char db[BRK_KEY_LEN + 2], owner[BRK_KEY_LEN + 2];
    PGconn *conn = NULL;
    int rows = 0, r;

    brk_name(db, 'd', inst->key);
    brk_name(owner, 'o', inst->key);
    hc_assert(brk_safe_name(db) && brk_safe_name(owner));
    if ((r = pg_connect(c, "postgres", &conn, err)) < 0)
        return r;
    if ((r = pg_execf(conn, &rows, err, "SELECT 1 FROM pg_roles WHERE rolname = '%s'", owner)) < 0)
        goto out;
    if (rows == 0 && (r = pg_execf(conn, NULL, err, "CREATE ROLE %s NOLOGIN", owner)) < 0)
        goto out;
    if ((r = pg_execf(conn, &rows, err, "SELECT 1 FROM pg_database WHERE datname = '%s'", db)) < 0)
        goto out;
    if (rows == 0 && (r = pg_execf(conn, NULL, err, "CREATE DATABASE %s OWNER %s", db, owner)) < 0)
        goto out;
    r = pg_execf(conn, NULL, err,
                 "REVOKE ALL ON DATABASE %s FROM PUBLIC; "
                 "GRANT ALL ON DATABASE %s TO %s",
                 db, db, owner);
out:
    PQfinish(conn);
    return r;
}

static int pg_deprovision(const brk_conf_t *c, const brk_inst_t *inst, hc_err_t *err)
{
    char db[BRK_KEY_LEN + 2], owner[BRK_KEY_LEN + 2];
    PGconn *conn = NULL;
    int r;

    brk_name(db, 'd', inst->key);
    brk_name(owner, 'o', inst->key);
    if ((r = pg_connect(c, "postgres", &conn, err)) < 0)
        return r;
    if ((r = pg_execf(conn, NULL, err, "DROP DATABASE IF EXISTS %s WITH (FORCE)", db)) == 0)
        r = pg_execf(conn, NULL, err, "DROP ROLE IF EXISTS %s", owner);
    PQfinish(conn);
    return r;
}

static int pg_bind(const brk_conf_t *c, const brk_inst_t *inst, const brk_binding_t *b,
                   json_t **ret_creds, hc_err_t *err)
{
    char db[BRK_KEY_LEN + 2], owner[BRK_KEY_LEN + 2], user[BRK_KEY_LEN + 2];
    PGconn *conn = NULL;
    int rows = 0, r;

    brk_name(db, 'd', inst->key);
    brk_name(owner, 'o', inst->key);
    brk_name(user, 'u', b->key);
    hc_assert(brk_safe_name(user) && brk_safe_name(b->password));
    if ((r = pg_connect(c, "postgres", &conn, err)) < 0)
        return r;
    if ((r = pg_execf(conn, &rows, err, "SELECT 1 FROM pg_roles WHERE rolname = '%s'", user)) < 0)
        goto out;
    if (rows == 0 && (r = pg_execf(conn, NULL, err, "CREATE ROLE %s LOGIN PASSWORD '%s' IN ROLE %s",
                                   user, b->password, owner)) < 0)
        goto out;
    if ((r = pg_execf(conn, NULL, err, "ALTER ROLE %s SET role = '%s'", user, owner)) < 0)
        goto out;
    *ret_creds = brk_creds_new("postgres", c->pg_host, c->pg_port, db, user, b->password);
out:
    PQfinish(conn);
    return r;
}

static int pg_unbind(const brk_conf_t *c, const brk_inst_t *inst, const brk_binding_t *b,
                     hc_err_t *err)
{
    char db[BRK_KEY_LEN + 2], owner[BRK_KEY_LEN + 2], user[BRK_KEY_LEN + 2];
    PGconn *conn = NULL;
    int rows = 0, r;

    brk_name(db, 'd', inst->key);
    brk_name(owner, 'o', inst->key);
    brk_name(user, 'u', b->key);
    /* In the instance's database, to move what the role owns there; if that database is
     * gone (dropped outside the broker), from "postgres", where the role owns nothing. */
    hc_err_t cerr = {0};
    bool in_db = pg_connect(c, db, &conn, &cerr) == 0;
    if (!in_db && (r = pg_connect(c, "postgres", &conn, err)) < 0)
        return r;
    if ((r = pg_execf(conn, &rows, err, "SELECT 1 FROM pg_roles WHERE rolname = '%s'", user)) < 0 ||
        rows == 0)
        goto out;
    /* No new sessions, then end the open ones, then move anything it owns to the owner. */
    if ((r = pg_execf(conn, NULL, err, "ALTER ROLE %s NOLOGIN", user)) < 0 ||
        (r = pg_execf(conn, NULL, err,
                      "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                      " WHERE usename = '%s'",
                      user)) < 0 ||
        (in_db && (r = pg_execf(conn, NULL, err, "REASSIGN OWNED BY %s TO %s; DROP OWNED BY %s",
                                user, owner, user)) < 0))
        goto out;
    r = pg_execf(conn, NULL, err, "DROP ROLE IF EXISTS %s", user);
out:
    PQfinish(conn);
    return r;
}

const brk_svc_ops_t brk_pg_ops = {
    .provision = pg_provision,
    .deprovision = pg_deprovision,
    .bind = pg_bind,
    .unbind = pg_unbind,
};
