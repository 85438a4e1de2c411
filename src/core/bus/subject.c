/* Subject validation: what may be written into a PUB/SUB control line (cf-v1.md §2.1). */
#include <string.h>

#include "hc_bus.h"

bool hc_bus_subject_valid(const char *subject, bool allow_wildcards)
{
    if (!subject)
        return false;
    size_t len = strnlen(subject, HC_BUS_MAX_SUBJECT + 1);
    if (len == 0 || len > HC_BUS_MAX_SUBJECT)
        return false;
    size_t tok_start = 0;
    for (size_t i = 0; i <= len; i++) {
        unsigned char c = (unsigned char)subject[i];
        if (i < len && (c <= ' ' || c == 0x7f))
            return false;
        if (i < len && c != '.')
            continue;
        size_t tok_len = i - tok_start;
        if (tok_len == 0)
            return false;
        const char *tok = subject + tok_start;
        bool wild = tok_len == 1 && (tok[0] == '*' || tok[0] == '>');
        if (wild && !allow_wildcards)
            return false;
        if (wild && tok[0] == '>' && i != len)
            return false;
        tok_start = i + 1;
    }
    return true;
}
