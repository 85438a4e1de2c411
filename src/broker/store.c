/* broker.db: the durable copy of the instance and binding tables, secrets sealed (seal.h). */
#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "store.h"

static const char schema[] =
    "PRAGMA journal_mode=WAL;"
    "PRAGMA synchronous=FULL;"
    "CREATE TABLE IF NOT EXISTS instances (id TEXT PRIMARY KEY, svc INTEGER NOT NULL,"
    " plan INTEGER NOT NULL, org TEXT, space TEXT, params TEXT NOT NULL, state TEXT NOT NULL,"
    " descr TEXT, key TEXT NOT NULL, secret TEXT NOT NULL, port INTEGER NOT NULL);"
    "CREATE TABLE IF NOT EXISTS bindings (id TEXT PRIMARY KEY, inst_id TEXT NOT NULL,"
    " app_guid TEXT, params TEXT NOT NULL, key TEXT NOT NULL, password TEXT NOT NULL,"
    " creds TEXT NOT NULL);";

static int db_error(sqlite3 *db, hc_err_t *err, const char *what)
{
    return brk_err_set(err, -EIO, "%s: %s", what, sqlite3_errmsg(db));
}

int brk_store_open(const char *path, sqlite3 **ret_db, hc_err_t *err)
{
    sqlite3 *db = NULL;
    int rc = sqlite3_open_v2(
        path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX, NULL);
    if (rc != SQLITE_OK) {
        int r = brk_err_set(err, -EIO, "%s: %s", path, db ? sqlite3_errmsg(db) : "out of memory");
        sqlite3_close(db);
        return r;
    }
    sqlite3_busy_timeout(db, 5000);
    char *msg = NULL;
    if (sqlite3_exec(db, schema, NULL, NULL, &msg) != SQLITE_OK) {
        int r = brk_err_set(err, -EIO, "%s: %s", path, msg ? msg : "schema failed");
        sqlite3_free(msg);
        sqlite3_close(db);
        return r;
    }
    *ret_db = db;
    return 0;
}

static char *col_dup(sqlite3_stmt *st, int i)
{
    const unsigned char *s = sqlite3_column_text(st, i);
    return s ? hc_strdup((const char *)s) : NULL;
}

static void col_copy(sqlite3_stmt *st, int i, char *out, size_t size)
{
    const unsigned char *s = sqlite3_column_text(st, i);
    snprintf(out, size, "%s", s ? (const char *)s : "");
}

/* Column i opened with b's key (malloc'd into *out); an error names the row's table and id. */
static int col_open_dup(const brk_t *b, sqlite3_stmt *st, int i, char **out, const char *what,
                        hc_err_t *err)
{
    const unsigned char *s = sqlite3_column_text(st, i);
    if (brk_unseal(b->seal_key, s ? (const char *)s : "", out, err) < 0)
        return hc_err_wrap(err, "broker.db: %s %s", what, sqlite3_column_text(st, 0));
    return 0;
}

/* The same into out (size bytes); the opened copy is wiped. */
static int col_open(const brk_t *b, sqlite3_stmt *st, int i, char *out, size_t size,
                    const char *what, hc_err_t *err)
{
    char *plain = NULL;
    int r = col_open_dup(b, st, i, &plain, what, err);
    if (r < 0)
        return r;
    snprintf(out, size, "%s", plain);
    sodium_memzero(plain, strlen(plain));
    free(plain);
    return 0;
}

static int load_insts(brk_t *b, hc_err_t *err)
{
    sqlite3_stmt *st = NULL;
    int r = 0, rc;
    if (sqlite3_prepare_v2(b->db,
                           "SELECT id, svc, plan, org, space, params, state, descr, key, secret,"
                           " port FROM instances",
                           -1, &st, NULL) != SQLITE_OK)
        return db_error(b->db, err, "load instances");
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        int svc = sqlite3_column_int(st, 1), plan = sqlite3_column_int(st, 2);
        int state = brk_state_parse((const char *)sqlite3_column_text(st, 6));
        char secret[BRK_PASS_LEN + 1];
        if ((r = col_open(b, st, 9, secret, sizeof(secret), "instance", err)) < 0)
            goto out;
        if (svc < 0 || svc >= BRK_SVC_COUNT || plan < 0 ||
            (size_t)plan >= brk_service(svc)->num_plans || state < 0) {
            r = hc_err_set(err, -EINVAL, "broker.db: instance %s is corrupt",
                           sqlite3_column_text(st, 0));
            goto out;
        }
        brk_inst_t *i = hc_calloc(1, sizeof(*i));
        i->id = col_dup(st, 0);
        i->svc = svc;
        i->plan = plan;
        i->org = col_dup(st, 3);
        i->space = col_dup(st, 4);
        i->params = col_dup(st, 5);
        i->state = (brk_state_t)state;
        i->descr = col_dup(st, 7);
        col_copy(st, 8, i->key, sizeof(i->key));
        memcpy(i->secret, secret, sizeof(i->secret));
        sodium_memzero(secret, sizeof(secret));
        i->port = sqlite3_column_int(st, 10);
        brk_inst_add(b, i);
    }
    if (rc != SQLITE_DONE)
        r = db_error(b->db, err, "load instances");
