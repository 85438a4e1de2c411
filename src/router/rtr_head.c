/* Head rewriting (see rtr_head.h). */
#include <string.h>

#include "rtr_head.h"
#include "rtr_rand.h"

#define S(lit) HC_STR_LIT(lit)

static bool rtr_name_is(hc_str_t name, hc_str_t lit)
{
    return hc_str_eq_nocase(name, lit);
}

/* True when `name` appears as a token in a Connection header value. */
static bool rtr_connection_lists(hc_str_t conn, hc_str_t name)
{
    size_t i = 0;
    while (i < conn.len) {
        while (i < conn.len && (conn.p[i] == ',' || conn.p[i] == ' ' || conn.p[i] == '\t'))
            i++;
        size_t start = i;
        while (i < conn.len && conn.p[i] != ',' && conn.p[i] != ' ' && conn.p[i] != '\t')
            i++;
        if (i > start && hc_str_eq_nocase(hc_str(conn.p + start, i - start), name))
            return true;
    }
    return false;
}

/*
 * Hop-by-hop headers (RFC 9110 §7.6.1) and the ones the Connection header names. The
 * framing headers and Host are never dropped on a Connection token's say-so: forwarding a
 * body without its length is how requests get smuggled.
 */
static bool rtr_hop_by_hop(hc_str_t name, const hc_http_header_t *conn, bool keep_upgrade)
{
    if (rtr_name_is(name, S("connection")) || rtr_name_is(name, S("keep-alive")) ||
        rtr_name_is(name, S("proxy-connection")) || rtr_name_is(name, S("te")) ||
        rtr_name_is(name, S("proxy-authenticate")) || rtr_name_is(name, S("proxy-authorization")))
        return true;
    if (rtr_name_is(name, S("upgrade")))
        return !keep_upgrade;
    if (conn && rtr_connection_lists(conn->value, name)) {
        if (rtr_name_is(name, S("content-length")) || rtr_name_is(name, S("transfer-encoding")) ||
            rtr_name_is(name, S("host")))
            return false;
        return true;
    }
    return false;
}

