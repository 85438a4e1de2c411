/*
 * Response heads (RFC 9112 §4, §6.3), parsed the way requests are (see parse_request.c).
 * A proxy answers every malformed response with 502, so `status` is 502 on any error.
 */
#include "http_internal.h"

static int fail(hc_http_resp_t *resp, int r)
{
    resp->status = 502;
    return r;
}

/* RFC 9112 §6.3: the length of a response body, given the request method and the fields. */
static int derive(hc_http_resp_t *resp, bool head_request, const hc__http_fields_t *f)
{
    int code = resp->status_code;

    /* A message two parsers could frame differently is refused (RFC 9112 §6.1, §6.3). */
    if (f->has_te &&
        (f->has_cl || f->te_malformed || f->te_chunked_twice || resp->minor_version == 0))
        return fail(resp, HC_EPROTO);
    if (resp->minor_version == 1)
        resp->keep_alive = !f->conn_close;
    else
        resp->keep_alive = f->conn_keep_alive && !f->conn_close;
    resp->content_length = f->cl;
    if (code == 101) {
        resp->upgrade = true;
        resp->body = HC_HTTP_BODY_NONE;
    } else if (head_request || code < 200 || code == 204 || code == 304) {
        resp->body = HC_HTTP_BODY_NONE;
    } else if (f->has_te) {
        /* A response whose last coding is not chunked runs until the connection closes. */
        resp->body = f->te_chunked_last ? HC_HTTP_BODY_CHUNKED : HC_HTTP_BODY_UNTIL_CLOSE;
    } else if (f->has_cl) {
        resp->body = HC_HTTP_BODY_LENGTH;
    } else {
        resp->body = HC_HTTP_BODY_UNTIL_CLOSE;
    }
    if (resp->body == HC_HTTP_BODY_UNTIL_CLOSE)
        resp->keep_alive = false;
    return 0;
}

int hc_http_parse_response(const char *buf, size_t len, size_t last_len, bool head_request,
                           hc_http_resp_t *resp)
{
    hc__http_fields_t f = {.headers = resp->headers,
                           .cap = HC_MIN(resp->num_headers, (size_t)HC_HTTP_MAX_HEADERS)};
    const char *p, *end, *line_end, *reason;
    int r;

    resp->status = 0;
    if (last_len != 0 && last_len <= len && !hc__http_head_may_end(buf, len, last_len)) {
        if (len > HC_HTTP_MAX_HEAD)
            return fail(resp, HC_ETOOBIG);
        if (len <= HC_HTTP_MAX_REQUEST_LINE || last_len > HC_HTTP_MAX_REQUEST_LINE + 1)
            return HC_AGAIN;
    }
    resp->minor_version = 0;
    resp->status_code = 0;
    resp->reason = HC_STR_NULL;
    resp->body = HC_HTTP_BODY_NONE;
    resp->content_length = 0;
    resp->keep_alive = resp->upgrade = false;

    p = buf;
    end = buf + HC_MIN(len, (size_t)HC_HTTP_MAX_HEAD);
    line_end = buf + HC_MIN(len, (size_t)HC_HTTP_MAX_REQUEST_LINE);

    /* HTTP-version SP 3DIGIT [ SP reason-phrase ] CRLF; the reason may be missing. */
    if (line_end - p < 13)
        goto line_short;
    if (memcmp(p, "HTTP/1.", 7) != 0 || (unsigned)(p[7] - '0') > 9 || p[8] != ' ' ||
        (unsigned)(p[9] - '0') > 9 || (unsigned)(p[10] - '0') > 9 || (unsigned)(p[11] - '0') > 9 ||
        p[9] == '0')
        return fail(resp, HC_EPROTO);
    resp->minor_version = p[7] == '0' ? 0 : 1;
    resp->status_code = (p[9] - '0') * 100 + (p[10] - '0') * 10 + (p[11] - '0');
    p += 12;
    if (*p == ' ') {
        p++;
        reason = p;
        p = hc__http_find_value_end(p, line_end);
        if (p == line_end)
            goto line_short;
        resp->reason = hc_str(reason, (size_t)(p - reason));
    } else {
        resp->reason = hc_str(p, 0);
    }
    if (*p != '\r')
        return fail(resp, HC_EPROTO);
    if (p + 1 == end)
        return HC_AGAIN;
    if (p[1] != '\n')
        return fail(resp, HC_EPROTO);
    p += 2;

    r = hc__http_parse_fields(&p, end, &f);
    if (r == HC_AGAIN)
        return len > HC_HTTP_MAX_HEAD ? fail(resp, HC_ETOOBIG) : HC_AGAIN;
    if (r < 0)
        return fail(resp, r);
    r = derive(resp, head_request, &f);
    if (r < 0)
        return r;
    resp->num_headers = f.n;
    return (int)(p - buf);

line_short:
    if (line_end < buf + len)
        return fail(resp, HC_ETOOBIG);
    /* Fail early on bytes that can never start a status line. */
    if (memcmp(buf, "HTTP/1.", HC_MIN(len, (size_t)7)) != 0)
        return fail(resp, HC_EPROTO);
    return HC_AGAIN;
}
