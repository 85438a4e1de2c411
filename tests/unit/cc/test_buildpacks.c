/* Unit tests for src/cc/buildpacks.c: the built-in buildpacks in detection order. */
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

#include "buildpacks.h"

static void put(const char *dir, const char *rel, const char *text, mode_t mode)
{
    char path[512];
    snprintf(path, sizeof(path), "%s/%s", dir, rel);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
    assert_int_equal(chmod(path, mode), 0);
}

static void pack(const char *dir, const char *name, mode_t detect_mode)
{
    char path[512];
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    assert_int_equal(mkdir(path, 0755), 0);
    snprintf(path, sizeof(path), "%s/%s/bin", dir, name);
    assert_int_equal(mkdir(path, 0755), 0);
    snprintf(path, sizeof(path), "%s/bin/detect", name);
    put(dir, path, "#!/bin/sh\n", detect_mode);
}

static char *names(json_t *arr)
{
    static char out[512];
    json_t *o;
    size_t i;
    out[0] = '\0';
    json_array_foreach(arr, i, o)
    {
        assert_int_equal(json_integer_value(json_object_get(o, "position")), (json_int_t)i + 1);
        if (i)
            strcat(out, " ");
        strcat(out, json_string_value(json_object_get(o, "name")));
    }
    return out;
}

static void test_order_from_stage_then_by_name(void **state)
{
    (void)state;
    char dir[] = "/tmp/hearth-bp-XXXXXX";
    assert_non_null(mkdtemp(dir));
    pack(dir, "static", 0755);
    pack(dir, "node", 0755);
    pack(dir, "zeta", 0755);
    pack(dir, "alpha", 0755);
    pack(dir, "noexec", 0644);
    char path[512];
    snprintf(path, sizeof(path), "%s/empty", dir);
    assert_int_equal(mkdir(path, 0755), 0);
    put(dir, "stage", "#!/bin/sh\nset -e\n  ORDER=\"node missing static\"\necho\n", 0755);
    json_t *bp = NULL;
    hc_err_t err;
    assert_int_equal(cc_buildpacks_load(dir, &bp, &err), 0);
    assert_string_equal(names(bp), "node static alpha zeta");
    json_decref(bp);
    /* No staging driver: name order. */
    snprintf(path, sizeof(path), "%s/stage", dir);
    unlink(path);
    assert_int_equal(cc_buildpacks_load(dir, &bp, &err), 0);
    assert_string_equal(names(bp), "alpha node static zeta");
    json_decref(bp);
    char cmd[600];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
    assert_int_equal(system(cmd), 0);
    /* A missing directory is an error. */
    assert_true(cc_buildpacks_load(dir, &bp, &err) < 0);
}

static void test_the_shipped_buildpacks(void **state)
{
    (void)state;
    json_t *bp = NULL;
    hc_err_t err;
    assert_int_equal(cc_buildpacks_load(HEARTH_BUILDPACKS_DIR, &bp, &err), 0);
    assert_true(json_array_size(bp) >= 7);
    assert_non_null(strstr(names(bp), "static"));
    json_decref(bp);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_order_from_stage_then_by_name),
        cmocka_unit_test(test_the_shipped_buildpacks),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
