/* Tests for src/core/log/log.c: destinations, levels, escaping of hostile values, rotation. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include <cmocka.h>

#include "hc_log.h"

typedef struct fixture_s {
    char dir[64];
    char path[128];
} fixture_t;

static int setup(void **state)
{
    fixture_t *f = calloc(1, sizeof(*f));
    snprintf(f->dir, sizeof(f->dir), "/tmp/hearth-log-XXXXXX");
    assert_non_null(mkdtemp(f->dir));
    snprintf(f->path, sizeof(f->path), "%s/t.log", f->dir);
    assert_int_equal(hc_log_open("tst", f->path), 0);
    hc_log_level = HC_LOG_INFO;
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture_t *f = *state;
    hc_log_close();
    hc_log_level = HC_LOG_INFO;
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->dir);
    assert_int_equal(system(cmd), 0);
    free(f);
    return 0;
}

/* Returns the whole file as a malloc'd string (or "" when it does not exist). */
static char *slurp(const char *path)
{
    char *buf = calloc(1, 256 * 1024);
    FILE *fp = fopen(path, "r");
    if (fp) {
        size_t n = fread(buf, 1, 256 * 1024 - 1, fp);
        buf[n] = '\0';
        fclose(fp);
    }
    return buf;
}

static size_t count_char(const char *s, char c)
{
    size_t n = 0;
    for (; *s; s++)
        n += *s == c;
    return n;
}

/* The part of the line after "comp=tst ", without the newline. */
static const char *fields(const char *line)
{
    const char *p = strstr(line, "comp=tst ");
    assert_non_null(p);
    return p + strlen("comp=tst ");
}

static void assert_single_line(const char *text, const char *want_fields)
{
    assert_int_equal(count_char(text, '\n'), 1);
    assert_int_equal(strncmp(text, "ts=", 3), 0);
    char *copy = strdup(fields(text));
    copy[strlen(copy) - 1] = '\0';
    assert_string_equal(copy, want_fields);
    free(copy);
}

static void test_line_format_to_file(void **state)
{
    fixture_t *f = *state;
    hc_log_info("listening", "port", "4222", "addr", "127.0.0.1");
    char *text = slurp(f->path);
    assert_single_line(text, "msg=\"listening\" port=4222 addr=127.0.0.1");
    assert_non_null(strstr(text, " lvl=info comp=tst "));
    /* ts=2026-11-24T10:00:00.123Z */
    assert_int_equal(strlen("ts=2026-11-24T10:00:00.123Z "), (size_t)(strstr(text, "lvl=") - text));
    assert_int_equal(text[26], 'Z');
    free(text);
}

static int evaluated;
static const char *side_effect(void)
{
    evaluated++;
    return "x";
}

static void test_levels_filter(void **state)
{
    fixture_t *f = *state;
    hc_log_level = HC_LOG_WARN;
    evaluated = 0;
    hc_log_info("hidden", "k", side_effect());
    hc_log_debug("hidden");
    HC_LOGF(HC_LOG_INFO, "hidden %d", 1);
    assert_int_equal(evaluated, 0); /* arguments are not evaluated when the level is off */
    hc_log_write(HC_LOG_DEBUG, "hidden too", NULL);
    hc_log_printf(HC_LOG_INFO, "hidden %s", "printf");
    hc_log_warn("shown", "k", side_effect());
    hc_log_error("also shown");
    assert_int_equal(evaluated, 1);
    char *text = slurp(f->path);
    assert_int_equal(count_char(text, '\n'), 2);
    assert_null(strstr(text, "hidden"));
    assert_non_null(strstr(text, "lvl=warn comp=tst msg=\"shown\" k=x\n"));
    assert_non_null(strstr(text, "lvl=error comp=tst msg=\"also shown\"\n"));
    free(text);

    hc_log_level = HC_LOG_DEBUG;
    hc_log_debug("now visible");
    text = slurp(f->path);
    assert_non_null(strstr(text, "lvl=debug comp=tst msg=\"now visible\""));
    free(text);
}

static void test_hostile_values_are_escaped(void **state)
{
    fixture_t *f = *state;
    hc_log_warn("bad\nmsg \"quoted\"", "host", "evil.com\nts=forged lvl=error", "q", "say \"hi\"",
                "ctl", "a\x1b[31mb\x7f\x01", "eq", "a=b", "bs", "c:\\dir", "tab", "x\ty\r", "empty",
                "", "null", NULL, "utf8", "caf\xc3\xa9", "bad_utf8", "a\xff\xc3", "c1",
                "\xc2\x9b"
                "2J");
    char *text = slurp(f->path);
    assert_single_line(text, "msg=\"bad\\nmsg \\\"quoted\\\"\" "
                             "host=\"evil.com\\nts=forged lvl=error\" "
                             "q=\"say \\\"hi\\\"\" "
                             "ctl=\"a\\x1b[31mb\\x7f\\x01\" "
                             "eq=\"a=b\" "
                             "bs=\"c:\\\\dir\" "
                             "tab=\"x\\ty\\r\" "
                             "empty=\"\" "
                             "null=\"\" "
                             "utf8=\"caf\xc3\xa9\" "
                             "bad_utf8=\"a\\xff\\xc3\" "
                             "c1=\"\\xc2\\x9b2J\"");
    free(text);
}

static void test_bad_keys_cannot_break_the_line(void **state)
{
    fixture_t *f = *state;
    hc_log_info("m", "a b\n=", "1", "", "2");
    char *text = slurp(f->path);
    assert_single_line(text, "msg=\"m\" a_b__=1 _=2");
    free(text);
}

