/*
 * The built-in buildpacks' detection order (buildpacks/stage's ORDER): for small app trees
 * made here, the first buildpack whose bin/detect succeeds is the expected one.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "hc_base.h"

static const char *const order[] = {"java",   "node",   "ruby",    "python",
                                    "binary", "static", "procfile"};

/* Makes an app dir with the given "name=content" files and returns the detected buildpack. */
static const char *detect(const char *const *files, size_t n)
{
    static char name[32];
    char dir[] = "/tmp/hearth-detect-XXXXXX";
    assert_non_null(mkdtemp(dir));
    for (size_t i = 0; i < n; i++) {
        const char *eq = strchr(files[i], '=');
        hc_autofree char *p = hc_asprintf("%s/%.*s", dir, (int)(eq - files[i]), files[i]);
        FILE *f = fopen(p, "w");
        assert_non_null(f);
        fputs(eq + 1, f);
        fclose(f);
    }
    name[0] = 0;
    for (size_t i = 0; i < HC_ARRAY_SIZE(order) && !name[0]; i++) {
        hc_autofree char *cmd = hc_asprintf("sh %s/buildpacks/%s/bin/detect %s 2>/dev/null",
                                            getenv("HEARTH_SOURCE_DIR"), order[i], dir);
        FILE *p = popen(cmd, "r");
        char out[32] = {0};
        if (!fgets(out, sizeof(out), p))
            out[0] = 0;
        if (pclose(p) == 0) {
            out[strcspn(out, "\n")] = 0;
            snprintf(name, sizeof(name), "%s", out);
        }
    }
    hc_autofree char *rm = hc_asprintf("rm -rf %s", dir);
    assert_int_equal(system(rm), 0);
    return name[0] ? name : "none";
}

static void test_order(void **state)
{
    (void)state;
    const char *stat[] = {"index.html=<h1>x</h1>"};
    assert_string_equal(detect(stat, 1), "static");
    const char *node[] = {"package.json={}", "index.html=x"};
    assert_string_equal(detect(node, 2), "node");
    const char *py[] = {"app.py=print(1)", "Procfile=web: python3 app.py"};
    assert_string_equal(detect(py, 2), "python");
    const char *bin[] = {"Procfile=web: ./hello", "hello=x"};
    assert_string_equal(detect(bin, 2), "binary");
    const char *proc[] = {"Procfile=web: sleep 1", "index.html=x"};
    assert_string_equal(detect(proc, 2), "procfile");
    const char *rb[] = {"config.ru=run 1"};
    assert_string_equal(detect(rb, 1), "ruby");
    const char *jar[] = {"app.jar=x", "package.json={}"};
    assert_string_equal(detect(jar, 2), "java");
    const char *none[] = {"README=x"};
    assert_string_equal(detect(none, 1), "none");
}

int main(void)
{
    if (!getenv("HEARTH_SOURCE_DIR"))
        return 77;
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_order)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