static void rtr_put_u64(hc_buf_t *out, uint64_t v)
{
    char tmp[24];
    size_t i = sizeof(tmp);
    do {
        tmp[--i] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    hc_buf_append(out, tmp + i, sizeof(tmp) - i);
}

static void rtr_put_header_c(hc_buf_t *out, const char *name, size_t nlen, const char *value)
{
    hc_buf_append(out, name, nlen);
    hc_buf_append_str(out, value);
    hc_buf_append(out, "\r\n", 2);
}

static void rtr_put_header(hc_buf_t *out, hc_str_t name, hc_str_t value)
{
    hc_buf_append(out, name.p, name.len);
    hc_buf_append(out, ": ", 2);
    hc_buf_append(out, value.p, value.len);
    hc_buf_append(out, "\r\n", 2);
}

hc_str_t rtr_cookie_get(hc_str_t h, hc_str_t name)
{
    size_t i = 0;
    while (i < h.len) {
        while (i < h.len && (h.p[i] == ' ' || h.p[i] == ';' || h.p[i] == '\t'))
            i++;
        size_t ns = i;
        while (i < h.len && h.p[i] != '=' && h.p[i] != ';')
            i++;
        size_t ne = i;
        while (ne > ns && h.p[ne - 1] == ' ')
            ne--;
        if (i < h.len && h.p[i] == '=') {
            i++;
            size_t vs = i;
            while (i < h.len && h.p[i] != ';')
                i++;
            size_t ve = i;
            while (ve > vs && h.p[ve - 1] == ' ')
                ve--;
            if (hc_str_eq(hc_str(h.p + ns, ne - ns), name)) {
                if (ve - vs >= 2 && h.p[vs] == '"' && h.p[ve - 1] == '"') {
                    vs++;
                    ve--;
                }
                return hc_str(h.p + vs, ve - vs);
            }
        }
    }
    return HC_STR_NULL;
}

static bool rtr_is_hex(const char *p, size_t n, bool *nonzero)
{
    *nonzero = false;
    for (size_t i = 0; i < n; i++) {
        char c = p[i];
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')))
            return false;
        if (c != '0')
            *nonzero = true;
    }
    return true;
}

bool rtr_traceparent_valid(hc_str_t v)
{
    bool nz;
    if (v.len != 55 || v.p[2] != '-' || v.p[35] != '-' || v.p[52] != '-')
        return false;
    if (!rtr_is_hex(v.p, 2, &nz) || v.p[0] != '0' || v.p[1] != '0')
        return false;
    if (!rtr_is_hex(v.p + 3, 32, &nz) || !nz)
        return false;
    if (!rtr_is_hex(v.p + 36, 16, &nz) || !nz)
        return false;
    return rtr_is_hex(v.p + 53, 2, &nz);
}

bool rtr_app_instance_split(hc_str_t v, hc_str_t *app, hc_str_t *index)
{
    const char *colon = memchr(v.p, ':', v.len);
    if (!colon)
        return false;
    *app = hc_str(v.p, (size_t)(colon - v.p));
    *index = hc_str(colon + 1, v.len - app->len - 1);
    if (app->len == 0 || index->len == 0 || index->len > 7)
        return false;
    for (size_t i = 0; i < index->len; i++)
        if (index->p[i] < '0' || index->p[i] > '9')
            return false;
    return true;
}

void rtr_head_request(hc_buf_t *out, const hc_http_req_t *req, const rtr_head_in_t *in,
                      rtr_head_out_t *ret)
{
    const hc_http_header_t *conn =
        hc_http_header_find(req->headers, req->num_headers, S("connection"));
    bool have_proto = false, have_trace = false;
    hc_str_t xff_first = HC_STR_NULL;

    memset(ret, 0, sizeof(*ret));
    hc_buf_append(out, req->method.p, req->method.len);
    hc_buf_append_byte(out, ' ');
    hc_buf_append(out, req->target.p, req->target.len);
    hc_buf_append(out, " HTTP/1.1\r\n", 11);

    for (size_t i = 0; i < req->num_headers; i++) {
        const hc_http_header_t *h = &req->headers[i];
        hc_str_t n = h->name;
        if (rtr_hop_by_hop(n, conn, req->upgrade))
            continue;
        if (rtr_name_is(n, S("x-forwarded-for"))) {
            /* All X-Forwarded-For headers merged into one, the client's address last. */
            if (!xff_first.p) {
                xff_first = h->value;
                hc_buf_append_str(out, "X-Forwarded-For: ");
                for (size_t j = i; j < req->num_headers; j++) {
                    if (!rtr_name_is(req->headers[j].name, S("x-forwarded-for")))
                        continue;
                    hc_buf_append(out, req->headers[j].value.p, req->headers[j].value.len);
                    hc_buf_append(out, ", ", 2);
                }
                hc_buf_append_str(out, in->client_ip);
                hc_buf_append(out, "\r\n", 2);
            }
            continue;
        }
        if (rtr_name_is(n, S("x-vcap-request-id"))) {
            if (!ret->request_id[0] && hc_uuid_valid(h->value.p, h->value.len)) {
                memcpy(ret->request_id, h->value.p, HC_UUID_STR_LEN);
                ret->request_id[HC_UUID_STR_LEN] = '\0';
            }
            continue;
        }
        /* Always set by the router: a client must not pose as an instance. */
        if (rtr_name_is(n, S("x-cf-applicationid")) || rtr_name_is(n, S("x-cf-instanceid")) ||
            rtr_name_is(n, S("x-cf-instanceindex")) || rtr_name_is(n, S("x-request-start")))
            continue;
        if (rtr_name_is(n, S("x-forwarded-proto"))) {
            have_proto = true;
        } else if (rtr_name_is(n, S("x-cf-app-instance"))) {
            ret->app_instance = h->value;
        } else if (rtr_name_is(n, S("traceparent"))) {
            if (have_trace || !rtr_traceparent_valid(h->value))
                continue;
            have_trace = true;
        } else if (rtr_name_is(n, S("cookie")) && !ret->vcap_id.len) {
            ret->vcap_id = rtr_cookie_get(h->value, S("__VCAP_ID__"));
        }
        rtr_put_header(out, n, h->value);
    }
    if (!xff_first.p) {
        hc_buf_append_str(out, "X-Forwarded-For: ");
        hc_buf_append_str(out, in->client_ip);
        hc_buf_append(out, "\r\n", 2);
    }
    if (!have_proto)
        rtr_put_header_c(out, "X-Forwarded-Proto: ", 19, in->proto);
    if (!ret->request_id[0])
        rtr_uuid4(ret->request_id);
    hc_buf_append_str(out, "X-Vcap-Request-Id: ");
    hc_buf_append(out, ret->request_id, HC_UUID_STR_LEN);
    hc_buf_append_str(out, "\r\nX-Request-Start: ");
    rtr_put_u64(out, in->start_ms);
    hc_buf_append(out, "\r\n", 2);
    if (!have_trace) {
        /* "traceparent: 00-" + 32 hex + "-" + 16 hex + "-01\r\n" */
        char tp[80] = "traceparent: 00-";
        rtr_hex(tp + 16, 16);
        tp[48] = '-';
        rtr_hex(tp + 49, 8);
        memcpy(tp + 65, "-01\r\n", 5);
        hc_buf_append(out, tp, 70);
    }
    if (req->upgrade)
        hc_buf_append_str(out, "Connection: Upgrade\r\n");
}

void rtr_head_backend(hc_buf_t *out, const char *app, const char *instance_id, const char *index)
{
    if (app[0])
        rtr_put_header_c(out, "X-CF-ApplicationID: ", 20, app);
    if (instance_id[0])
        rtr_put_header_c(out, "X-CF-InstanceID: ", 17, instance_id);
    if (index[0])
        rtr_put_header_c(out, "X-CF-InstanceIndex: ", 20, index);
    hc_buf_append(out, "\r\n", 2);
}

/* The cookie name of a Set-Cookie value ("JSESSIONID=abc; Path=/" -> "JSESSIONID"). */
static hc_str_t rtr_set_cookie_name(hc_str_t v)
{
    const char *eq = memchr(v.p, '=', v.len);
    size_t n = eq ? (size_t)(eq - v.p) : 0;
    while (n > 0 && v.p[n - 1] == ' ')
        n--;
    return hc_str(v.p, n);
}

void rtr_head_response(hc_buf_t *out, const hc_http_resp_t *resp, const rtr_resp_in_t *in)
{
    const hc_http_header_t *conn =
        hc_http_header_find(resp->headers, resp->num_headers, S("connection"));
    const hc_http_header_t *jsession = NULL;
    bool has_vcap = false;

    hc_buf_append(out, "HTTP/1.1 ", 9);
    rtr_put_u64(out, (uint64_t)(resp->status_code > 0 ? resp->status_code : 0));
    hc_buf_append_byte(out, ' ');
    hc_buf_append(out, resp->reason.p, resp->reason.len);
    hc_buf_append(out, "\r\n", 2);
    for (size_t i = 0; i < resp->num_headers; i++) {
        const hc_http_header_t *h = &resp->headers[i];
        if (rtr_hop_by_hop(h->name, conn, in->upgrade))
            continue;
        if (h->name.len == 10 && rtr_name_is(h->name, S("set-cookie"))) {
            hc_str_t cname = rtr_set_cookie_name(h->value);
            if (hc_str_eq_nocase(cname, S("JSESSIONID")) && !jsession)
                jsession = h;
            else if (hc_str_eq(cname, S("__VCAP_ID__")))
                has_vcap = true;
        }
        rtr_put_header(out, h->name, h->value);
    }
    if (jsession && !has_vcap && in->instance_id && in->instance_id[0]) {
        /* Same attributes as the session cookie, so both expire and scope alike. */
        const char *semi = memchr(jsession->value.p, ';', jsession->value.len);
        hc_buf_appendf(out, "Set-Cookie: __VCAP_ID__=%s", in->instance_id);
        if (semi)
            hc_buf_append(out, semi, jsession->value.len - (size_t)(semi - jsession->value.p));
        hc_buf_append(out, "\r\n", 2);
    }
    if (in->request_id && in->request_id[0] &&
        !hc_http_header_find(resp->headers, resp->num_headers, S("x-vcap-request-id")))
        rtr_put_header_c(out, "X-Vcap-Request-Id: ", 19, in->request_id);
    if (in->upgrade)
        hc_buf_append_str(out, "Connection: Upgrade\r\n");
    else if (in->close)
        hc_buf_append_str(out, "Connection: close\r\n");
    else if (in->keep_alive10)
        hc_buf_append_str(out, "Connection: keep-alive\r\n");
    hc_buf_append(out, "\r\n", 2);
}