out:
    sqlite3_finalize(st);
    return r;
}

static int load_bindings(brk_t *b, hc_err_t *err)
{
    sqlite3_stmt *st = NULL;
    int rc, r = 0;
    if (sqlite3_prepare_v2(b->db,
                           "SELECT id, inst_id, app_guid, params, key, password, creds"
                           " FROM bindings",
                           -1, &st, NULL) != SQLITE_OK)
        return db_error(b->db, err, "load bindings");
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        char password[BRK_PASS_LEN + 1], *creds = NULL;
        if ((r = col_open(b, st, 5, password, sizeof(password), "binding", err)) < 0 ||
            (r = col_open_dup(b, st, 6, &creds, "binding", err)) < 0)
            goto out;
        brk_binding_t *bd = hc_calloc(1, sizeof(*bd));
        bd->id = col_dup(st, 0);
        bd->inst_id = col_dup(st, 1);
        bd->app_guid = col_dup(st, 2);
        bd->params = col_dup(st, 3);
        col_copy(st, 4, bd->key, sizeof(bd->key));
        memcpy(bd->password, password, sizeof(bd->password));
        sodium_memzero(password, sizeof(password));
        bd->creds = creds;
        if (!*bd->creds) {
            free(bd->creds);
            bd->creds = NULL; /* a bind that did not finish */
        }
        brk_binding_add(b, bd);
    }
    if (rc != SQLITE_DONE)
        r = db_error(b->db, err, "load bindings");
out:
    sqlite3_finalize(st);
    return r;
}

int brk_store_load(brk_t *b, hc_err_t *err)
{
    int r = load_insts(b, err);
    return r < 0 ? r : load_bindings(b, err);
}

static void bind_text(sqlite3_stmt *st, int i, const char *s)
{
    if (s)
        sqlite3_bind_text(st, i, s, -1, SQLITE_TRANSIENT);
    else
        sqlite3_bind_null(st, i);
}

/* Binds plain sealed with b's key (the statement frees it). */
static void bind_sealed(const brk_t *b, sqlite3_stmt *st, int i, const char *plain)
{
    sqlite3_bind_text(st, i, brk_seal(b->seal_key, plain), -1, free);
}

static int step_once(sqlite3 *db, sqlite3_stmt *st, hc_err_t *err, const char *what)
{
    int r = sqlite3_step(st) == SQLITE_DONE ? 0 : db_error(db, err, what);
    sqlite3_finalize(st);
    return r;
}

int brk_store_put_inst(const brk_t *b, const brk_inst_t *i, hc_err_t *err)
{
    sqlite3 *db = b->db;
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(db,
                           "INSERT OR REPLACE INTO instances (id, svc, plan, org, space, params,"
                           " state, descr, key, secret, port) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
                           -1, &st, NULL) != SQLITE_OK)
        return db_error(db, err, "save instance");
    bind_text(st, 1, i->id);
    sqlite3_bind_int(st, 2, i->svc);
    sqlite3_bind_int(st, 3, i->plan);
    bind_text(st, 4, i->org);
    bind_text(st, 5, i->space);
    bind_text(st, 6, i->params ? i->params : "{}");
    bind_text(st, 7, brk_state_name(i->state));
    bind_text(st, 8, i->descr);
    bind_text(st, 9, i->key);
    bind_sealed(b, st, 10, i->secret);
    sqlite3_bind_int(st, 11, i->port);
    return step_once(db, st, err, "save instance");
}

static int del_by_id(sqlite3 *db, const char *sql, const char *id, hc_err_t *err)
{
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
        return db_error(db, err, "delete");
    bind_text(st, 1, id);
    return step_once(db, st, err, "delete");
}

int brk_store_del_inst(sqlite3 *db, const char *id, hc_err_t *err)
{
    int r = del_by_id(db, "DELETE FROM bindings WHERE inst_id = ?", id, err);
    return r < 0 ? r : del_by_id(db, "DELETE FROM instances WHERE id = ?", id, err);
}

int brk_store_put_binding(const brk_t *b, const brk_binding_t *bd, hc_err_t *err)
{
    sqlite3 *db = b->db;
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(db,
                           "INSERT OR REPLACE INTO bindings (id, inst_id, app_guid, params, key,"
                           " password, creds) VALUES (?,?,?,?,?,?,?)",
                           -1, &st, NULL) != SQLITE_OK)
        return db_error(db, err, "save binding");
    bind_text(st, 1, bd->id);
    bind_text(st, 2, bd->inst_id);
    bind_text(st, 3, bd->app_guid);
    bind_text(st, 4, bd->params ? bd->params : "{}");
    bind_text(st, 5, bd->key);
    bind_sealed(b, st, 6, bd->password);
    if (bd->creds)
        bind_sealed(b, st, 7, bd->creds);
    else
        bind_text(st, 7, ""); /* not finished */
    return step_once(db, st, err, "save binding");
}

int brk_store_del_binding(sqlite3 *db, const char *id, hc_err_t *err)
{
    return del_by_id(db, "DELETE FROM bindings WHERE id = ?", id, err);
}
