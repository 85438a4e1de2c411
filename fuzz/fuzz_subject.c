/*
 * Bus subject validation (hc_bus_subject_valid): subjects are often built from peer input
 * (ids in dea.<uuid>.start, reply inboxes), so the check must never crash or read past the
 * string, and what it accepts must be safe to put in a PUB/SUB line.
 */
#include <stdint.h>
#include <string.h>

#include "hc_bus.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *s = hc_malloc(size + 1);
    memcpy(s, data, size);
    s[size] = '\0';
    bool plain = hc_bus_subject_valid(s, false);
    bool wild = hc_bus_subject_valid(s, true);
    if (plain && !wild)
        __builtin_trap(); /* a literal subject is also a valid subscription */
    if (wild) {
        size_t len = strlen(s);
        if (len == 0 || len > HC_BUS_MAX_SUBJECT || s[0] == '.' || s[len - 1] == '.')
            __builtin_trap();
        for (size_t i = 0; i < len; i++)
            if ((unsigned char)s[i] <= ' ' || s[i] == 0x7f || (s[i] == '.' && s[i + 1] == '.'))
                __builtin_trap();
    }
    free(s);
    return 0;
}
