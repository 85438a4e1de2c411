/*
 * Unit tests for src/hearthd/services.c: which backing services are planned, with which
 * command lines, environment and files, using stand-in executables in a temp dir.
 */
#include <fcntl.h>
#include <ftw.h>
#include <pwd.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "hc_fs.h"
#include "hd.h"

typedef struct fx_s {
    char top[64];
    char *bin, *data;
    hd_conf_t conf;
    hd_t hd;
} fx_t;

static void fake_exe(const char *dir, const char *name)
{
    char *p = hc_asprintf("%s/%s", dir, name);
    hc_err_t err;
    assert_int_equal(hc_atomic_write_file(AT_FDCWD, p, "#!/bin/sh\nexit 0\n", 17, 0755, &err), 0);
    free(p);
}

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)ftw;
    return flag == FTW_DP ? rmdir(path) : unlink(path);
}

static int setup(void **state)
{
    fx_t *fx = hc_calloc(1, sizeof(*fx));
    snprintf(fx->top, sizeof(fx->top), "/tmp/hd-unit.XXXXXX");
    assert_non_null(mkdtemp(fx->top));
    chmod(fx->top, 0711); /* as root, postgres must reach DATA */
    fx->bin = hc_asprintf("%s/bin", fx->top);
    fx->data = hc_asprintf("%s/data", fx->top);
    hc_err_t err;
    assert_int_equal(hc_mkdir_p(AT_FDCWD, fx->bin, 0755, &err), 0);
    static const char *const exes[] = {
        "postgres",     "initdb",          "mariadbd", "mariadb-install-db",
        "redis-server", "rabbitmq-server", "epmd"};
    for (size_t i = 0; i < HC_ARRAY_SIZE(exes); i++)
        fake_exe(fx->bin, exes[i]);
    fx->conf.data_dir = fx->data;
    fx->conf.services = hc_calloc(5, sizeof(char *));
    static const char *const names[] = {"postgresql", "mysql", "redis", "rabbitmq"};
    for (size_t i = 0; i < 4; i++)
        fx->conf.services[i] = (char *)names[i];
    fx->conf.pg_bin_dir = fx->bin;
    fx->conf.mariadbd = hc_asprintf("%s/mariadbd", fx->bin);
    fx->conf.mariadb_install_db = hc_asprintf("%s/mariadb-install-db", fx->bin);
    fx->conf.redis_server = hc_asprintf("%s/redis-server", fx->bin);
    fx->conf.rabbitmq_server = hc_asprintf("%s/rabbitmq-server", fx->bin);
    fx->conf.epmd = hc_asprintf("%s/epmd", fx->bin);
    fx->hd.conf = &fx->conf;
    fx->hd.logs_dir = hc_asprintf("%s/logs", fx->data);
    fx->hd.children = hc_calloc(HD_MAX_CHILDREN, sizeof(*fx->hd.children));
    hd_ports_init(&fx->hd.ports, 30000);
    snprintf(fx->hd.secrets.services_password, sizeof(fx->hd.secrets.services_password),
             "0123456789abcdef0123456789abcdef");
    *state = fx;
    return 0;
}