static void test_long_lines_are_cut_cleanly(void **state)
{
    fixture_t *f = *state;
    size_t n = 100 * 1024;
    char *big = malloc(n + 1);
    for (size_t i = 0; i < n; i++)
        big[i] = (i % 7 == 0) ? '"' : 'a';
    big[n] = '\0';
    hc_log_info("big", "v", big, "after", "1");
    char *text = slurp(f->path);
    assert_int_equal(count_char(text, '\n'), 1);
    assert_true(strlen(text) < 17 * 1024);
    assert_non_null(strstr(text, "\" truncated=1\n"));
    assert_null(strstr(text, "after="));
    /* Unescaped quotes stay balanced. */
    size_t quotes = 0;
    for (const char *p = text; *p; p++) {
        if (*p == '\\') {
            p++;
            continue;
        }
        quotes += *p == '"';
    }
    assert_int_equal(quotes % 2, 0);
    free(text);
    free(big);
}

static void test_log_errno_escapes_and_returns_code(void **state)
{
    fixture_t *f = *state;
    int r = hc_log_errno(-ENOENT, "open \"x\"\nforged=1", "path", "/a b", NULL);
    assert_int_equal(r, -ENOENT);
    char *text = slurp(f->path);
    assert_single_line(text, "msg=\"open \\\"x\\\"\\nforged=1\" err=\"No such file or directory\" "
                             "path=\"/a b\"");
    assert_non_null(strstr(text, "lvl=error"));
    free(text);
}

static void test_printf_message(void **state)
{
    fixture_t *f = *state;
    hc_log_printf(HC_LOG_WARN, "%d workers, %s", 3, "retrying");
    char *text = slurp(f->path);
    assert_single_line(text, "msg=\"3 workers, retrying\"");
    free(text);
}

static void test_reopen_after_rename_rotates(void **state)
{
    fixture_t *f = *state;
    char rotated[160];
    snprintf(rotated, sizeof(rotated), "%s.1", f->path);
    hc_log_info("before");
    assert_int_equal(rename(f->path, rotated), 0);
    hc_log_info("still old"); /* the fd follows the renamed file until reopen */
    assert_int_equal(hc_log_reopen(), 0);
    hc_log_info("after");
    char *old = slurp(rotated);
    char *now = slurp(f->path);
    assert_non_null(strstr(old, "msg=\"before\""));
    assert_non_null(strstr(old, "msg=\"still old\""));
    assert_null(strstr(old, "after"));
    assert_single_line(now, "msg=\"after\"");
    free(old);
    free(now);
    struct stat st;
    assert_int_equal(stat(f->path, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0640);
}

static void test_open_failure_keeps_destination(void **state)
{
    fixture_t *f = *state;
    assert_int_equal(hc_log_open("tst", "/nonexistent-dir/x.log"), -ENOENT);
    hc_log_info("kept");
    char *text = slurp(f->path);
    assert_single_line(text, "msg=\"kept\"");
    free(text);
    /* Reopen failure (directory gone) keeps the old fd too. */
    char sub[160];
    snprintf(sub, sizeof(sub), "%s/sub", f->dir);
    assert_int_equal(mkdir(sub, 0700), 0);
    char path[200];
    snprintf(path, sizeof(path), "%s/l.log", sub);
    assert_int_equal(hc_log_open("tst", path), 0);
    assert_int_equal(unlink(path), 0);
    assert_int_equal(rmdir(sub), 0);
    assert_int_equal(hc_log_reopen(), -ENOENT);
}

static void test_level_names(void **state)
{
    (void)state;
    assert_int_equal(hc_log_level_parse("DEBUG"), HC_LOG_DEBUG);
    assert_int_equal(hc_log_level_parse("warning"), HC_LOG_WARN);
    assert_int_equal(hc_log_level_parse("error"), HC_LOG_ERROR);
    assert_int_equal(hc_log_level_parse("loud"), HC_LOG_INVALID);
    assert_string_equal(hc_log_level_name(HC_LOG_INFO), "info");
    assert_string_equal(hc_log_level_name((hc_log_level_t)9), "unknown");
}

static void test_from_signal_writes_raw(void **state)
{
    fixture_t *f = *state;
    hc_log_from_signal("fatal signal");
    char *text = slurp(f->path);
    assert_string_equal(text, "fatal signal\n");
    free(text);
}

int main(void)
{
    umask(027); /* so the 0640 mode check does not depend on the caller's umask */
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_line_format_to_file, setup, teardown),
        cmocka_unit_test_setup_teardown(test_levels_filter, setup, teardown),
        cmocka_unit_test_setup_teardown(test_hostile_values_are_escaped, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_keys_cannot_break_the_line, setup, teardown),
        cmocka_unit_test_setup_teardown(test_long_lines_are_cut_cleanly, setup, teardown),
        cmocka_unit_test_setup_teardown(test_log_errno_escapes_and_returns_code, setup, teardown),
        cmocka_unit_test_setup_teardown(test_printf_message, setup, teardown),
        cmocka_unit_test_setup_teardown(test_reopen_after_rename_rotates, setup, teardown),
        cmocka_unit_test_setup_teardown(test_open_failure_keeps_destination, setup, teardown),
        cmocka_unit_test_setup_teardown(test_level_names, setup, teardown),
        cmocka_unit_test_setup_teardown(test_from_signal_writes_raw, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
