/*
 * Unit tests for src/dea/msg.c: start-message parsing (defaults, bad input refused), the
 * CF environment (VCAP_APPLICATION, VCAP_SERVICES, user env wins), router.register and
 * droplet.exited shapes, staging_info.yml start commands, stop filters, snapshot contents.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "dea.h"
#include "guard.h"

#define SHA "0123456789abcdef0123456789abcdef01234567"
#define GOOD                                                                                       \
    "{\"droplet\":\"app-1\",\"name\":\"web\",\"sha1\":\"" SHA                                      \
    "\",\"executableUri\":\"http://x/d\","                                                         \
    "\"index\":2,\"version\":\"v1\",\"uris\":[\"a.test\"],\"limits\":{\"mem\":128},"               \
    "\"env\":[\"A=1\",\"PORT=9\"],\"services\":[{\"name\":\"db\",\"label\":\"pg\","                \
    "\"credentials\":{\"u\":\"x\"}}],\"users\":[\"u@x\"]}"

static int parse(const char *s, dea_start_t *st)
{
    hc_err_t err;
    return dea_start_parse(s, strlen(s), st, &err);
}

static void test_parse_good(void **state)
{
    (void)state;
    dea_start_t s;
    assert_int_equal(parse(GOOD, &s), 0);
    assert_string_equal(s.droplet, "app-1");
    assert_int_equal(s.index, 2);
    assert_int_equal(s.mem_mb, 128);
    assert_int_equal(s.disk_mb, 256); /* v1 defaults */
    assert_int_equal(s.fds, 1024);
    assert_string_equal(s.partition, "default");
    assert_int_equal(json_array_size(s.uris), 1);
    assert_int_equal(s.health, DEA_HEALTH_PORT);
    assert_string_equal(s.health_endpoint, "/");
    dea_start_release(&s);
}

#define START_MIN "{\"droplet\":\"a\",\"sha1\":\"" SHA "\",\"executableUri\":\"u\","

/* health_check_type and its endpoint; CF's "none" is "process". */
static void test_parse_health_check(void **state)
{
    (void)state;
    dea_start_t s;
    assert_int_equal(
        parse(START_MIN
              "\"health_check_type\":\"http\",\"health_check_http_endpoint\":\"/hz?a=1\"}",
              &s),
        0);
    assert_int_equal(s.health, DEA_HEALTH_HTTP);
    assert_string_equal(s.health_endpoint, "/hz?a=1");
    dea_start_release(&s);
    assert_int_equal(parse(START_MIN "\"health_check_type\":\"none\"}", &s), 0);
    assert_int_equal(s.health, DEA_HEALTH_PROCESS);
    dea_start_release(&s);
    assert_int_equal(parse(START_MIN "\"health_check_type\":\"process\"}", &s), 0);
    assert_int_equal(s.health, DEA_HEALTH_PROCESS);
    dea_start_release(&s);
    const char *bad[] = {
        START_MIN "\"health_check_type\":\"tcp\"}",
        START_MIN "\"health_check_type\":7}",
        START_MIN "\"health_check_http_endpoint\":\"hz\"}",
        START_MIN "\"health_check_http_endpoint\":\"/a b\"}",
        START_MIN "\"health_check_http_endpoint\":\"/a\\r\\nX: y\"}",
        START_MIN "\"health_check_http_endpoint\":\"\"}",
    };
    for (size_t i = 0; i < HC_ARRAY_SIZE(bad); i++)
        assert_int_equal(parse(bad[i], &s), -EINVAL);
}

static void test_parse_bad(void **state)
{
    (void)state;
    dea_start_t s;
    const char *bad[] = {
        "",
        "[]",
        "{\"droplet\":\"a\"}",
        "{\"droplet\":\"a\",\"sha1\":\"xyz\",\"executableUri\":\"u\"}",
        "{\"droplet\":\"a/../b\",\"sha1\":\"" SHA "\",\"executableUri\":\"u\"}",
        "{\"droplet\":\"a\",\"sha1\":\"" SHA "\",\"executableUri\":\"u\",\"uris\":[1]}",
        "{\"droplet\":\"a\",\"sha1\":\"" SHA "\",\"executableUri\":\"u\",\"limits\":{\"mem\":-1}}",
        "{\"droplet\":\"a\",\"sha1\":\"" SHA "\",\"executableUri\":\"u\",\"index\":\"x\"}",
    };
    for (size_t i = 0; i < HC_ARRAY_SIZE(bad); i++)
        assert_int_equal(parse(bad[i], &s), -EINVAL);
}

