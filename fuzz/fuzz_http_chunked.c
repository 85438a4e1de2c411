/*
 * libFuzzer target for the chunked decoder and scanner. The first input byte picks a read
 * size; the rest is a chunked body fed once whole and once in reads of that size. Both
 * runs, and the scanner, must agree on consumed bytes, errors, the end, and the data.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "hc_http.h"

#define CHECK(c)                                                                                   \
    do {                                                                                           \
        if (!(c))                                                                                  \
            abort();                                                                               \
    } while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    hc_http_chunked_t c, sc;
    size_t dlen = 0;

    if (size < 1)
        return 0;
    size_t step = (size_t)data[0] % 17 + 1;
    size_t len = size - 1;
    char *whole = malloc(len ? len : 1);
    memcpy(whole, data + 1, len);

    hc_http_chunked_init(&c);
    int64_t r = hc_http_chunked_decode(&c, whole, len, &dlen);
    hc_http_chunked_init(&sc);
    int64_t rs = hc_http_chunked_scan(&sc, (const char *)data + 1, len);
    CHECK(r == rs && c.done == sc.done);
    if (r >= 0) {
        CHECK((size_t)r <= len && dlen <= (size_t)r);
        CHECK(c.done || (size_t)r == len);
    }

    /* the same bytes in reads of `step` bytes, each in an exact-size copy */
    char *out = malloc(len ? len : 1);
    size_t olen = 0, off = 0;
    int64_t total = 0;
    bool failed = false;
    hc_http_chunked_t p;
    hc_http_chunked_init(&p);
    while (off < len && !p.done) {
        size_t n = len - off < step ? len - off : step;
        char *piece = malloc(n);
        memcpy(piece, data + 1 + off, n);
        size_t d = 0;
        int64_t pr = hc_http_chunked_decode(&p, piece, n, &d);
        if (pr < 0) {
            free(piece);
            failed = true;
            break;
        }
        CHECK((size_t)pr <= n && d <= (size_t)pr);
        CHECK(p.done || (size_t)pr == n);
        memcpy(out + olen, piece, d);
        olen += d;
        total += pr;
        off += n;
        free(piece);
    }
    if (r < 0) {
        CHECK(failed);
    } else {
        CHECK(!failed && total == r && p.done == c.done && olen == dlen);
        CHECK(dlen == 0 || memcmp(out, whole, dlen) == 0);
    }
    free(out);
    free(whole);
    return 0;
}
