/* Symlinks kept in droplets stay inside the archive's root (src/dea/pack.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "pack.h"

static void test_links_inside_pass(void **state)
{
    (void)state;
    assert_true(dea_link_inside("node_modules/.bin/mime", "../mime/cli.js"));
    assert_true(dea_link_inside("a/b/c", "../../x"));
    assert_true(dea_link_inside("a/link", "b/c"));
    assert_true(dea_link_inside("link", "target"));
    assert_true(dea_link_inside("a/link", "./b/../c"));
    assert_true(dea_link_inside("a//b/link", "../../x"));
}

static void test_links_out_fail(void **state)
{
    (void)state;
    assert_false(dea_link_inside("link", "../x"));
    assert_false(dea_link_inside("a/link", "../../x"));
    assert_false(dea_link_inside("a/b/link", "../../../etc/passwd"));
    assert_false(dea_link_inside("a/link", "/etc/passwd"));
    assert_false(dea_link_inside("a/link", ""));
    assert_false(dea_link_inside("a/link", NULL));
    /* down then up past the root */
    assert_false(dea_link_inside("link", "x/../../y"));
    assert_false(dea_link_inside("a/link", "./../.."));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_links_inside_pass),
        cmocka_unit_test(test_links_out_fail),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
