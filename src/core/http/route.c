/* The HTTP server's route table: method + path pattern with ":name" captures and a final "*". */
#include <string.h>

#include "server_int.h"

/*
 * Matches one pattern against a path, segment by segment, without allocating. Captures point
 * into the path. A single trailing slash on the path is tolerated ("/apps/" matches "/apps").
 */
static bool route_match(const char *pat, hc_str_t path, hc_http_param_t *params, size_t *ret_n)
{
    size_t plen = strlen(pat), pi = 0, qi = 0, n = 0;

    for (;;) {
        if (pi == plen)
            goto end;
        if (pat[pi] != '/')
            return false;
        /* A final slash-star also matches the path that stops right before it. */
        if (qi == path.len && plen - pi == 2 && pat[pi + 1] == '*') {
            params[n++] = (hc_http_param_t){HC_STR_LIT("*"), hc_str(path.p + qi, 0)};
            goto end;
        }
        if (qi >= path.len || path.p[qi] != '/')
            return false;
        pi++;
        qi++;
        size_t pe = pi, qe = qi;
        while (pe < plen && pat[pe] != '/')
            pe++;
        while (qe < path.len && path.p[qe] != '/')
            qe++;
        if (pe - pi == 1 && pat[pi] == '*' && pe == plen) {
            params[n++] = (hc_http_param_t){HC_STR_LIT("*"), hc_str(path.p + qi, path.len - qi)};
            qi = path.len;
            goto end;
        }
        if (pat[pi] == ':') {
            if (qe == qi)
                return false;
            params[n++] =
                (hc_http_param_t){hc_str(pat + pi + 1, pe - pi - 1), hc_str(path.p + qi, qe - qi)};
        } else if (pe - pi != qe - qi || memcmp(pat + pi, path.p + qi, pe - pi) != 0) {
            return false;
        }
        pi = pe;
        qi = qe;
    }
end:
    if (qi == path.len || (qi + 1 == path.len && path.p[qi] == '/' && plen > 1)) {
        *ret_n = n;
        return true;
    }
    return false;
}

static bool method_allows(const char *route_method, hc_str_t method)
{
    if (!route_method)
        return true;
    if (hc_str_eq(hc_str_c(route_method), method))
        return true;
    /* HEAD is served by the GET handler; the server drops the body. */
    return strcmp(route_method, "GET") == 0 && hc_str_eq(method, HC_STR_LIT("HEAD"));
}

int hc__http_route_find(const hc__http_route_t *routes, hc_str_t method, hc_str_t path,
                        hc_http_request_t *req, const hc__http_route_t **ret_route, hc_buf_t *allow)
{
    hc_http_param_t params[HC_HTTP_MAX_PARAMS];
    bool path_matched = false;
    size_t n;

    for (const hc__http_route_t *r = routes; r; r = r->next) {
        if (!route_match(r->pattern, path, params, &n))
            continue;
        if (method_allows(r->method, method)) {
            memcpy(req->params, params, n * sizeof(params[0]));
            req->num_params = n;
            *ret_route = r;
            return 0;
        }
        if (allow && r->method) {
            hc_buf_appendf(allow, "%s%s", path_matched ? ", " : "", r->method);
            if (strcmp(r->method, "GET") == 0)
                hc_buf_append_str(allow, ", HEAD");
        }
        path_matched = true;
    }
    return path_matched ? 405 : 404;
}

void hc__http_routes_free(hc__http_route_t *routes)
{
    while (routes) {
        hc__http_route_t *next = routes->next;
        free(routes->method);
        free(routes->pattern);
        free(routes);
        routes = next;
    }
}

void hc_http_server_route(hc_http_server_t *srv, const char *method, const char *pattern,
                          hc_http_handler_fn fn, void *data)
{
    size_t captures = 0;

    hc_assert(pattern && pattern[0] == '/' && fn);
    for (const char *p = pattern; *p; p++)
        if (*p == ':' || *p == '*')
            captures++;
    hc_assert(captures <= HC_HTTP_MAX_PARAMS);

    hc__http_route_t *r = hc_calloc(1, sizeof(*r));
    r->method = method ? hc_strdup(method) : NULL;
    r->pattern = hc_strdup(pattern);
    r->fn = fn;
    r->data = data;
    *srv->routes_tail = r;
    srv->routes_tail = &r->next;
}

hc_str_t hc_http_req_param(const hc_http_request_t *req, const char *name)
{
    hc_str_t want = hc_str_c(name);
    for (size_t i = 0; i < req->num_params; i++)
        if (hc_str_eq(req->params[i].name, want))
            return req->params[i].value;
    return HC_STR_NULL;
}

hc_str_t hc_http_req_header(const hc_http_request_t *req, const char *name)
{
    const hc_http_header_t *h = hc_http_header_find(req->headers, req->num_headers, hc_str_c(name));
    return h ? h->value : HC_STR_NULL;
}

static int hex_val(char ch)
{
    if (ch >= '0' && ch <= '9')
        return ch - '0';
    ch = (char)(ch | 0x20);
    if (ch >= 'a' && ch <= 'f')
        return ch - 'a' + 10;
    return -1;
}

char *hc_http_req_param_decoded(const hc_http_request_t *req, const char *name)
{
    hc_str_t v = HC_STR_NULL;
    bool found = false;
    hc_str_t want = hc_str_c(name);

    for (size_t i = 0; i < req->num_params && !found; i++)
        if (hc_str_eq(req->params[i].name, want)) {
            v = req->params[i].value;
            found = true;
        }
    if (!found)
        return NULL;
    char *out = hc_malloc(v.len + 1);
    size_t n = 0;
    for (size_t i = 0; i < v.len; i++) {
        if (v.p[i] != '%') {
            out[n++] = v.p[i];
            continue;
        }
        int hi = i + 2 < v.len ? hex_val(v.p[i + 1]) : -1;
        int lo = i + 2 < v.len ? hex_val(v.p[i + 2]) : -1;
        if (hi < 0 || lo < 0 || (hi == 0 && lo == 0)) {
            free(out);
            return NULL;
        }
        out[n++] = (char)(hi * 16 + lo);
        i += 2;
    }
    out[n] = '\0';
    return out;
}
