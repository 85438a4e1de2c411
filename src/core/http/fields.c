/*
 * The header-field loop shared by request and response heads (RFC 9112 §5), and the
 * interpretation of the fields that decide framing and connection reuse.
 */
#include "http_internal.h"

/*
 * Content-Length is 1*DIGIT (RFC 9110 §8.6). Signs, spaces inside, comma lists and values
 * past INT64_MAX are rejected, and repeated fields must carry the same value: a message
 * two parsers could frame differently is refused, not guessed at.
 */
static int parse_content_length(const char *v, size_t len, hc__http_fields_t *f)
{
    uint64_t x = 0;

    if (len == 0)
        return HC_EPROTO;
    for (size_t i = 0; i < len; i++) {
        unsigned d = (unsigned char)v[i] - '0';
        if (d > 9 || x > (uint64_t)(INT64_MAX - d) / 10)
            return HC_EPROTO;
        x = x * 10 + d;
    }
    if (f->has_cl && f->cl != x)
        return HC_EPROTO;
    f->has_cl = true;
    f->cl = x;
    return 0;
}

/*
 * Splits a comma-separated list (RFC 9110 §5.6.1) into elements without surrounding OWS;
 * empty elements are skipped. Returns false when the list is exhausted.
 */
static bool next_element(const char **pp, const char *end, const char **ret_p, size_t *ret_len)
{
    const char *p = *pp;

    while (p < end && (*p == ',' || *p == ' ' || *p == '\t'))
        p++;
    if (p == end)
        return false;
    const char *s = p;
    while (p < end && *p != ',')
        p++;
    const char *e = p;
    while (e > s && (e[-1] == ' ' || e[-1] == '\t'))
        e--;
    *pp = p;
    *ret_p = s;
    *ret_len = (size_t)(e - s);
    return true;
}

static bool is_token(const char *s, size_t len)
{
    for (size_t i = 0; i < len; i++)
        if (!hc__http_tchar[(unsigned char)s[i]])
            return false;
    return len > 0;
}

/*
 * Transfer-Encoding (RFC 9112 §6.1): records which codings appear and in what order, so
 * that the request and response parsers can apply their different rules. Several field
 * lines form one list, in order.
 */
static void parse_transfer_encoding(const char *v, size_t len, hc__http_fields_t *f)
{
    const char *p = v, *end = v + len, *e;
    size_t elen;
    bool any = false;

    f->has_te = true;
    while (next_element(&p, end, &e, &elen)) {
        any = true;
        if (!is_token(e, elen)) {
            f->te_malformed = true; /* parameters or garbage */
        } else if (HC__HTTP_EQ(e, elen, "chunked")) {
            if (f->te_chunked_last || f->te_after_chunked)
                f->te_chunked_twice = true;
            f->te_chunked_last = true;
        } else {
            if (f->te_chunked_last)
                f->te_after_chunked = true;
            f->te_chunked_last = false;
            f->te_other = true;
        }
    }
    if (!any)
        f->te_malformed = true;
}

static void parse_connection(const char *v, size_t len, hc__http_fields_t *f)
{
    const char *p = v, *end = v + len, *e;
    size_t elen;

    while (next_element(&p, end, &e, &elen)) {
        if (HC__HTTP_EQ(e, elen, "close"))
            f->conn_close = true;
        else if (HC__HTTP_EQ(e, elen, "keep-alive"))
            f->conn_keep_alive = true;
        else if (HC__HTTP_EQ(e, elen, "upgrade"))
            f->conn_upgrade = true;
    }
}

static int parse_host(const char *v, size_t len, hc__http_fields_t *f)
{
    for (size_t i = 0; i < len; i++)
        if (!hc__http_hostchar[(unsigned char)v[i]])
            return HC_EPROTO;
    f->host = hc_str(v, len);
    f->host_count++;
    return 0;
}

/* Looks at the few fields the parser itself needs; the length switch keeps this cheap. */
static int interpret_field(const char *name, size_t name_len, const char *v, size_t len,
                           hc__http_fields_t *f)
{
    switch (name_len) {
    case 4:
        if (f->request && HC__HTTP_EQ(name, name_len, "host"))
            return parse_host(v, len, f);
        break;
    case 6:
        if (f->request && HC__HTTP_EQ(name, name_len, "expect") &&
            HC__HTTP_EQ(v, len, "100-continue"))
            f->expect_continue = true;
        break;
    case 7:
        if (HC__HTTP_EQ(name, name_len, "upgrade") && len > 0)
            f->has_upgrade = true;
        break;
    case 10:
        if (HC__HTTP_EQ(name, name_len, "connection"))
            parse_connection(v, len, f);
        break;
    case 14:
        if (HC__HTTP_EQ(name, name_len, "content-length"))
            return parse_content_length(v, len, f);
        break;
    case 17:
        if (HC__HTTP_EQ(name, name_len, "transfer-encoding"))
            parse_transfer_encoding(v, len, f);
        break;
    default:
        break;
    }
    return 0;
}

int hc__http_parse_fields(const char **pp, const char *end, hc__http_fields_t *f)
{
    const char *p = *pp;
    hc_http_header_t *h = f->headers;
    size_t n = f->n, cap = f->cap; /* locals: stores into h cannot alias them */
    int r = 0;

    for (;;) {
        if (p == end) {
            r = HC_AGAIN;
            break;
        }
        if (*p == '\r') {
            if (p + 1 == end) {
                r = HC_AGAIN;
                break;
            }
            if (p[1] != '\n') {
                r = HC_EPROTO;
                break;
            }
            *pp = p + 2;
            break;
        }
        if (n == cap) {
            r = HC_ETOOBIG;
            break;
        }
        /*
         * field-name is a token directly followed by ':'. A line that starts with SP or
         * HTAB (obs-fold, or whitespace after the start-line) and whitespace before the
         * colon both fail here (RFC 9112 §5.1, §5.2).
         */
        const char *name = p;
        p = hc__http_find_token_end(p, end);
        if (p == end) {
            r = HC_AGAIN;
            break;
        }
        if (*p != ':' || p == name) {
            r = HC_EPROTO;
            break;
        }
        size_t name_len = (size_t)(p - name);
        p++;
        while (p < end && (*p == ' ' || *p == '\t'))
            p++;
        const char *value = p;
        p = hc__http_find_value_end(p, end);
        if (p == end) {
            r = HC_AGAIN;
            break;
        }
        /* A CTL in the value, a bare LF, or a bare CR. */
        if (*p != '\r' || (p + 1 < end && p[1] != '\n')) {
            r = HC_EPROTO;
            break;
        }
        if (p + 1 == end) {
            r = HC_AGAIN;
            break;
        }
        const char *vend = p;
        while (vend > value && (vend[-1] == ' ' || vend[-1] == '\t'))
            vend--;
        p += 2;
        size_t value_len = (size_t)(vend - value);
        h[n].name = hc_str(name, name_len);
        h[n].value = hc_str(value, value_len);
        n++;
        r = interpret_field(name, name_len, value, value_len, f);
        if (r < 0)
            break;
    }
    f->n = n;
    return r;
}

bool hc__http_head_may_end(const char *buf, size_t len, size_t last_len)
{
    const char *p = buf + last_len, *end = buf + len;

    /* The final LF of "\r\n\r\n" must be new; the three bytes before it may be old. */
    while (p < end && (p = memchr(p, '\n', (size_t)(end - p))) != NULL) {
        if (p - buf >= 3 && p[-1] == '\r' && p[-2] == '\n' && p[-3] == '\r')
            return true;
        p++;
    }
    return false;
}
