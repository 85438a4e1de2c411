/*
 * The chunked transfer coding (RFC 9112 §7.1), decoded or only followed. The state machine
 * survives between calls, so a body split anywhere across reads costs no copy. It is
 * strict on purpose: line ends are CRLF only, chunk extensions carry no control bytes, and
 * whitespace after the size must lead to an extension. The router forwards chunked bodies
 * as they came, and a lenient reading that differs from the backend's is how requests are
 * smuggled.
 */
#include "http_internal.h"

enum {
    CS_SIZE_START = 0, /* first hex digit of a chunk size */
    CS_SIZE,           /* more hex digits, or what ends them */
    CS_EXT_BWS,        /* whitespace after the size: ';' must follow */
    CS_EXT,            /* chunk extensions up to CR */
    CS_SIZE_LF,
    CS_DATA,
    CS_DATA_CR,
    CS_DATA_LF,
    CS_TRAILER_START, /* a trailer field or the empty line that ends the body */
    CS_TRAILER_NAME,
    CS_TRAILER_VALUE,
    CS_TRAILER_LF,
    CS_END_LF,
    CS_DONE,
};

#define HC__CHUNK_MAX (UINT64_C(1) << 60)

static int hexval(unsigned char ch)
{
    if ((unsigned)(ch - '0') < 10u)
        return ch - '0';
    ch |= 0x20;
    if ((unsigned)(ch - 'a') < 6u)
        return ch - 'a' + 10;
    return -1;
}

void hc_http_chunked_init(hc_http_chunked_t *c)
{
    memset(c, 0, sizeof(*c));
}

/* Runs the state machine over [buf, buf+len); copies chunk data to out when out is set. */
static int64_t run(hc_http_chunked_t *c, const char *buf, size_t len, char *out,
                   size_t *ret_out_len)
{
    const char *p = buf, *end = buf + len;
    size_t o = 0;
    int d;

    if (c->done)
        goto out;
    while (p < end) {
        unsigned char ch = (unsigned char)*p;
        if (c->state == CS_DATA) {
            size_t n = (size_t)HC_MIN(c->remaining, (uint64_t)(end - p));
            if (out && out + o != p)
                memmove(out + o, p, n);
            o += n;
            p += n;
            c->remaining -= n;
            if (c->remaining == 0)
                c->state = CS_DATA_CR;
            continue;
        }
        /* The limit is on the line without its CRLF. */
        if ((c->state < CS_SIZE_LF ||
             (c->state >= CS_TRAILER_NAME && c->state <= CS_TRAILER_VALUE)) &&
            ch != '\r') {
            if (++c->line_len > HC_HTTP_MAX_CHUNK_LINE)
                return HC_EPROTO;
        }
        if (c->state >= CS_TRAILER_START && ++c->trailer_len > HC_HTTP_MAX_HEAD)
            return HC_EPROTO;
        switch (c->state) {
        case CS_SIZE_START:
            if ((d = hexval(ch)) < 0)
                return HC_EPROTO;
            c->remaining = (uint64_t)d;
            c->state = CS_SIZE;
            break;
        case CS_SIZE:
            if ((d = hexval(ch)) >= 0) {
                if (c->remaining > (HC__CHUNK_MAX - (uint64_t)d) / 16)
                    return HC_EPROTO;
                c->remaining = c->remaining * 16 + (uint64_t)d;
            } else if (ch == ';') {
                c->state = CS_EXT;
            } else if (ch == ' ' || ch == '\t') {
                c->state = CS_EXT_BWS;
            } else if (ch == '\r') {
                c->state = CS_SIZE_LF;
            } else {
                return HC_EPROTO;
            }
            break;
        case CS_EXT_BWS:
            if (ch == ';')
                c->state = CS_EXT;
            else if (ch != ' ' && ch != '\t')
                return HC_EPROTO;
            break;
        case CS_EXT:
            if (ch == '\r')
                c->state = CS_SIZE_LF;
            else if (!hc__http_vchar[ch] && ch != '\t')
                return HC_EPROTO;
            break;
        case CS_SIZE_LF:
            if (ch != '\n')
                return HC_EPROTO;
            c->line_len = 0;
            c->state = c->remaining ? CS_DATA : CS_TRAILER_START;
            break;
        case CS_DATA_CR:
            if (ch != '\r')
                return HC_EPROTO;
            c->state = CS_DATA_LF;
            break;
        case CS_DATA_LF:
            if (ch != '\n')
                return HC_EPROTO;
            c->state = CS_SIZE_START;
            break;
        case CS_TRAILER_START:
            if (ch == '\r') {
                c->state = CS_END_LF;
            } else if (hc__http_tchar[ch]) {
                c->line_len = 1;
                c->state = CS_TRAILER_NAME;
            } else {
                return HC_EPROTO;
            }
            break;
        case CS_TRAILER_NAME:
            if (ch == ':')
                c->state = CS_TRAILER_VALUE;
            else if (!hc__http_tchar[ch])
                return HC_EPROTO;
            break;
        case CS_TRAILER_VALUE:
            if (ch == '\r')
                c->state = CS_TRAILER_LF;
            else if (!hc__http_vchar[ch] && ch != '\t')
                return HC_EPROTO;
            break;
        case CS_TRAILER_LF:
            if (ch != '\n')
                return HC_EPROTO;
            c->line_len = 0;
            c->state = CS_TRAILER_START;
            break;
        case CS_END_LF:
            if (ch != '\n')
                return HC_EPROTO;
            c->state = CS_DONE;
            c->done = true;
            p++;
            goto out;
        default:
            return HC_EPROTO; /* CS_DONE is left through c->done */
        }
        p++;
    }
out:
    if (ret_out_len)
        *ret_out_len = o;
    return (int64_t)(p - buf);
}

int64_t hc_http_chunked_decode(hc_http_chunked_t *c, char *buf, size_t len, size_t *ret_data_len)
{
    return run(c, buf, len, buf, ret_data_len);
}

int64_t hc_http_chunked_scan(hc_http_chunked_t *c, const char *buf, size_t len)
{
    return run(c, buf, len, NULL, NULL);
}
