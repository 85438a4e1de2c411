/* Helpers every CC handler shares: errors, authentication, bodies, parameters, work, events. */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "api/api.h"
#include "auth/auth.h"
#include "db/db.h"
#include "hc_json.h"
#include "hc_log.h"
#include "hc_time.h"
#include "hc_uuid.h"

static const struct {
    int code, status;
} cc_codes[] = {
    {100, 400}, {101, 500}, {102, 400}, {111, 500}, {200, 403}, {201, 403}, {202, 403}, {300, 400},
    {301, 404}, {302, 404}, {303, 404}, {304, 400}, {305, 400}, {306, 500}, {307, 400}, {308, 400},
    {309, 400}, {310, 500}, {320, 404}, {321, 400}, {322, 409}, {400, 400}, {401, 400}, {402, 500},
    {500, 404}, {501, 404}, {502, 404}, {503, 502}, {504, 403}, {505, 501}, {600, 403}, {601, 403},
    {602, 403}, {700, 400}, {701, 400}, {702, 403}, {800, 500}, {801, 500},
};

int cc_error_status(int code)
{
    for (size_t i = 0; i < HC_ARRAY_SIZE(cc_codes); i++)
        if (cc_codes[i].code == code)
            return cc_codes[i].status;
    return 500;
}

void cc_reply_error(hc_http_res_t *res, int code, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    hc_http_reply_error(res, cc_error_status(code), code, msg);
}

void cc_reply_db_error(hc_http_res_t *res, const char *what, const hc_err_t *err)
{
    hc_log_error("database error", "op", what, "err", err->msg);
    cc_reply_error(res, CC_E_DATABASE, "Error talking with the database");
}

void cc_reply_empty(hc_http_res_t *res, int status)
{
    hc_http_reply(res, status, NULL, NULL, 0);
}

bool cc_is_conf_admin(const cc_ctx_t *cc, const char *email)
{
    for (char **p = cc->conf->admins; p && *p; p++)
        if (strcasecmp(*p, email) == 0)
            return true;
    return false;
}

/* Loads user `email`; returns 0, -ENOENT, or -EIO. Any thread, with its own db. */
static int load_user(const cc_ctx_t *cc, cc_db_t *db, const char *email, cc_user_t *user,
                     hc_err_t *err)
{
    cc_db_res_t res = {0};
    int r =
        cc_db_exec(db, "SELECT email, admin FROM users WHERE email = ?", CC_P(email), &res, err);
    if (r < 0)
        return r;
    if (res.nrows == 0) {
        cc_db_res_release(&res);
        return -ENOENT;
    }
    snprintf(user->email, sizeof(user->email), "%s", cc_db_cell(&res, 0, 0));
    user->admin = cc_db_cell_int(&res, 0, 1) != 0 || cc_is_conf_admin(cc, user->email);
    cc_db_res_release(&res);
    return 0;
}

void cc_auth_capture(const hc_http_request_t *req, cc_auth_req_t *a)
{
    memset(a, 0, sizeof(*a));
    hc_str_t h = hc_http_req_header(req, "Authorization");
    if (h.len > 7 && strncasecmp(h.p, "bearer ", 7) == 0) {
        h.p += 7;
        h.len -= 7;
        while (h.len && *h.p == ' ') {
            h.p++;
            h.len--;
        }
    }
    if (h.len > 0 && h.len <= CC_MAX_TOKEN) {
        memcpy(a->token, h.p, h.len);
        a->token_len = h.len;
    }
    hc_str_t proxy = hc_http_req_header(req, "Proxy-User");
    if (proxy.len > 0) {
        a->proxy_set = true;
        if (proxy.len > CC_MAX_EMAIL)
            a->proxy_too_long = true;
        else
            memcpy(a->proxy, proxy.p, proxy.len);
    }
}

int cc_auth_resolve(const cc_ctx_t *cc, cc_db_t *db, const cc_auth_req_t *a, cc_user_t *user,
                    hc_err_t *err)
{
    char digest[CC_TOKEN_HEX + 1], now[24];
    cc_db_res_t res = {0};

    if (a->token_len == 0)
        return CC_E_FORBIDDEN;
    cc_token_digest(a->token, a->token_len, digest);
    snprintf(now, sizeof(now), "%lld", (long long)hc_wall_s());
    int r = cc_db_exec(db, "SELECT email FROM tokens WHERE hash = ? AND expires > ?",
                       CC_P(digest, now), &res, err);
    if (r < 0)
        return CC_E_DATABASE;
    if (res.nrows == 0) {
        cc_db_res_release(&res);
        return CC_E_FORBIDDEN;
    }
    r = load_user(cc, db, cc_db_cell(&res, 0, 0), user, err);
    cc_db_res_release(&res);
    if (r == -ENOENT)
        return CC_E_FORBIDDEN;
    if (r < 0)
        return CC_E_DATABASE;
    if (!a->proxy_set)
        return 0;
    if (!user->admin)
        return CC_E_FORBIDDEN;
    if (a->proxy_too_long)
        return CC_E_USER_NOT_FOUND;
    r = load_user(cc, db, a->proxy, user, err);
    if (r == -ENOENT)
        return CC_E_USER_NOT_FOUND;
    return r < 0 ? CC_E_DATABASE : 0;
}

int cc_api_body_obj(const hc_http_request_t *req, hc_http_res_t *res, json_t **ret)
{
    hc_err_t err;
    if (hc_json_parse_obj(req->body.p, req->body.len, CC_MAX_JSON_BODY, ret, &err) < 0) {
        cc_reply_error(res, CC_E_BAD_REQUEST, "Bad request: %s", err.msg);
        return -EINVAL;
    }
    return 0;
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    c = (char)tolower((unsigned char)c);
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    return -1;
}

