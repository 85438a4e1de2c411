/* xoshiro256** (Blackman and Vigna, public domain algorithm), seeded by getrandom. */
#include <stdint.h>
#include <string.h>

#include "rtr_rand.h"

static uint64_t rtr_rand_s[4];
static bool rtr_rand_seeded;

static inline uint64_t rtr_rotl(uint64_t x, int k)
{
    return (x << k) | (x >> (64 - k));
}

static uint64_t rtr_rand_next(void)
{
    if (!rtr_rand_seeded) {
        do
            hc_random_bytes(rtr_rand_s, sizeof(rtr_rand_s));
        while (!(rtr_rand_s[0] | rtr_rand_s[1] | rtr_rand_s[2] | rtr_rand_s[3]));
        rtr_rand_seeded = true;
    }
    uint64_t *s = rtr_rand_s;
    uint64_t result = rtr_rotl(s[1] * 5, 7) * 9, t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rtr_rotl(s[3], 45);
    return result;
}

static void rtr_rand_fill(unsigned char *b, size_t n)
{
    while (n) {
        uint64_t v = rtr_rand_next();
        size_t k = n < 8 ? n : 8;
        memcpy(b, &v, k);
        b += k;
        n -= k;
    }
}

void rtr_hex(char *out, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    unsigned char b[64];
    while (n) {
        size_t k = n < sizeof(b) ? n : sizeof(b);
        rtr_rand_fill(b, k);
        for (size_t i = 0; i < k; i++) {
            *out++ = hex[b[i] >> 4];
            *out++ = hex[b[i] & 15];
        }
        n -= k;
    }
    *out = '\0';
}

void rtr_uuid4(char out[HC_UUID_STR_LEN + 1])
{
    static const char hex[] = "0123456789abcdef";
    unsigned char b[16];
    rtr_rand_fill(b, sizeof(b));
    b[6] = (unsigned char)((b[6] & 0x0f) | 0x40);
    b[8] = (unsigned char)((b[8] & 0x3f) | 0x80);
    char *o = out;
    for (int i = 0; i < 16; i++) {
        if (i == 4 || i == 6 || i == 8 || i == 10)
            *o++ = '-';
        *o++ = hex[b[i] >> 4];
        *o++ = hex[b[i] & 15];
    }
    *o = '\0';
}
