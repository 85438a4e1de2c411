/*
 * libFuzzer target for resolv.conf reading (src/core/net/resolv.c): the nameservers parsed
 * from any bytes are valid dotted quads, at most HC_RESOLV_MAX_NS, distinct; the container's
 * resolv.conf made from them parses back to the same list with loopback ones replaced.
 */
#include <arpa/inet.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "hc_resolv.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *p = (const char *)data;
    hc_resolv_t r, back;
    size_t n = hc_resolv_parse(p, size, &r);
    if (n > HC_RESOLV_MAX_NS || n != r.n)
        __builtin_trap();
    for (size_t i = 0; i < n; i++) {
        struct in_addr a;
        if (inet_pton(AF_INET, r.ns[i], &a) != 1)
            __builtin_trap();
        for (size_t j = 0; j < i; j++)
            if (strcmp(r.ns[i], r.ns[j]) == 0)
                __builtin_trap();
    }
    char *c = hc_resolv_for_container(p, size, "10.254.0.1");
    hc_resolv_parse(c, strlen(c), &back);
    for (size_t i = 0; i < back.n; i++)
        if (hc_resolv_is_loopback(back.ns[i]))
            __builtin_trap();
    if (back.n > n)
        __builtin_trap();
    free(c);
    return 0;
}
