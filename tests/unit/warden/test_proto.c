/* Unit tests for the warden request parser (src/warden/proto.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "guard.h"
#include "wdn_proto.h"

static int parse(const char *s, wdn_req_t *req, hc_err_t *err)
{
    return wdn_req_parse(hc_test_guard_str(s), strlen(s), req, err);
}

static void test_ping(void **state)
{
    (void)state;
    wdn_req_t req;
    hc_err_t err = {0};
    assert_int_equal(parse("{\"type\":\"ping\"}", &req, &err), 0);
    assert_int_equal(req.type, WDN_REQ_PING);
    wdn_req_release(&req);
}

static void test_create_with_limits(void **state)
{
    (void)state;
    wdn_req_t req;
    hc_err_t err = {0};
    const char *in = "{\"type\":\"create\",\"handle\":\"app-1\",\"limits\":{\"memory_in_bytes\":"
                     "268435456,\"pids\":256,\"disk_in_bytes\":1048576,\"cpu_shares\":512},"
                     "\"grace_time\":30,\"env\":[\"A=1\"],\"properties\":{\"app\":\"x\"},"
                     "\"bind_mounts\":[{\"src_path\":\"/srv\",\"dst_path\":\"/data\",\"mode\":"
                     "\"rw\"}]}";
    assert_int_equal(parse(in, &req, &err), 0);
    assert_int_equal(req.type, WDN_REQ_CREATE);
    assert_string_equal(req.handle, "app-1");
    assert_int_equal(req.limits.memory, 268435456);
    assert_int_equal(req.limits.pids, 256);
    assert_int_equal(req.limits.disk, 1048576);
    assert_int_equal(req.limits.cpu_shares, 512);
    assert_true(req.has_grace);
    assert_int_equal(req.grace_time, 30);
    assert_int_equal(json_array_size(req.env), 1);
    assert_int_equal(json_array_size(req.bind_mounts), 1);
    wdn_req_release(&req);
}

static void test_rejects(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "",
        "not json",
        "[\"create\"]",
        "{\"type\":\"explode\"}",
        "{\"type\":\"info\"}",
        "{\"type\":\"info\",\"handle\":\"../etc\"}",
        "{\"type\":\"info\",\"handle\":\"\"}",
        "{\"type\":\"create\",\"limits\":{\"memory_in_bytes\":-1}}",
        "{\"type\":\"create\",\"limits\":{\"memory_in_bytes\":\"1G\"}}",
        "{\"type\":\"create\",\"limits\":[]}",
        "{\"type\":\"create\",\"env\":[\"NOEQUALS\"]}",
        "{\"type\":\"create\",\"env\":[1]}",
        "{\"type\":\"create\",\"bind_mounts\":[{\"src_path\":\"/a\",\"dst_path\":\"/x/../etc\"}]}",
        "{\"type\":\"create\",\"bind_mounts\":[{\"src_path\":\"rel\",\"dst_path\":\"/x\"}]}",
        "{\"type\":\"create\",\"bind_mounts\":[{\"src_path\":\"/a\",\"dst_path\":\"/x\","
        "\"mode\":\"rwx\"}]}",
        "{\"type\":\"create\",\"properties\":{\"a\":1}}",
        "{\"type\":\"spawn\",\"handle\":\"h\"}",
        "{\"type\":\"spawn\",\"handle\":\"h\",\"path\":\"\"}",
        "{\"type\":\"spawn\",\"handle\":\"h\",\"path\":\"/bin/true\",\"user\":\"admin\"}",
        "{\"type\":\"spawn\",\"handle\":\"h\",\"path\":\"/bin/true\",\"dir\":\"../x\"}",
        "{\"type\":\"spawn\",\"handle\":\"h\",\"path\":\"/bin/true\",\"rlimits\":{\"nofile\":-5}}",
        "{\"type\":\"link\",\"handle\":\"h\"}",
        "{\"type\":\"link\",\"handle\":\"h\",\"job_id\":-1}",
        "{\"type\":\"signal\",\"handle\":\"h\",\"job_id\":1,\"signal\":\"NOPE\"}",
        "{\"type\":\"signal\",\"handle\":\"h\",\"job_id\":1,\"signal\":99}",
        "{\"type\":\"net_in\",\"handle\":\"h\",\"host_port\":70000}",
        "{\"type\":\"net_out\",\"handle\":\"h\"}",
        "{\"type\":\"net_out\",\"handle\":\"h\",\"port\":80,\"protocol\":\"sctp\"}",
        "{\"type\":\"copy_in\",\"handle\":\"h\",\"src_path\":\"/a\"}",
        "{\"type\":\"copy_in\",\"handle\":\"h\",\"src_path\":\"/a\",\"dst_path\":\"/../../x\"}",
        "{\"type\":\"copy_out\",\"handle\":\"h\",\"src_path\":\"rel\",\"dst_path\":\"/x\"}",
        "{\"type\":\"limit_memory\",\"handle\":\"h\",\"limit_in_bytes\":1.5}",
        "{\"type\":\"ping\",\"type\":\"list\"}",
        "{\"type\":\"info\",\"handle\":\"a\\u0000b\"}",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        wdn_req_t req;
        hc_err_t err = {0};
        int r = parse(bad[i], &req, &err);
        if (r == 0)
            fail_msg("accepted: %s", bad[i]);
        assert_true(r < 0);
        assert_true(err.msg[0] != '\0');
        assert_null(req.root);
    }
}

static void test_spawn_and_signal(void **state)
{
    (void)state;
    wdn_req_t req;
    hc_err_t err = {0};
    assert_int_equal(parse("{\"type\":\"run\",\"handle\":\"h\",\"path\":\"/bin/echo\",\"args\":"
                           "[\"a\",\"b\"],\"user\":\"root\",\"rlimits\":{\"nofile\":64}}",
                           &req, &err),
                     0);
    assert_string_equal(req.path, "/bin/echo");
    assert_int_equal(json_array_size(req.args), 2);
    assert_true(req.privileged);
    wdn_req_release(&req);
    assert_int_equal(
        parse("{\"type\":\"signal\",\"handle\":\"h\",\"job_id\":4,\"signal\":\"SIGKILL\"}", &req,
              &err),
        0);
    assert_int_equal(req.job_id, 4);
    assert_int_equal(req.signal, 9);
    wdn_req_release(&req);
}

static void test_limits_query_and_set(void **state)
{
    (void)state;
    wdn_req_t req;
    hc_err_t err = {0};
    assert_int_equal(parse("{\"type\":\"limit_memory\",\"handle\":\"h\"}", &req, &err), 0);
    assert_false(req.has_limit);
    wdn_req_release(&req);
    assert_int_equal(
        parse("{\"type\":\"limit_disk\",\"handle\":\"h\",\"byte_hard\":4096}", &req, &err), 0);
    assert_true(req.has_limit);
    assert_int_equal(req.limit, 4096);
    wdn_req_release(&req);
}

static void test_helpers(void **state)
{
    (void)state;
    assert_true(wdn_handle_ok("abc-DEF_1.2"));
    assert_false(wdn_handle_ok(".hidden"));
    assert_false(wdn_handle_ok("a/b"));
    assert_false(wdn_handle_ok("0123456789012345678901234567890123456789012345678901234567890123"
                               "4"));
    assert_int_equal(wdn_signal_parse("TERM"), 15);
    assert_int_equal(wdn_signal_parse("SIGHUP"), 1);
    assert_int_equal(wdn_signal_parse("9"), 9);
    assert_true(wdn_signal_parse("0") < 0);
    assert_true(wdn_signal_parse("") < 0);
    assert_string_equal(wdn_req_type_name(WDN_REQ_NET_IN), "net_in");
}

static void test_copy_stream_forms(void **state)
{
    (void)state;
    wdn_req_t req;
    hc_err_t err = {0};
    /* copy_in without a host path streams its tar over the connection. */
    assert_int_equal(
        parse("{\"type\":\"copy_in\",\"handle\":\"h\",\"dst_path\":\"/app\"}", &req, &err), 0);
    assert_int_equal(req.type, WDN_REQ_COPY_IN);
    assert_null(req.src_path);
    assert_string_equal(req.dst_path, "/app");
    wdn_req_release(&req);
    assert_int_equal(
        parse("{\"type\":\"copy_out\",\"handle\":\"h\",\"src_path\":\"/app\"}", &req, &err), 0);
    assert_null(req.dst_path);
    wdn_req_release(&req);
    /* The old form with a host path still parses. */
    assert_int_equal(parse("{\"type\":\"copy_in\",\"handle\":\"h\",\"src_path\":\"/t.tar\","
                           "\"dst_path\":\"/app\"}",
                           &req, &err),
                     0);
    assert_string_equal(req.src_path, "/t.tar");
    wdn_req_release(&req);
    /* The container side is required either way. */
    assert_true(parse("{\"type\":\"copy_out\",\"handle\":\"h\",\"dst_path\":\"/x\"}", &req, &err) <
                0);
    assert_true(parse("{\"type\":\"copy_in\",\"handle\":\"h\",\"src_path\":\"rel\",\"dst_path\":"
                      "\"/x\"}",
                      &req, &err) < 0);
}

