/* Tests for src/bus/hmap.c: random puts and deletes checked against a plain array model. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "hmap.h"

enum { KEYS = 3000 };

static void test_random_against_model(void **state)
{
    static char keys[KEYS][16];
    static int present[KEYS];
    bus_hmap_t m;
    bus_hmap_init(&m);
    for (int i = 0; i < KEYS; i++)
        snprintf(keys[i], sizeof(keys[i]), "k%d", i * 7919 % 100003);
    uint64_t x = 88172645463325252ULL;
    size_t count = 0;
    for (int step = 0; step < 200000; step++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        int k = (int)(x % KEYS);
        int op = (int)((x >> 20) % 3);
        if (op == 0) {
            void *prev = bus_hmap_put(&m, keys[k], strlen(keys[k]), &present[k]);
            assert_ptr_equal(prev, present[k] ? &present[k] : NULL);
            if (!present[k])
                count++;
            present[k] = 1;
        } else if (op == 1) {
            void *v = bus_hmap_del(&m, keys[k], strlen(keys[k]));
            assert_ptr_equal(v, present[k] ? &present[k] : NULL);
            if (present[k])
                count--;
            present[k] = 0;
        } else {
            void *v = bus_hmap_get(&m, keys[k], strlen(keys[k]));
            assert_ptr_equal(v, present[k] ? &present[k] : NULL);
        }
        assert_int_equal(m.count, count);
    }
    size_t seen = 0;
    BUS_HMAP_FOREACH(&m, e)
    {
        int *v = e->val;
        assert_int_equal(*v, 1);
        seen++;
    }
    assert_int_equal(seen, count);
    bus_hmap_clear(&m);
    assert_int_equal(m.count, 0);
    assert_null(bus_hmap_get(&m, keys[0], strlen(keys[0])));
    bus_hmap_release(&m);
}

static void test_empty_and_binary_keys(void **state)
{
    bus_hmap_t m;
    int a = 1, b = 2;
    bus_hmap_init(&m);
    assert_null(bus_hmap_get(&m, "x", 1));
    assert_null(bus_hmap_del(&m, "x", 1));
    bus_hmap_put(&m, "", 0, &a);
    bus_hmap_put(&m, "a\0b", 3, &b);
    assert_ptr_equal(bus_hmap_get(&m, "", 0), &a);
    assert_ptr_equal(bus_hmap_get(&m, "a\0b", 3), &b);
    assert_null(bus_hmap_get(&m, "a", 1));
    bus_hmap_release(&m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_random_against_model),
        cmocka_unit_test(test_empty_and_binary_keys),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
