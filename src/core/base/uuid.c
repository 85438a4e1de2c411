/* Random identifiers from getrandom(2). */
#include <stdio.h>
#include <sys/random.h>

#include "hc_base.h"
#include "hc_uuid.h"

void hc_random_bytes(void *buf, size_t len)
{
    unsigned char *p = buf;
    while (len > 0) {
        ssize_t n = getrandom(p, len, 0);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            hc_assert(!"getrandom failed");
        }
        p += n;
        len -= (size_t)n;
    }
}

void hc_random_hex(char *out, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    unsigned char raw[64];
    size_t o = 0;
    while (n > 0) {
        size_t chunk = HC_MIN(n, sizeof(raw));
        hc_random_bytes(raw, chunk);
        for (size_t i = 0; i < chunk; i++) {
            out[o++] = hex[raw[i] >> 4];
            out[o++] = hex[raw[i] & 15];
        }
        n -= chunk;
    }
    out[o] = '\0';
}

void hc_uuid4(char out[HC_UUID_STR_LEN + 1])
{
    unsigned char b[16];
    hc_random_bytes(b, sizeof(b));
    b[6] = (unsigned char)((b[6] & 0x0f) | 0x40);
    b[8] = (unsigned char)((b[8] & 0x3f) | 0x80);
    snprintf(out, HC_UUID_STR_LEN + 1,
             "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", b[0], b[1],
             b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13], b[14],
             b[15]);
}

bool hc_uuid_valid(const char *s, size_t len)
{
    if (len != HC_UUID_STR_LEN)
        return false;
    for (size_t i = 0; i < len; i++) {
        char c = s[i];
        if (i == 8 || i == 13 || i == 18 || i == 23) {
            if (c != '-')
                return false;
        } else if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'))) {
            return false;
        }
    }
    return true;
}
