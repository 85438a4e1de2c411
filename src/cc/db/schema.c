/*
 * The CC's schema, as an ordered list of migrations written once for SQLite and PostgreSQL
 * (TEXT and BIGINT only, booleans as 0/1, no serial ids: rows are keyed by GUIDs or emails).
 * Each migration runs in its own transaction together with the bump of schema_version, so a
 * crash leaves the database at one version or the next, never between.
 */
#include <stdio.h>

#include "db/db.h"

static const char *const migrations[] = {
    /* 1: users, tokens, apps, routes, events */
    "CREATE TABLE users (email TEXT PRIMARY KEY, pw_hash TEXT NOT NULL,"
    " admin BIGINT NOT NULL DEFAULT 0, created BIGINT NOT NULL);"
    "CREATE TABLE tokens (hash TEXT PRIMARY KEY, email TEXT NOT NULL, expires BIGINT NOT NULL);"
    "CREATE INDEX tokens_email ON tokens (email);"
    "CREATE TABLE apps (guid TEXT PRIMARY KEY, name TEXT NOT NULL, owner TEXT NOT NULL,"
    " framework TEXT, runtime TEXT, command TEXT,"
    " instances BIGINT NOT NULL DEFAULT 1, memory BIGINT NOT NULL DEFAULT 256,"
    " disk BIGINT NOT NULL DEFAULT 2048, fds BIGINT NOT NULL DEFAULT 256,"
    " state TEXT NOT NULL DEFAULT 'STOPPED', uris TEXT NOT NULL DEFAULT '[]',"
    " env TEXT NOT NULL DEFAULT '[]', services TEXT NOT NULL DEFAULT '[]',"
    " package_hash TEXT, package_state TEXT NOT NULL DEFAULT 'PENDING', droplet_hash TEXT,"
    " staged_package TEXT, run_count BIGINT NOT NULL DEFAULT 0,"
    " lock_version BIGINT NOT NULL DEFAULT 1, created BIGINT NOT NULL, updated BIGINT NOT NULL,"
    " UNIQUE (owner, name));"
    "CREATE TABLE routes (uri TEXT PRIMARY KEY, app_guid TEXT NOT NULL);"
    "CREATE INDEX routes_app ON routes (app_guid);"
    "CREATE TABLE events (guid TEXT PRIMARY KEY, app_guid TEXT NOT NULL, email TEXT NOT NULL,"
    " ts BIGINT NOT NULL, action TEXT NOT NULL, detail TEXT);"
    "CREATE INDEX events_app ON events (app_guid, ts);",
    /* 2: services */
    "CREATE TABLE service_offerings (label TEXT PRIMARY KEY, body TEXT NOT NULL,"
    " updated BIGINT NOT NULL);"
    "CREATE TABLE service_instances (guid TEXT PRIMARY KEY, name TEXT NOT NULL,"
    " owner TEXT NOT NULL, label TEXT NOT NULL, plan TEXT NOT NULL, credentials TEXT,"
    " created BIGINT NOT NULL, UNIQUE (owner, name));",
    /* 3: bindings of service instances to apps, with the broker's credentials */
    "CREATE TABLE service_bindings (guid TEXT PRIMARY KEY, app_guid TEXT NOT NULL,"
    " instance_guid TEXT NOT NULL, credentials TEXT, created BIGINT NOT NULL,"
    " UNIQUE (app_guid, instance_guid));",
    /* 4: brokers registered through the API (offerings with a NULL broker come from the
     * configured services.broker_url) and user-provided instances' extra fields */
    "CREATE TABLE service_brokers (guid TEXT PRIMARY KEY, name TEXT NOT NULL UNIQUE,"
    " url TEXT NOT NULL, username TEXT NOT NULL, password TEXT NOT NULL,"
    " created BIGINT NOT NULL);"
    "ALTER TABLE service_offerings ADD COLUMN broker TEXT;"
    "ALTER TABLE service_instances ADD COLUMN tags TEXT;"
    "ALTER TABLE service_instances ADD COLUMN syslog_drain_url TEXT;"
    "ALTER TABLE service_instances ADD COLUMN route_service_url TEXT;",
    /* 5: per-app health checks (when the DEA calls an instance RUNNING) */
    ("ALTER TABLE apps ADD COLUMN health_check_type TEXT NOT NULL DEFAULT 'port';"
     "ALTER TABLE apps ADD COLUMN health_check_http_endpoint TEXT NOT NULL DEFAULT '/';"),
    /* 6: release history (release.h): what each deploy, env change or rollback made current */
    "CREATE TABLE releases (app_guid TEXT NOT NULL, version BIGINT NOT NULL,"
    " droplet_hash TEXT, package_hash TEXT, env TEXT NOT NULL DEFAULT '[]', command TEXT,"
    " created BIGINT NOT NULL, email TEXT NOT NULL, description TEXT NOT NULL,"
    " PRIMARY KEY (app_guid, version));",
};

int cc_db_migrate(cc_db_t *db, hc_err_t *err)
{
    cc_db_res_t res = {0};
    int64_t version = 0;
    int r;

    r = cc_db_exec_script(db, "CREATE TABLE IF NOT EXISTS schema_version (version BIGINT NOT NULL)",
                          err);
    if (r < 0)
        return r;
    r = cc_db_begin(db, err);
    if (r < 0)
        return r;
    r = cc_db_exec(db, "SELECT version FROM schema_version", CC_P0, &res, err);
    if (r < 0)
        goto fail;
    if (res.nrows == 0) {
        r = cc_db_exec(db, "INSERT INTO schema_version (version) VALUES (0)", CC_P0, NULL, err);
        if (r < 0)
            goto fail;
    } else {
        version = cc_db_cell_int(&res, 0, 0);
    }
    cc_db_res_release(&res);
    r = cc_db_commit(db, err);
    if (r < 0)
        return r;

    for (size_t i = (size_t)version; i < HC_ARRAY_SIZE(migrations); i++) {
        char v[24];
        snprintf(v, sizeof(v), "%zu", i + 1);
        r = cc_db_begin(db, err);
        if (r < 0)
            return r;
        r = cc_db_exec_script(db, migrations[i], err);
        if (r == 0)
            r = cc_db_exec(db, "UPDATE schema_version SET version = ?", CC_P(v), NULL, err);
        if (r < 0) {
            cc_db_rollback(db);
            return hc_err_wrap(err, "migration %zu", i + 1);
        }
        r = cc_db_commit(db, err);
        if (r < 0)
            return r;
    }
    return 0;
fail:
    cc_db_res_release(&res);
    cc_db_rollback(db);
    return r;
}