/* Percent-decodes s into out; plus_space turns '+' into ' ' (query strings). */
static int pct_decode(hc_str_t s, bool plus_space, char *out, size_t size)
{
    size_t o = 0;
    for (size_t i = 0; i < s.len; i++) {
        char c = s.p[i];
        if (c == '%') {
            if (i + 2 >= s.len)
                return -EINVAL;
            int hi = hexval(s.p[i + 1]), lo = hexval(s.p[i + 2]);
            if (hi < 0 || lo < 0)
                return -EINVAL;
            c = (char)(hi * 16 + lo);
            i += 2;
        } else if (c == '+' && plus_space) {
            c = ' ';
        }
        if (c == '\0' || o + 1 >= size)
            return -EINVAL;
        out[o++] = c;
    }
    out[o] = '\0';
    return 0;
}

int cc_api_param(const hc_http_request_t *req, const char *name, char *out, size_t size)
{
    hc_str_t v = hc_http_req_param(req, name);
    if (!v.p || v.len == 0)
        return -EINVAL;
    int r = pct_decode(v, false, out, size);
    if (r < 0 || strchr(out, '/'))
        return -EINVAL;
    return 0;
}

int cc_api_query(const hc_http_request_t *req, const char *name, char *out, size_t size)
{
    size_t nlen = strlen(name);
    const char *p = req->query.p, *end = p + req->query.len;
    if (p && p < end && *p == '?')
        p++;
    while (p && p < end) {
        const char *amp = memchr(p, '&', (size_t)(end - p));
        const char *stop = amp ? amp : end;
        const char *eq = memchr(p, '=', (size_t)(stop - p));
        if (eq && (size_t)(eq - p) == nlen && memcmp(p, name, nlen) == 0)
            return pct_decode(hc_str(eq + 1, (size_t)(stop - eq - 1)), true, out, size);
        p = amp ? amp + 1 : NULL;
    }
    return -ENOENT;
}

bool cc_valid_name(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > CC_MAX_NAME)
        return false;
    for (; *s; s++)
        if (!isalnum((unsigned char)*s) && *s != '_' && *s != '-')
            return false;
    return true;
}

bool cc_valid_email(const char *s)
{
    size_t n = strlen(s), at = 0;
    if (n < 3 || n > CC_MAX_EMAIL)
        return false;
    for (const char *p = s; *p; p++) {
        unsigned char c = (unsigned char)*p;
        if (c <= ' ' || c >= 0x7f || c == '/' || c == '\\' || c == '"')
            return false;
        if (c == '@')
            at++;
    }
    return at == 1 && s[0] != '@' && s[n - 1] != '@';
}

typedef struct cc_work_s {
    uv_work_t req;
    cc_ctx_t *cc;
    cc_work_fn work;
    cc_done_fn done;
    cc_db_work_fn db_work; /* cc_queue_db_work: these instead */
    cc_db_done_fn db_done;
    int r;
    hc_err_t err;
    void *data;
} cc_work_t;

static void work_cb(uv_work_t *w)
{
    cc_work_t *cw = HC_CONTAINER_OF(w, cc_work_t, req);
    if (!cw->db_work) {
        cw->work(cw->data);
        return;
    }
    cc_db_t *db = cc_db_pool_acquire(cw->cc->read_pool, &cw->err);
    cw->r = db ? cw->db_work(cw->cc, db, cw->data, &cw->err) : -EIO;
    cc_db_pool_release(cw->cc->read_pool, db);
}

static void after_work_cb(uv_work_t *w, int status)
{
    cc_work_t *cw = HC_CONTAINER_OF(w, cc_work_t, req);
    cw->cc->pending_work--;
    if (cw->db_done)
        cw->db_done(cw->data, status != 0 ? status : cw->r, &cw->err);
    else
        cw->done(cw->data, status);
    free(cw);
}

static void queue(cc_ctx_t *cc, cc_work_t *cw, void *data)
{
    cw->cc = cc;
    cw->data = data;
    cc->pending_work++;
    int r = uv_queue_work(cc->loop, &cw->req, work_cb, after_work_cb);
    hc_assert(r == 0); /* only fails for a NULL work callback */
}

void cc_queue_work(cc_ctx_t *cc, cc_work_fn work, cc_done_fn done, void *data)
{
    cc_work_t *cw = hc_calloc(1, sizeof(*cw));
    cw->work = work;
    cw->done = done;
    queue(cc, cw, data);
}

void cc_queue_db_work(cc_ctx_t *cc, cc_db_work_fn work, cc_db_done_fn done, void *data)
{
    cc_work_t *cw = hc_calloc(1, sizeof(*cw));
    cw->db_work = work;
    cw->db_done = done;
    queue(cc, cw, data);
}

int cc_event_add(cc_db_t *db, const char *app_guid, const char *email, const char *action,
                 const char *detail, hc_err_t *err)
{
    char guid[HC_UUID_STR_LEN + 1], ts[24];
    hc_uuid4(guid);
    snprintf(ts, sizeof(ts), "%lld", (long long)hc_wall_ms());
    return cc_db_exec(db,
                      "INSERT INTO events (guid, app_guid, email, ts, action, detail)"
                      " VALUES (?, ?, ?, ?, ?, ?)",
                      CC_P(guid, app_guid, email, ts, action, detail), NULL, err);
}
