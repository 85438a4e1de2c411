/* Tests for src/broker/proc.c: real child processes, their input, output, status and deadline. */
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "proc.h"

static void test_stdin_to_stdout(void **state)
{
    (void)state;
    const char *argv[] = {"cat", NULL};
    hc_buf_t out;
    hc_err_t err;
    hc_err_clear(&err);
    hc_buf_init(&out, 0);
    assert_int_equal(brk_run(argv, NULL, "CREATE DATABASE x;\n", 5000, &out, &err), 0);
    assert_int_equal(out.len, strlen("CREATE DATABASE x;\n"));
    assert_memory_equal(out.data, "CREATE DATABASE x;\n", out.len);
    hc_buf_release(&out);
}

static void test_large_input_and_output(void **state)
{
    (void)state;
    /* More than a pipe holds both ways: writing and reading must interleave. */
    size_t n = 200 * 1024;
    char *in = hc_malloc(n + 1);
    memset(in, 'x', n);
    in[n] = '\0';
    const char *argv[] = {"cat", NULL};
    hc_buf_t out;
    hc_err_t err;
    hc_err_clear(&err);
    hc_buf_init(&out, 0);
    assert_int_equal(brk_run(argv, NULL, in, 10000, &out, &err), 0);
    assert_int_equal(out.len, n);
    hc_buf_release(&out);
    free(in);
}

static void test_env_and_stderr(void **state)
{
    (void)state;
    const char *argv[] = {"sh", "-c", "echo \"$MYSQL_PWD\" >&2", NULL};
    const char *env[] = {"MYSQL_PWD=abc123", NULL};
    hc_buf_t out;
    hc_err_t err;
    hc_err_clear(&err);
    hc_buf_init(&out, 0);
    assert_int_equal(brk_run(argv, env, NULL, 5000, &out, &err), 0);
    assert_int_equal(out.len, 7);
    assert_memory_equal(out.data, "abc123\n", 7);
    hc_buf_release(&out);
}

static void test_exit_status(void **state)
{
    (void)state;
    const char *argv[] = {"sh", "-c", "echo; echo 'ERROR 1045: denied'; exit 3", NULL};
    hc_err_t err;
    hc_err_clear(&err);
    assert_int_equal(brk_run(argv, NULL, NULL, 5000, NULL, &err), -EIO);
    assert_string_equal(err.msg, "sh: exit 3: ERROR 1045: denied");
}

static void test_missing_program(void **state)
{
    (void)state;
    const char *argv[] = {"/nonexistent/hearth-client", NULL};
    hc_err_t err;
    hc_err_clear(&err);
    assert_int_equal(brk_run(argv, NULL, NULL, 5000, NULL, &err), -ENOENT);
}

static void test_deadline(void **state)
{
    (void)state;
    const char *argv[] = {"sleep", "30", NULL};
    hc_err_t err;
    hc_err_clear(&err);
    assert_int_equal(brk_run(argv, NULL, NULL, 200, NULL, &err), -ETIMEDOUT);
    assert_string_equal(err.msg, "sleep: killed after 200 ms");
}

static void test_child_ignoring_stdin(void **state)
{
    (void)state;
    /* The child exits without reading: the write fails with EPIPE, not a crash or a hang. */
    size_t n = 1024 * 1024;
    char *in = hc_malloc(n + 1);
    memset(in, 'y', n);
    in[n] = '\0';
    const char *argv[] = {"true", NULL};
    hc_err_t err;
    hc_err_clear(&err);
    assert_int_equal(brk_run(argv, NULL, in, 5000, NULL, &err), 0);
    free(in);
}

int main(void)
{
    signal(SIGPIPE, SIG_IGN); /* as in every daemon */
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_stdin_to_stdout),      cmocka_unit_test(test_large_input_and_output),
        cmocka_unit_test(test_env_and_stderr),       cmocka_unit_test(test_exit_status),
        cmocka_unit_test(test_missing_program),      cmocka_unit_test(test_deadline),
        cmocka_unit_test(test_child_ignoring_stdin),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
