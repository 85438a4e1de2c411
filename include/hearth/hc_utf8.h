/* hc_utf8.h - strict UTF-8 checks (RFC 3629) for bytes that came from outside. */
#ifndef HEARTH_CORE_UTF8_H
#define HEARTH_CORE_UTF8_H

#include <stddef.h>

#include "hc_base.h"

/*
 * Returns the length (1-4) of the valid UTF-8 sequence at the start of [s, s+len), or 0 when
 * it is invalid or cut short: overlong forms, surrogates and code points over U+10FFFF are
 * invalid. NUL is a valid 1-byte sequence. len must be > 0.
 */
size_t hc_utf8_seq(const void *s, size_t len);
/* True when all of [s, s+len) is valid UTF-8. */
bool hc_utf8_valid(const void *s, size_t len);

#endif
