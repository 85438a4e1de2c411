/* hc_uuid.h - random (version 4) UUIDs and hex identifiers from the kernel's CSPRNG. */
#ifndef HEARTH_CORE_UUID_H
#define HEARTH_CORE_UUID_H

#include <stdbool.h>
#include <stddef.h>

#define HC_UUID_STR_LEN 36

/* Writes a lowercase v4 UUID and its NUL into out (HC_UUID_STR_LEN + 1 bytes). */
void hc_uuid4(char out[HC_UUID_STR_LEN + 1]);
/* True when s[0..len) is a canonical UUID (any version, either case). */
bool hc_uuid_valid(const char *s, size_t len);
/* Fills buf with len random bytes (getrandom); aborts if the kernel cannot supply them. */
void hc_random_bytes(void *buf, size_t len);
/* Writes 2*n random lowercase hex digits and a NUL into out (2*n + 1 bytes). */
void hc_random_hex(char *out, size_t n);

#endif
