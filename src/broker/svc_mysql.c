/*
 * mysql (MariaDB): a database d<key> per instance, a user u<key>@'%' per binding with all
 * privileges on that database only. There is no MariaDB client library here, so the SQL goes
 * to the `mariadb` command-line client on stdin (proc.c), the admin password in MYSQL_PWD
 * (never on a command line). Names and passwords are generated hex, checked before use, so
 * the SQL text cannot be injected. Unbind drops the user, then KILL USER ends its sessions.
 */
#include <stdio.h>
#include <string.h>

#include "broker.h"
#include "creds.h"
#include "proc.h"

#define MY_TIMEOUT_MS 60000

static int my_sql(const brk_conf_t *c, const char *sql, hc_err_t *err)
{
    char port[16], *pwd = hc_asprintf("MYSQL_PWD=%s", c->my_password ? c->my_password : "");
    snprintf(port, sizeof(port), "%d", c->my_port);
    const char *argv[] = {
        c->my_client, "--no-defaults", "--protocol=TCP",       "-h", c->my_host, "-P", port, "-u",
        c->my_user,   "--batch",       "--connect-timeout=10", NULL};
    const char *env[] = {pwd, NULL};
    int r = brk_run(argv, env, sql, MY_TIMEOUT_MS, NULL, err);
    free(pwd);
    return r < 0 ? hc_err_wrap(err, "mysql") : 0;
}

static int my_sqlf(const brk_conf_t *c, hc_err_t *err, const char *fmt, ...) HC_PRINTF(3, 4);
static int my_sqlf(const brk_conf_t *c, hc_err_t *err, const char *fmt, ...)
{
    char sql[1024];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(sql, sizeof(sql), fmt, ap);
    va_end(ap);
    hc_assert(n > 0 && (size_t)n < sizeof(sql));
    return my_sql(c, sql, err);
}

static int my_provision(const brk_conf_t *c, brk_inst_t *inst, hc_err_t *err)
{
    char db[BRK_KEY_LEN + 2];
    brk_name(db, 'd', inst->key);
    hc_assert(brk_safe_name(db));
    return my_sqlf(c, err, "CREATE DATABASE IF NOT EXISTS `%s`;\n", db);
}

static int my_deprovision(const brk_conf_t *c, const brk_inst_t *inst, hc_err_t *err)
{
    char db[BRK_KEY_LEN + 2];
    brk_name(db, 'd', inst->key);
    hc_assert(brk_safe_name(db));
    return my_sqlf(c, err, "DROP DATABASE IF EXISTS `%s`;\n", db);
}

static int my_bind(const brk_conf_t *c, const brk_inst_t *inst, const brk_binding_t *b,
                   json_t **ret_creds, hc_err_t *err)
{
    char db[BRK_KEY_LEN + 2], user[BRK_KEY_LEN + 2];
    brk_name(db, 'd', inst->key);
    brk_name(user, 'u', b->key);
    hc_assert(brk_safe_name(db) && brk_safe_name(user) && brk_safe_name(b->password));
    int r = my_sqlf(c, err,
                    "CREATE USER IF NOT EXISTS '%s'@'%%' IDENTIFIED BY '%s';\n"
                    "GRANT ALL PRIVILEGES ON `%s`.* TO '%s'@'%%';\n",
                    user, b->password, db, user);
    if (r == 0)
        *ret_creds = brk_creds_new("mysql", c->my_host, c->my_port, db, user, b->password);
    return r;
}

static int my_unbind(const brk_conf_t *c, const brk_inst_t *inst, const brk_binding_t *b,
                     hc_err_t *err)
{
    char user[BRK_KEY_LEN + 2];
    (void)inst;
    brk_name(user, 'u', b->key);
    hc_assert(brk_safe_name(user));
    /* No new logins first, then end the sessions already open. */
    return my_sqlf(c, err, "DROP USER IF EXISTS '%s'@'%%';\nKILL USER '%s';\n", user, user);
}

const brk_svc_ops_t brk_mysql_ops = {
    .provision = my_provision,
    .deprovision = my_deprovision,
    .bind = my_bind,
    .unbind = my_unbind,
};
