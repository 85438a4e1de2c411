/*
 * guard.h - test helpers for parsers (STYLE R28): copy an input to the very end of a
 * readable page that is followed by a PROT_NONE page, so any read past its length crashes.
 */
#ifndef HEARTH_TEST_GUARD_H
#define HEARTH_TEST_GUARD_H

#include <stddef.h>

/* Returns a pointer to a copy of [p, p+len) that ends exactly at a guard page. */
const char *hc_test_guard(const void *p, size_t len);
/* Same for a C string (its NUL is not copied). */
const char *hc_test_guard_str(const char *s);
/* Frees every guarded copy made so far. */
void hc_test_guard_free_all(void);

#endif
