/* The PROXY protocol header parser (see rtr_pp.h). */
#include <arpa/inet.h>
#include <string.h>
#include <sys/socket.h>

#include "rtr_pp.h"

static const char rtr_pp_v1_sig[] = "PROXY ";
static const char rtr_pp_v2_sig[12] = "\r\n\r\n\0\r\nQUIT\n";

/* Does buf (len bytes) start like sig, as far as both go? */
static bool rtr_pp_prefix(const char *buf, size_t len, const char *sig, size_t slen)
{
    return memcmp(buf, sig, len < slen ? len : slen) == 0;
}

/* A textual address of family af, at most 45 bytes, into out (NUL-terminated). */
static bool rtr_pp_addr(const char *p, size_t n, int af, char *out)
{
    unsigned char bin[16];
    if (n == 0 || n > 45)
        return false;
    memcpy(out, p, n);
    out[n] = '\0';
    return inet_pton(af, out, bin) == 1;
}

/* A port: 1 to 5 decimal digits, no leading zero unless it is "0", at most 65535. */
static bool rtr_pp_port(const char *p, size_t n, uint16_t *out)
{
    uint32_t v = 0;
    if (n == 0 || n > 5 || (n > 1 && p[0] == '0'))
        return false;
    for (size_t i = 0; i < n; i++) {
        if (p[i] < '0' || p[i] > '9')
            return false;
        v = v * 10 + (uint32_t)(p[i] - '0');
    }
    if (v > 65535)
        return false;
    *out = (uint16_t)v;
    return true;
}

/* Version 1: "PROXY TCP4|TCP6 SRC DST SPORT DPORT\r\n" or "PROXY UNKNOWN ...\r\n". */
static int rtr_pp_v1(const char *buf, size_t len, rtr_pp_t *out)
{
    size_t lim = RTR_PP_V1_MAX - 1; /* the CR, followed by LF, ends the line by byte 107 */
    size_t scan = len < lim ? len : lim;
    const char *cr = memchr(buf, '\r', scan);
    const char *lf = memchr(buf, '\n', cr ? (size_t)(cr - buf) : scan);
    if (lf)
        return HC_EPROTO; /* a bare LF */
    if (!cr)
        return len < lim ? HC_AGAIN : HC_EPROTO;
    size_t line = (size_t)(cr - buf);
    if (line + 1 >= len)
        return HC_AGAIN;
    if (cr[1] != '\n')
        return HC_EPROTO;
    out->version = 1;
    const char *rest = buf + sizeof(rtr_pp_v1_sig) - 1;
    size_t rlen = (size_t)(cr - rest);
    if (rlen >= 7 && memcmp(rest, "UNKNOWN", 7) == 0 && (rlen == 7 || rest[7] == ' ')) {
        out->local = true; /* the rest of the line, if any, is ignored (the spec says so) */
        return (int)(line + 2);
    }

    /* Split the line after "PROXY " into its 5 fields on single spaces. */
    const char *f[5];
    size_t fl[5], nf = 0;
    const char *p = rest, *end = cr;
    while (p < end) {
        const char *sp = memchr(p, ' ', (size_t)(end - p));
        const char *e = sp ? sp : end;
        if (nf == 5 || e == p)
            return HC_EPROTO;
        f[nf] = p;
        fl[nf++] = (size_t)(e - p);
        p = sp ? sp + 1 : end;
        if (sp && p == end)
            return HC_EPROTO; /* a trailing space */
    }
    if (nf != 5 || fl[0] != 4 || memcmp(f[0], "TCP", 3) != 0 || (f[0][3] != '4' && f[0][3] != '6'))
        return HC_EPROTO;
    int af = f[0][3] == '4' ? AF_INET : AF_INET6;
    if (!rtr_pp_addr(f[1], fl[1], af, out->src_ip) || !rtr_pp_addr(f[2], fl[2], af, out->dst_ip) ||
        !rtr_pp_port(f[3], fl[3], &out->src_port) || !rtr_pp_port(f[4], fl[4], &out->dst_port))
        return HC_EPROTO;
    out->family = af;
    return (int)(line + 2);
}

static uint16_t rtr_pp_be16(const unsigned char *p)
{
    return (uint16_t)((p[0] << 8) | p[1]);
}

/* Version 2: the 12-byte signature, version/command, family/protocol, length, addresses. */
static int rtr_pp_v2(const char *buf, size_t len, rtr_pp_t *out)
{
    const unsigned char *u = (const unsigned char *)buf;
    if (len < 16)
        return HC_AGAIN;
    if ((u[12] >> 4) != 2)
        return HC_EPROTO;
    unsigned cmd = u[12] & 0x0f;
    if (cmd > 1)
        return HC_EPROTO;
    size_t alen = rtr_pp_be16(u + 14);
    if (alen > RTR_PP_V2_MAX_LEN)
        return HC_EPROTO;
    if (len < 16 + alen)
        return HC_AGAIN;
    out->version = 2;
    unsigned fam = u[13] >> 4, proto = u[13] & 0x0f;
    if (fam > 3 || proto > 2)
        return HC_EPROTO;
    /* LOCAL (health checks by the balancer itself), UNSPEC, unix sockets: no address. */
    if (cmd == 0 || fam == 0 || fam == 3) {
        out->local = true;
        return (int)(16 + alen);
    }
    const unsigned char *a = u + 16;
    if (fam == 1) {
        if (alen < 12)
            return HC_EPROTO;
        inet_ntop(AF_INET, a, out->src_ip, sizeof(out->src_ip));
        inet_ntop(AF_INET, a + 4, out->dst_ip, sizeof(out->dst_ip));
        out->src_port = rtr_pp_be16(a + 8);
        out->dst_port = rtr_pp_be16(a + 10);
        out->family = AF_INET;
    } else {
        if (alen < 36)
            return HC_EPROTO;
        inet_ntop(AF_INET6, a, out->src_ip, sizeof(out->src_ip));
        inet_ntop(AF_INET6, a + 16, out->dst_ip, sizeof(out->dst_ip));
        out->src_port = rtr_pp_be16(a + 32);
        out->dst_port = rtr_pp_be16(a + 34);
        out->family = AF_INET6;
    }
    /* TLVs after the addresses carry nothing the router uses; they are skipped whole. */
    return (int)(16 + alen);
}

int rtr_pp_parse(const char *buf, size_t len, rtr_pp_t *out)
{
    memset(out, 0, sizeof(*out));
    if (len == 0)
        return HC_AGAIN;
    if (rtr_pp_prefix(buf, len, rtr_pp_v1_sig, sizeof(rtr_pp_v1_sig) - 1)) {
        if (len < sizeof(rtr_pp_v1_sig) - 1)
            return HC_AGAIN;
        return rtr_pp_v1(buf, len, out);
    }
    if (rtr_pp_prefix(buf, len, rtr_pp_v2_sig, sizeof(rtr_pp_v2_sig))) {
        if (len < sizeof(rtr_pp_v2_sig))
            return HC_AGAIN;
        return rtr_pp_v2(buf, len, out);
    }
    return 0;
}