static int data(const char *s, char *buf, size_t cap, wdn_data_t *d, hc_err_t *err)
{
    return wdn_data_parse(hc_test_guard_str(s), strlen(s), buf, cap, d, err);
}

static void test_data_lines(void **state)
{
    (void)state;
    static char buf[WDN_COPY_MAX_CHUNK];
    wdn_data_t d;
    hc_err_t err = {0};
    assert_int_equal(data("{\"type\":\"data\",\"data\":\"aGVsbG8=\"}", buf, sizeof(buf), &d, &err),
                     0);
    assert_false(d.eof);
    assert_int_equal(d.len, 5);
    assert_memory_equal(buf, "hello", 5);
    assert_int_equal(data("{\"type\":\"data\",\"eof\":true}", buf, sizeof(buf), &d, &err), 0);
    assert_true(d.eof);
    assert_int_equal(d.len, 0);
    static const char *const bad[] = {
        "",
        "nope",
        "[]",
        "{\"type\":\"data\"}",
        "{\"type\":\"ping\",\"data\":\"aGVsbG8=\"}",
        "{\"data\":\"aGVsbG8=\"}",
        "{\"type\":\"data\",\"data\":\"not base64!\"}",
        "{\"type\":\"data\",\"data\":7}",
        "{\"type\":\"data\",\"eof\":\"yes\"}",
        "{\"type\":\"data\",\"eof\":true,\"data\":\"aGVsbG8=\"}",
        "{\"type\":\"data\",\"type\":\"data\",\"eof\":true}",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        memset(&err, 0, sizeof(err));
        assert_true(data(bad[i], buf, sizeof(buf), &d, &err) < 0);
        assert_true(err.msg[0] != '\0');
    }
    /* More than the caller's buffer holds is refused, never written past it. */
    char small[4];
    assert_true(data("{\"type\":\"data\",\"data\":\"aGVsbG8=\"}", small, sizeof(small), &d, &err) <
                0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ping),
        cmocka_unit_test(test_create_with_limits),
        cmocka_unit_test(test_rejects),
        cmocka_unit_test(test_spawn_and_signal),
        cmocka_unit_test(test_limits_query_and_set),
        cmocka_unit_test(test_helpers),
        cmocka_unit_test(test_copy_stream_forms),
        cmocka_unit_test(test_data_lines),
    };
    int r = cmocka_run_group_tests(tests, NULL, NULL);
    hc_test_guard_free_all();
    return r;
}
