/* Unit tests for src/cli/push/ignore.c and the walk that applies it (walk.c). */
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

#include "push/ignore.h"
#include "push/walk.h"

static cli_ignore_t *rules(const char *text)
{
    static cli_ignore_t ig;
    cli_ignore_release(&ig);
    cli_ignore_init(&ig);
    cli_ignore_add_text(&ig, text, strlen(text));
    return &ig;
}

static void test_builtin_rules(void **state)
{
    (void)state;
    cli_ignore_t *ig = rules("");
    assert_true(cli_ignore_match(ig, ".git", true));
    assert_true(cli_ignore_match(ig, "sub/.git", true));
    assert_false(cli_ignore_match(ig, ".git", false)); /* a file named .git (submodule) */
    assert_true(cli_ignore_match(ig, ".svn", true));
    assert_true(cli_ignore_match(ig, "a/.DS_Store", false));
    assert_true(cli_ignore_match(ig, ".hearthignore", false));
    assert_false(cli_ignore_match(ig, "sub/.hearthignore", false));
    assert_false(cli_ignore_match(ig, "index.html", false));
    assert_false(cli_ignore_match(ig, ".gitignore", false));
}

static void test_basename_globs_and_comments(void **state)
{
    (void)state;
    cli_ignore_t *ig = rules("# comment\n*.log\n\n  \ntmp/\nnode_modules\r\n");
    assert_true(cli_ignore_match(ig, "a.log", false));
    assert_true(cli_ignore_match(ig, "deep/dir/b.log", false));
    assert_false(cli_ignore_match(ig, "a.log.txt", false));
    assert_true(cli_ignore_match(ig, "tmp", true));
    assert_true(cli_ignore_match(ig, "x/tmp", true));
    assert_false(cli_ignore_match(ig, "tmp", false)); /* dir-only rule */
    assert_true(cli_ignore_match(ig, "node_modules", true));
    assert_true(cli_ignore_match(ig, "node_modules", false));
    assert_false(cli_ignore_match(ig, "# comment", false));
}

static void test_anchored_and_negation(void **state)
{
    (void)state;
    cli_ignore_t *ig = rules("/build\ndocs/*.md\n*.txt\n!keep.txt\n");
    assert_true(cli_ignore_match(ig, "build", true));
    assert_false(cli_ignore_match(ig, "src/build", true));
    assert_true(cli_ignore_match(ig, "docs/a.md", false));
    assert_false(cli_ignore_match(ig, "docs/sub/a.md", false));
    assert_false(cli_ignore_match(ig, "x/docs/a.md", false));
    assert_true(cli_ignore_match(ig, "notes.txt", false));
    assert_false(cli_ignore_match(ig, "keep.txt", false));
    assert_false(cli_ignore_match(ig, "a/keep.txt", false));
}

static void test_double_star(void **state)
{
    (void)state;
    cli_ignore_t *ig = rules("**/cache\nlogs/**\n");
    assert_true(cli_ignore_match(ig, "cache", true));
    assert_true(cli_ignore_match(ig, "a/b/cache", false));
    assert_true(cli_ignore_match(ig, "logs/x.log", false));
    assert_true(cli_ignore_match(ig, "logs/a/b", false));
    assert_false(cli_ignore_match(ig, "logs", false));
    assert_false(cli_ignore_match(ig, "mylogs/x", false));
}

static void put(const char *dir, const char *rel, const char *data, mode_t mode)
{
    char path[512];
    snprintf(path, sizeof(path), "%s/%s", dir, rel);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(data, f);
    fclose(f);
    chmod(path, mode);
}

static void test_walk_applies_rules_and_hashes(void **state)
{
    (void)state;
    char dir[] = "/tmp/hearth-walk-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char sub[600];
    snprintf(sub, sizeof(sub), "%s/lib", dir);
    mkdir(sub, 0755);
    snprintf(sub, sizeof(sub), "%s/.git", dir);
    mkdir(sub, 0755);
    snprintf(sub, sizeof(sub), "%s/tmp", dir);
    mkdir(sub, 0755);
    put(dir, "b.txt", "abc", 0644);
    put(dir, "lib/run.sh", "", 0755);
    put(dir, ".git/HEAD", "ref", 0644);
    put(dir, "tmp/x", "x", 0644);
    put(dir, ".hearthignore", "tmp/\n", 0644);
    snprintf(sub, sizeof(sub), "%s/link", dir);
    assert_int_equal(symlink("b.txt", sub), 0);

    cli_ignore_t ig;
    cli_files_t fs;
    hc_err_t err;
    cli_ignore_init(&ig);
    assert_int_equal(cli_ignore_load(&ig, dir, &err), 0);
    assert_int_equal(cli_walk(dir, &ig, &fs, &err), 0);
    assert_int_equal(fs.n, 3);
    assert_string_equal(fs.v[0].rel, "b.txt");
    assert_string_equal(fs.v[0].sha1, "a9993e364706816aba3e25717850c26c9cd0d89d");
    assert_int_equal(fs.v[0].size, 3);
    assert_string_equal(fs.v[1].rel, "lib/run.sh");
    assert_string_equal(fs.v[1].sha1, "da39a3ee5e6b4b0d3255bfef95601890afd80709");
    assert_int_equal(fs.v[1].mode & 0777, 0755);
    assert_string_equal(fs.v[2].rel, "link");
    assert_true(fs.v[2].link);
    assert_int_equal(fs.bytes, 3);
    cli_files_release(&fs);
    cli_ignore_release(&ig);

    assert_int_equal(cli_walk("/nonexistent-hearth-dir", &ig, &fs, &err), -ENOENT);
    char cmd[700];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
    assert_int_equal(system(cmd), 0);
}

static int teardown(void **state)
{
    (void)state;
    cli_ignore_release(rules(""));
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_builtin_rules),
        cmocka_unit_test(test_basename_globs_and_comments),
        cmocka_unit_test(test_anchored_and_negation),
        cmocka_unit_test(test_double_star),
        cmocka_unit_test(test_walk_applies_rules_and_hashes),
    };
    return cmocka_run_group_tests(tests, NULL, teardown);
}