static int teardown(void **state)
{
    fx_t *fx = *state;
    hd_components_release(&fx->hd);
    free(fx->hd.logs_dir);
    free(fx->conf.services);
    free(fx->conf.mariadbd);
    free(fx->conf.mariadb_install_db);
    free(fx->conf.redis_server);
    free(fx->conf.rabbitmq_server);
    free(fx->conf.epmd);
    nftw(fx->top, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
    free(fx->bin);
    free(fx->data);
    free(fx);
    return 0;
}

static hd_child_t *child(hd_t *hd, const char *name)
{
    for (size_t i = 0; i < hd->nchildren; i++)
        if (strcmp(hd->children[i].name, name) == 0)
            return &hd->children[i];
    return NULL;
}

static bool has_arg(char *const *argv, const char *want)
{
    for (; *argv; argv++)
        if (strcmp(*argv, want) == 0)
            return true;
    return false;
}

static bool has_env(char *const *env, const char *want)
{
    for (; env && *env; env++)
        if (strcmp(*env, want) == 0)
            return true;
    return false;
}

static char *slurp(const char *path)
{
    char *text = NULL;
    size_t len = 0;
    hc_err_t err;
    assert_int_equal(hc_read_file(AT_FDCWD, path, 65536, &text, &len, &err), 0);
    return text;
}

static void test_every_service_planned_with_its_ports_and_files(void **state)
{
    fx_t *fx = *state;
    hd_services_plan(&fx->hd);
    assert_true(fx->hd.svc.pg && fx->hd.svc.mysql && fx->hd.svc.redis && fx->hd.svc.rabbitmq);
    /* Redis is the broker's to run: no child for it. Start order: pg, mysql, epmd, rabbitmq. */
    assert_int_equal(fx->hd.nchildren, 4);
    assert_string_equal(fx->hd.children[0].name, "postgresql");
    assert_string_equal(fx->hd.children[1].name, "mysql");
    assert_string_equal(fx->hd.children[2].name, "epmd");
    assert_string_equal(fx->hd.children[3].name, "rabbitmq");
    for (size_t i = 0; i < fx->hd.nchildren; i++)
        assert_true(fx->hd.children[i].service);
    assert_true(child(&fx->hd, "epmd")->stop_last);

    hd_child_t *pg = child(&fx->hd, "postgresql");
    assert_true(has_arg(pg->argv, "30011"));
    assert_true(has_arg(pg->argv, "listen_addresses=127.0.0.1"));
    hc_autofree char *pgdata = hc_asprintf("%s/services/postgresql/data", fx->data);
    hc_autofree char *pginit = hc_asprintf("--pgdata=%s.init", pgdata);
    assert_string_equal(pg->init_done, pgdata);
    assert_true(has_arg(pg->init_argv, pginit));
    if (geteuid() == 0 && getpwnam("postgres")) {
        /* postgres refuses root: it runs through setpriv as its own user */
        assert_string_equal(pg->argv[0], "/usr/bin/setpriv");
        assert_string_equal(pg->init_argv[0], "/usr/bin/setpriv");
    } else {
        hc_autofree char *exe = hc_asprintf("%s/postgres", fx->bin);
        assert_string_equal(pg->argv[0], exe);
    }
    hc_autofree char *pwpath = hc_asprintf("%s/services/postgresql/pwfile", fx->data);
    hc_autofree char *pw = slurp(pwpath);
    assert_string_equal(pw, fx->hd.secrets.services_password);

    hd_child_t *my = child(&fx->hd, "mysql");
    assert_true(has_arg(my->argv, "--port=30012"));
    assert_true(has_arg(my->argv, "--bind-address=127.0.0.1"));
    hc_autofree char *sqlpath = hc_asprintf("%s/services/mysql/init.sql", fx->data);
    hc_autofree char *sql = slurp(sqlpath);
    assert_non_null(strstr(sql, "IDENTIFIED BY '0123456789abcdef0123456789abcdef'"));
    assert_non_null(strstr(sql, "DELETE FROM mysql.global_priv WHERE User = ''"));

    hd_child_t *rmq = child(&fx->hd, "rabbitmq");
    assert_true(has_env(rmq->env, "RABBITMQ_NODENAME=hearth30013@localhost"));
    assert_true(has_env(rmq->env, "ERL_EPMD_PORT=30015"));
    assert_true(has_env(rmq->env, "RABBITMQ_DIST_PORT=30016"));
    assert_true(has_env(rmq->env, "RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS=-start_epmd false"));
    hc_autofree char *mnesia =
        hc_asprintf("RABBITMQ_MNESIA_BASE=%s/services/rabbitmq/mnesia", fx->data);
    assert_true(has_env(rmq->env, mnesia));
    assert_true(has_arg(child(&fx->hd, "epmd")->argv, "30015"));
    hc_autofree char *confpath = hc_asprintf("%s/services/rabbitmq/rabbitmq.conf", fx->data);
    hc_autofree char *conf = slurp(confpath);
    assert_non_null(strstr(conf, "listeners.tcp.default = 127.0.0.1:30013\n"));
    assert_non_null(strstr(conf, "management.tcp.port = 30014\n"));
}

static void test_missing_binaries_are_left_out(void **state)
{
    fx_t *fx = *state;
    free(fx->conf.mariadbd);
    fx->conf.mariadbd = hc_asprintf("%s/nowhere/mariadbd", fx->top);
    free(fx->conf.epmd);
    fx->conf.epmd = hc_strdup("hd-unit-no-such-epmd");
    hd_services_plan(&fx->hd);
    assert_true(fx->hd.svc.pg);
    assert_false(fx->hd.svc.mysql);
    assert_true(fx->hd.svc.redis);
    assert_false(fx->hd.svc.rabbitmq);
    assert_int_equal(fx->hd.nchildren, 1);
    assert_string_equal(fx->hd.children[0].name, "postgresql");
}

static void test_only_the_services_asked_for(void **state)
{
    fx_t *fx = *state;
    fx->conf.services[0] = "redis";
    fx->conf.services[1] = NULL;
    hd_services_plan(&fx->hd);
    assert_false(fx->hd.svc.pg || fx->hd.svc.mysql || fx->hd.svc.rabbitmq);
    assert_true(fx->hd.svc.redis);
    assert_int_equal(fx->hd.nchildren, 0);
}

static void test_postgres_left_out_when_its_user_cannot_reach_data(void **state)
{
    fx_t *fx = *state;
    if (geteuid() != 0 || !getpwnam("postgres")) {
        skip();
        return;
    }
    chmod(fx->top, 0700);
    hd_services_plan(&fx->hd);
    assert_false(fx->hd.svc.pg);
    /* MariaDB then runs as root (it drops to --user itself, root included) */
    assert_true(fx->hd.svc.mysql);
    assert_true(has_arg(child(&fx->hd, "mysql")->argv, "--user=root"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_every_service_planned_with_its_ports_and_files, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_missing_binaries_are_left_out, setup, teardown),
        cmocka_unit_test_setup_teardown(test_only_the_services_asked_for, setup, teardown),
        cmocka_unit_test_setup_teardown(test_postgres_left_out_when_its_user_cannot_reach_data,
                                        setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
