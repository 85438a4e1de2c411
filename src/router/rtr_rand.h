/*
 * rtr_rand.h - fast identifiers for the request path: request ids (UUID v4) and trace ids
 * come from a xoshiro256** generator seeded from the kernel once per process, so a request
 * costs no getrandom(2) call. They must be unique, not secret. Loop thread only.
 */
#ifndef HEARTH_RTR_RAND_H
#define HEARTH_RTR_RAND_H

#include "hc_uuid.h"

/* Writes a lowercase v4 UUID and its NUL (HC_UUID_STR_LEN + 1 bytes). */
void rtr_uuid4(char out[HC_UUID_STR_LEN + 1]);
/* Writes 2*n lowercase hex digits and a NUL. */
void rtr_hex(char *out, size_t n);

#endif
