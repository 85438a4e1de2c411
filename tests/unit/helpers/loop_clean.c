/* loop_clean.c - see loop_clean.h. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "loop_clean.h"

typedef struct walk_s {
    int open;
    char names[512];
} walk_t;

static void walk_cb(uv_handle_t *h, void *arg)
{
    walk_t *w = arg;
    size_t used = strlen(w->names);
    if (uv_is_closing(h))
        return;
    w->open++;
    snprintf(w->names + used, sizeof(w->names) - used, "%s%s", used ? ", " : "",
             uv_handle_type_name(uv_handle_get_type(h)));
}

static void on_deadline(uv_timer_t *t)
{
    *(bool *)t->data = true;
}

/* Runs the loop until flag is set (when given), nothing is left to do, or max_ms passes. */
static void run_bounded(uv_loop_t *loop, uint64_t max_ms, const bool *flag)
{
    uv_timer_t deadline;
    bool expired = false;

    uv_timer_init(loop, &deadline);
    deadline.data = &expired;
    uv_timer_start(&deadline, on_deadline, max_ms, 0);
    uv_unref((uv_handle_t *)&deadline); /* does not keep the loop alive by itself */
    while (!expired && !(flag && *flag)) {
        if (uv_run(loop, UV_RUN_ONCE) == 0)
            break;
    }
    uv_close((uv_handle_t *)&deadline, NULL);
    uv_run(loop, UV_RUN_NOWAIT);
}

bool hc_test_run_until(uv_loop_t *loop, const bool *flag, uint64_t max_ms)
{
    run_bounded(loop, max_ms, flag);
    return *flag;
}

void hc_test_loop_clean(uv_loop_t *loop, uint64_t max_ms)
{
    walk_t w = {0};

    run_bounded(loop, max_ms, NULL);
    uv_walk(loop, walk_cb, &w);
    if (w.open)
        fail_msg("%d libuv handle(s) left open on the loop: %s", w.open, w.names);
    uv_run(loop, UV_RUN_DEFAULT);
    assert_int_equal(uv_loop_close(loop), 0);
}