static void make_inst(dea_inst_t *in, dea_t *dea, dea_conf_t *conf)
{
    memset(in, 0, sizeof(*in));
    memset(dea, 0, sizeof(*dea));
    memset(conf, 0, sizeof(*conf));
    conf->local_ip = "10.0.0.5";
    conf->stack = "lucid64";
    conf->max_memory_mb = 1000;
    conf->max_disk_mb = 5000;
    conf->max_staging = 2;
    dea->conf = conf;
    snprintf(dea->id, sizeof(dea->id), "dea1");
    in->dea = dea;
    snprintf(in->id, sizeof(in->id), "inst1");
    in->host_port = 61001;
    in->container_port = 8080;
    in->state = DEA_RUNNING;
    assert_int_equal(parse(GOOD, &in->s), 0);
}

static const char *env_get(json_t *env, const char *k)
{
    const char *found = NULL;
    size_t i, n = strlen(k);
    json_t *v;
    json_array_foreach(env, i, v)
    {
        const char *s = json_string_value(v);
        if (strncmp(s, k, n) == 0 && s[n] == '=')
            found = s + n + 1; /* the last one wins, as in a shell */
    }
    return found;
}

static void test_env(void **state)
{
    (void)state;
    dea_inst_t in;
    dea_t dea;
    dea_conf_t conf;
    make_inst(&in, &dea, &conf);
    json_t *env = dea_env(&in, "10.0.0.5");
    assert_string_equal(env_get(env, "VCAP_APP_PORT"), "8080");
    assert_string_equal(env_get(env, "PORT"), "9"); /* user env comes last and wins */
    assert_string_equal(env_get(env, "A"), "1");
    assert_string_equal(env_get(env, "MEMORY_LIMIT"), "128m");
    json_t *va = json_loads(env_get(env, "VCAP_APPLICATION"), 0, NULL);
    assert_non_null(va);
    assert_string_equal(json_string_value(json_object_get(va, "instance_id")), "inst1");
    assert_int_equal(json_integer_value(json_object_get(va, "instance_index")), 2);
    assert_string_equal(json_string_value(json_object_get(va, "application_name")), "web");
    assert_string_equal(json_string_value(json_object_get(va, "name")), "web");
    assert_true(json_equal(json_object_get(va, "uris"), json_object_get(va, "application_uris")));
    assert_int_equal(json_integer_value(json_object_get(json_object_get(va, "limits"), "mem")),
                     128);
    json_t *vs = json_loads(env_get(env, "VCAP_SERVICES"), 0, NULL);
    json_t *pg = json_object_get(vs, "pg");
    assert_int_equal(json_array_size(pg), 1);
    assert_string_equal(json_string_value(json_object_get(json_array_get(pg, 0), "name")), "db");
    json_decref(va);
    json_decref(vs);
    json_decref(env);
    dea_start_release(&in.s);
}

