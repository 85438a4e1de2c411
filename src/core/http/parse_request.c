/*
 * Request heads (RFC 9112 §3, §5, §6). The parser re-reads the head from its first byte
 * on every call, like picohttpparser: a head is small, the common case is a head that
 * arrived whole, and no state has to live between reads. Only the search for the end of
 * the head is incremental (`last_len`), so a head trickling in byte by byte costs linear
 * time, not quadratic.
 */
#include "http_internal.h"

static int fail(hc_http_req_t *req, int status, int r)
{
    req->status = status;
    return r;
}

static bool is_scheme_char(unsigned char c)
{
    return (unsigned)((c | 0x20) - 'a') < 26u || (unsigned)(c - '0') < 10u || c == '+' ||
           c == '-' || c == '.';
}

/*
 * Checks the form of the request-target (RFC 9112 §3.2) and fills path, query and
 * authority. origin-form "/p?q" is the common case; absolute-form "http://h/p?q" is what
 * proxies receive; authority-form "h:port" is for CONNECT only; "*" for OPTIONS only.
 */
static int split_target(hc_http_req_t *req)
{
    const char *t = req->target.p, *end = t + req->target.len, *p;

    if (req->method.len == 7 && memcmp(req->method.p, "CONNECT", 7) == 0) {
        if (t[0] == '/')
            return HC_EPROTO;
        for (p = t; p < end; p++)
            if (!hc__http_hostchar[(unsigned char)*p])
                return HC_EPROTO;
        req->authority = req->target;
        req->path = hc_str(end, 0);
        req->query = hc_str(end, 0);
        return 0;
    }
    if (t[0] == '*') {
        if (req->target.len != 1 || req->method.len != 7 ||
            memcmp(req->method.p, "OPTIONS", 7) != 0)
            return HC_EPROTO;
        req->path = req->target;
        req->query = hc_str(end, 0);
        return 0;
    }
    p = t;
    if (t[0] != '/') {
        /* absolute-form: scheme "://" authority path-abempty [ "?" query ] */
        if ((unsigned)((t[0] | 0x20) - 'a') >= 26u)
            return HC_EPROTO;
        while (p < end && is_scheme_char((unsigned char)*p))
            p++;
        if (end - p < 3 || memcmp(p, "://", 3) != 0)
            return HC_EPROTO;
        p += 3;
        const char *a = p;
        while (p < end && *p != '/' && *p != '?')
            p++;
        /* RFC 9110 §4.2.4: userinfo ('@' is not a host byte) is an error, so is no host. */
        if (p == a)
            return HC_EPROTO;
        for (const char *q = a; q < p; q++)
            if (!hc__http_hostchar[(unsigned char)*q])
                return HC_EPROTO;
        req->authority = hc_str(a, (size_t)(p - a));
    }
    const char *q = memchr(p, '?', (size_t)(end - p));
    if (q) {
        req->path = hc_str(p, (size_t)(q - p));
        req->query = hc_str(q + 1, (size_t)(end - q - 1));
    } else {
        req->path = hc_str(p, (size_t)(end - p));
        req->query = hc_str(end, 0);
    }
    return 0;
}

/* Applies the framing rules of RFC 9112 §6.1-6.3 to a request, refusing ambiguity. */
static int derive(hc_http_req_t *req, const hc__http_fields_t *f)
{
    if (f->has_te) {
        /* HTTP/1.0 has no Transfer-Encoding: a 1.0 message with one is a framing attack. */
        if (req->minor_version == 0 || f->has_cl)
            return fail(req, 400, HC_EPROTO);
        if (f->te_malformed || !f->te_chunked_last || f->te_chunked_twice)
            return fail(req, 400, HC_EPROTO);
        if (f->te_other)
            return fail(req, 501, HC_EPROTO);
        req->body = HC_HTTP_BODY_CHUNKED;
    } else if (f->has_cl) {
        req->body = HC_HTTP_BODY_LENGTH;
        req->content_length = f->cl;
    }
    /* RFC 9112 §3.2: a 1.1 request needs exactly one Host; any request at most one. */
    if (f->host_count > 1 || (req->minor_version == 1 && f->host_count == 0))
        return fail(req, 400, HC_EPROTO);
    req->host = f->host;
    if (req->minor_version == 1)
        req->keep_alive = !f->conn_close;
    else
        req->keep_alive = f->conn_keep_alive && !f->conn_close;
    req->upgrade = f->conn_upgrade && f->has_upgrade;
    /* RFC 9110 §10.1.1: a server ignores 100-continue from an HTTP/1.0 client. */
    req->expect_continue = f->expect_continue && req->minor_version == 1;
    return 0;
}

