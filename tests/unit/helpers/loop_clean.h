/*
 * loop_clean.h - the end-of-test check that a libuv loop has nothing left open (libuv's
 * MAKE_VALGRIND_HAPPY): every handle the code under test opened must be closed by it.
 */
#ifndef HEARTH_TEST_LOOP_CLEAN_H
#define HEARTH_TEST_LOOP_CLEAN_H

#include <stdbool.h>
#include <stdint.h>

#include <uv.h>

/*
 * Runs the loop until it has nothing left to do (at most `max_ms` of loop time, so a leaked
 * active handle fails instead of hanging), fails the test (cmocka) naming every handle still
 * open, then closes the loop and fails if uv_loop_close does.
 */
void hc_test_loop_clean(uv_loop_t *loop, uint64_t max_ms);

/* Runs the loop until *flag becomes true or max_ms passes; returns the flag. */
bool hc_test_run_until(uv_loop_t *loop, const bool *flag, uint64_t max_ms);

#define HC_ASSERT_LOOP_CLEAN(loop) hc_test_loop_clean((loop), 5000)

#endif