static void test_register_and_exited(void **state)
{
    (void)state;
    dea_inst_t in;
    dea_t dea;
    dea_conf_t conf;
    make_inst(&in, &dea, &conf);
    json_t *r = dea_register_msg(&dea, &in, true);
    assert_string_equal(json_string_value(json_object_get(r, "host")), "10.0.0.5");
    assert_int_equal(json_integer_value(json_object_get(r, "port")), 61001);
    assert_string_equal(json_string_value(json_object_get(r, "app")), "app-1");
    assert_string_equal(json_string_value(json_object_get(r, "private_instance_id")), "inst1");
    assert_non_null(json_object_get(r, "tags"));
    json_decref(r);
    r = dea_register_msg(&dea, &in, false);
    assert_null(json_object_get(r, "tags"));
    json_decref(r);

    in.exit_reason = "CRASHED";
    in.exit_status = 137;
    in.oom = true;
    json_t *x = dea_exited_msg(&in, 1000.0);
    assert_string_equal(json_string_value(json_object_get(x, "reason")), "CRASHED");
    assert_int_equal(json_integer_value(json_object_get(x, "crash_timestamp")), 1000);
    assert_int_equal(json_integer_value(json_object_get(x, "exit_status")), 137);
    assert_true(json_is_true(json_object_get(x, "out_of_memory")));
    json_decref(x);
    in.exit_reason = "STOPPED";
    x = dea_exited_msg(&in, 1000.0);
    assert_null(json_object_get(x, "crash_timestamp"));
    json_decref(x);

    /* Advertise counts live instances and subtracts their memory. */
    dea.insts = &in;
    json_t *a = dea_advertise_msg(&dea);
    assert_int_equal(json_integer_value(json_object_get(a, "available_memory")), 1000 - 128);
    assert_int_equal(
        json_integer_value(json_object_get(json_object_get(a, "app_id_to_count"), "app-1")), 1);
    json_decref(a);
    /* An evacuating DEA advertises no room: the CC places nothing more on it. */
    dea.stopping = true;
    a = dea_advertise_msg(&dea);
    assert_int_equal(json_integer_value(json_object_get(a, "available_memory")), 0);
    assert_int_equal(json_integer_value(json_object_get(a, "available_disk")), 0);
    assert_int_equal(json_integer_value(json_object_get(a, "available_staging")), 0);
    json_decref(a);
    dea.stopping = false;
    /* Snapshot: only instances with a job. */
    json_t *snap = dea_snapshot_json(&dea);
    assert_int_equal(json_array_size(json_object_get(snap, "instances")), 0);
    json_decref(snap);
    in.job_id = 7;
    snap = dea_snapshot_json(&dea);
    json_t *e = json_array_get(json_object_get(snap, "instances"), 0);
    assert_int_equal(json_integer_value(json_object_get(e, "job_id")), 7);
    assert_string_equal(json_string_value(json_object_get(e, "instance_id")), "inst1");
    /* The stored start message parses back. */
    char *text = json_dumps(json_object_get(e, "start_message"), JSON_COMPACT);
    dea_start_t back;
    assert_int_equal(parse(text, &back), 0);
    assert_string_equal(back.sha1, SHA);
    dea_start_release(&back);
    free(text);
    json_decref(snap);
    dea_start_release(&in.s);
}

static void test_matches(void **state)
{
    (void)state;
    dea_inst_t in;
    dea_t dea;
    dea_conf_t conf;
    make_inst(&in, &dea, &conf);
    json_t *f = json_loads("{\"droplet\":\"app-1\"}", 0, NULL);
    assert_true(dea_inst_matches(&in, f));
    json_decref(f);
    f = json_loads("{\"droplet\":\"app-2\"}", 0, NULL);
    assert_false(dea_inst_matches(&in, f));
    json_decref(f);
    f = json_loads("{\"droplet\":\"app-1\",\"indices\":[0,1]}", 0, NULL);
    assert_false(dea_inst_matches(&in, f));
    json_decref(f);
    f = json_loads("{\"droplet\":\"app-1\",\"indices\":[2],\"states\":[\"RUNNING\"]}", 0, NULL);
    assert_true(dea_inst_matches(&in, f));
    json_decref(f);
    f = json_loads("{\"droplet\":\"app-1\",\"version\":\"v0\"}", 0, NULL);
    assert_false(dea_inst_matches(&in, f));
    json_decref(f);
    dea_start_release(&in.s);
}

static void test_staging_info(void **state)
{
    (void)state;
    const char *y = "---\ndetected_buildpack: node\nstart_command: npm start\n";
    char *c = dea_staging_info_cmd(y, strlen(y));
    assert_string_equal(c, "npm start");
    free(c);
    y = "start_command: \"python3 app.py\"\r\n";
    c = dea_staging_info_cmd(y, strlen(y));
    assert_string_equal(c, "python3 app.py");
    free(c);
    y = "detected_buildpack: x\n";
    assert_null(dea_staging_info_cmd(y, strlen(y)));
    y = "start_command:";
    assert_null(dea_staging_info_cmd(y, strlen(y)));
    /* Input ending right before a PROT_NONE page is read within bounds. */
    const char *g = hc_test_guard("start_command: x", 16);
    c = dea_staging_info_cmd(g, 16);
    assert_string_equal(c, "x");
    free(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_good),          cmocka_unit_test(test_parse_bad),
        cmocka_unit_test(test_parse_health_check),  cmocka_unit_test(test_env),
        cmocka_unit_test(test_register_and_exited), cmocka_unit_test(test_matches),
        cmocka_unit_test(test_staging_info),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