int hc_http_parse_request(const char *buf, size_t len, size_t last_len, hc_http_req_t *req)
{
    hc__http_fields_t f = {.headers = req->headers,
                           .cap = HC_MIN(req->num_headers, (size_t)HC_HTTP_MAX_HEADERS),
                           .request = true};
    const char *p, *end, *line_end, *m, *t;
    int r;

    req->status = 0;
    if (last_len != 0 && last_len <= len && !hc__http_head_may_end(buf, len, last_len)) {
        if (len > HC_HTTP_MAX_HEAD)
            return fail(req, 431, HC_ETOOBIG);
        /* The call at last_len would have seen an over-long request line already. */
        if (len <= HC_HTTP_MAX_REQUEST_LINE || last_len > HC_HTTP_MAX_REQUEST_LINE + 1)
            return HC_AGAIN;
    }
    req->method = req->target = req->path = req->query = req->authority = req->host = HC_STR_NULL;
    req->minor_version = 0;
    req->body = HC_HTTP_BODY_NONE;
    req->content_length = 0;
    req->keep_alive = req->upgrade = req->expect_continue = false;

    /*
     * Limits are windows: the head is parsed in its first HC_HTTP_MAX_HEAD bytes and the
     * request line (with the empty lines a client may send before it, RFC 9112 §2.2) in
     * its first HC_HTTP_MAX_REQUEST_LINE bytes. Running out of a window while more bytes
     * exist means the limit was passed; otherwise more bytes are needed.
     */
    p = buf;
    end = buf + HC_MIN(len, (size_t)HC_HTTP_MAX_HEAD);
    line_end = buf + HC_MIN(len, (size_t)HC_HTTP_MAX_REQUEST_LINE);
    while (p < line_end && *p == '\r') {
        if (p + 1 == end)
            return HC_AGAIN;
        if (p[1] != '\n')
            return fail(req, 400, HC_EPROTO);
        p += 2;
    }

    /* method SP: most requests are GET, so test that first. */
    m = p;
    if (line_end - p >= 4 && memcmp(p, "GET ", 4) == 0)
        p += 3;
    else
        p = hc__http_find_token_end(p, line_end);
    if (p >= line_end)
        goto line_short;
    if (*p != ' ' || p == m)
        return fail(req, 400, HC_EPROTO);
    req->method = hc_str(m, (size_t)(p - m));
    p++;

    /* request-target SP */
    t = p;
    p = hc__http_find_target_end(p, line_end);
    if (p == line_end)
        goto line_short;
    if (*p != ' ' || p == t)
        return fail(req, 400, HC_EPROTO);
    req->target = hc_str(t, (size_t)(p - t));
    p++;

    /* HTTP-version CRLF */
    if (line_end - p < 8)
        goto line_short;
    if (memcmp(p, "HTTP/", 5) != 0 || (unsigned)(p[5] - '0') > 9 || p[6] != '.' ||
        (unsigned)(p[7] - '0') > 9)
        return fail(req, 400, HC_EPROTO);
    if (p[5] != '1')
        return fail(req, 505, HC_EPROTO);
    /* RFC 9110 §2.5: a higher 1.x minor version is handled as the highest we implement. */
    req->minor_version = p[7] == '0' ? 0 : 1;
    p += 8;
    /* The CRLF may sit just past line_end; end is buf + len here (the line is short). */
    if (p == end)
        return HC_AGAIN;
    if (*p != '\r')
        return fail(req, 400, HC_EPROTO);
    if (p + 1 == end)
        return HC_AGAIN;
    if (p[1] != '\n')
        return fail(req, 400, HC_EPROTO);
    p += 2;
    /* The request line is complete: a target of the wrong form fails now, not later. */
    if (split_target(req) < 0)
        return fail(req, 400, HC_EPROTO);

    r = hc__http_parse_fields(&p, end, &f);
    if (r == HC_AGAIN)
        return len > HC_HTTP_MAX_HEAD ? fail(req, 431, HC_ETOOBIG) : HC_AGAIN;
    if (r == HC_ETOOBIG)
        return fail(req, 431, HC_ETOOBIG);
    if (r < 0)
        return fail(req, 400, HC_EPROTO);
    r = derive(req, &f);
    if (r < 0)
        return r;
    req->num_headers = f.n;
    return (int)(p - buf);

line_short:
    if (line_end < buf + len)
        return fail(req, 414, HC_ETOOBIG);
    return HC_AGAIN;
}
