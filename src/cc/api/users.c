/*
 * Users and login: POST /users, GET/PUT/DELETE /users/EMAIL, GET /users (admin),
 * POST /users/EMAIL/tokens. Password hashing runs on the thread pool; everything else on the
 * loop.
 */
#include <stdio.h>
#include <string.h>

#include "api/api.h"
#include "auth/auth.h"
#include "db/db.h"
#include "hc_json.h"
#include "hc_log.h"
#include "hc_time.h"

/* A hash that matches nothing, verified against when the user does not exist so a login
 * for an unknown email costs the same time as one with a wrong password. */
static char dummy_hash[CC_PW_HASH_LEN];

typedef enum pw_op_e { PW_REGISTER, PW_LOGIN, PW_CHANGE } pw_op_t;

typedef struct pw_job_s {
    cc_ctx_t *cc;
    hc_http_res_t *res;
    pw_op_t op;
    char email[CC_MAX_EMAIL + 1];
    char peer[64];
    char *pw;
    size_t pw_len;
    char hash[CC_PW_HASH_LEN]; /* register/change: output; login: stored hash */
    bool ok;
} pw_job_t;

static void pw_job_free(pw_job_t *j)
{
    if (j->pw) {
        sodium_memzero(j->pw, j->pw_len);
        free(j->pw);
    }
    hc_http_res_unref(j->res);
    sodium_memzero(j, sizeof(*j));
    free(j);
}

static void pw_work(void *data)
{
    pw_job_t *j = data;
    if (j->op == PW_LOGIN)
        j->ok = cc_pw_verify(j->hash, j->pw, j->pw_len);
    else
        j->ok = cc_pw_hash(j->pw, j->pw_len, j->cc->conf->pwhash_memlimit,
                           (uint64_t)j->cc->conf->pwhash_opslimit, j->hash) == 0;
}

static void finish_register(pw_job_t *j)
{
    cc_db_t *db = j->cc->db;
    cc_db_res_t res = {0};
    char now[24];
    hc_err_t err;
    int r;

    snprintf(now, sizeof(now), "%lld", (long long)hc_wall_s());
    r = cc_db_begin(db, &err);
    if (r < 0)
        goto fail;
    /* The first user of a fresh installation is its admin. */
    r = cc_db_exec(db, "SELECT COUNT(*) FROM users", CC_P0, &res, &err);
    if (r < 0)
        goto fail;
    const char *admin = cc_db_cell_int(&res, 0, 0) == 0 ? "1" : "0";
    r = cc_db_exec(db, "INSERT INTO users (email, pw_hash, admin, created) VALUES (?, ?, ?, ?)",
                   CC_P(j->email, j->hash, admin, now), NULL, &err);
    if (r == -EEXIST) {
        cc_db_rollback(db);
        cc_reply_error(j->res, CC_E_BAD_REQUEST, "User already exists: %s", j->email);
        goto out;
    }
    if (r < 0)
        goto fail;
    r = cc_db_commit(db, &err);
    if (r < 0)
        goto fail;
    hc_log_info("user registered", "email", j->email, "admin", admin);
    cc_reply_empty(j->res, 204);
    goto out;
fail:
    cc_db_rollback(db);
    cc_reply_db_error(j->res, "register", &err);
out:
    cc_db_res_release(&res);
}

/* Creates a token for email and replies {"token": ...}. */
static void reply_new_token(cc_ctx_t *cc, hc_http_res_t *res, const char *email)
{
    char tok[CC_TOKEN_HEX + 1], digest[CC_TOKEN_HEX + 1], expires[24];
    hc_err_t err;

    cc_token_new(tok);
    cc_token_digest(tok, CC_TOKEN_HEX, digest);
    /* Expiry in whole seconds, rounded up: a token lives at least token_ttl (and less than a
     * second more), whatever the fraction of the second it was made in. */
    snprintf(expires, sizeof(expires), "%lld",
             (long long)((hc_wall_ms() + (int64_t)cc->conf->token_ttl_ms + 999) / 1000));
    /* Expired tokens of this user go in the same statement batch: tables stay small. */
    char now[24];
    snprintf(now, sizeof(now), "%lld", (long long)hc_wall_s());
    if (cc_db_exec(cc->db, "DELETE FROM tokens WHERE email = ? AND expires <= ?", CC_P(email, now),
                   NULL, &err) < 0 ||
        cc_db_exec(cc->db, "INSERT INTO tokens (hash, email, expires) VALUES (?, ?, ?)",
                   CC_P(digest, email, expires), NULL, &err) < 0) {
        cc_reply_db_error(res, "token", &err);
        return;
    }
    json_t *o = hc_json_obj();
    hc_json_set_str(o, "token", tok);
    hc_http_reply_json(res, 200, o);
    sodium_memzero(tok, sizeof(tok));
}

static void finish_login(pw_job_t *j)
{
    cc_ctx_t *cc = j->cc;
    if (!j->ok) {
        uint64_t now = hc_now_ms();
        cc_ratelimit_fail(cc->login_limit, j->email, now);
        cc_ratelimit_fail(cc->peer_limit, j->peer, now);
        hc_log_info("login failed", "email", j->email, "peer", j->peer);
        cc_reply_error(j->res, CC_E_FORBIDDEN,
                       "Operation not permitted: invalid email or password");
        return;
    }
    cc_ratelimit_clear(cc->login_limit, j->email);
    reply_new_token(cc, j->res, j->email);
}

static void finish_change(pw_job_t *j)
{
    hc_err_t err;
    cc_db_res_t res = {0};
    int r = cc_db_exec(j->cc->db, "UPDATE users SET pw_hash = ? WHERE email = ?",
                       CC_P(j->hash, j->email), &res, &err);
    if (r < 0)
        cc_reply_db_error(j->res, "password", &err);
    else if (res.changes == 0)
        cc_reply_error(j->res, CC_E_USER_NOT_FOUND, "User not found");
    else
        cc_reply_empty(j->res, 204);
    cc_db_res_release(&res);
}

static void pw_done(void *data, int status)
{
    pw_job_t *j = data;
    if (hc_http_res_cancelled(j->res))
        goto out;
    if (status != 0 || (!j->ok && j->op != PW_LOGIN)) {
        cc_reply_error(j->res, CC_E_SYSTEM, "System error: password hashing failed");
        goto out;
    }
    if (j->op == PW_REGISTER)
        finish_register(j);
    else if (j->op == PW_LOGIN)
        finish_login(j);
    else
        finish_change(j);
out:
    pw_job_free(j);
}

static pw_job_t *pw_job_new(cc_ctx_t *cc, hc_http_res_t *res, pw_op_t op, const char *email,
                            const char *pw)
{
    pw_job_t *j = hc_calloc(1, sizeof(*j));
    j->cc = cc;
    j->res = hc_http_res_ref(res);
    j->op = op;
    snprintf(j->email, sizeof(j->email), "%s", email);
    j->pw_len = strlen(pw);
    j->pw = hc_memdup(pw, j->pw_len + 1);
    return j;
}

/* Reads {"password": ...} (1..CC_MAX_PASSWORD bytes); replies 400/100 on error. */
static int get_password(json_t *body, hc_http_res_t *res, const char **ret)
{
    hc_err_t err;
    if (hc_json_get_str_len(body, "password", 1, CC_MAX_PASSWORD, ret, &err) < 0) {
        cc_reply_error(res, CC_E_BAD_REQUEST, "Bad request: %s", err.msg);
        return -EINVAL;
    }
    return 0;
}

static void h_register(const hc_http_request_t *req, hc_http_res_t *res, void *data)
{
    cc_ctx_t *cc = data;
    json_t *body = NULL;
    const char *email, *pw;
    cc_user_t caller;
    hc_err_t err;

    if (cc_api_body_obj(req, res, &body) < 0)
        return;
    if (hc_json_get_str(body, "email", &email, &err) < 0) {
        cc_reply_error(res, CC_E_BAD_REQUEST, "Bad request: %s", err.msg);
        goto out;
    }
    if (!cc_valid_email(email)) {
        cc_reply_error(res, CC_E_BAD_REQUEST, "Bad request: invalid email");
        goto out;
    }
    if (get_password(body, res, &pw) < 0)
        goto out;
    if (!cc->conf->allow_registration &&
        !(cc_api_auth_quiet(cc, req, &caller) == 0 && caller.admin)) {
        cc_reply_error(res, CC_E_FORBIDDEN, "Operation not permitted: registration is disabled");
        goto out;
    }
    cc_queue_work(cc, pw_work, pw_done, pw_job_new(cc, res, PW_REGISTER, email, pw));
out:
    json_decref(body);
}

/* The peer address without its port, the rate-limit key of a client. */
static void peer_key(const hc_http_request_t *req, char *out, size_t size)
{
    const char *p = req->peer ? req->peer : "?";
    const char *colon = strrchr(p, ':');
    size_t n = colon ? (size_t)(colon - p) : strlen(p);
    snprintf(out, size, "peer:%.*s", (int)n, p);
}

static void h_login(const hc_http_request_t *req, hc_http_res_t *res, void *data)
{
    cc_ctx_t *cc = data;
    json_t *body = NULL;
    char email[CC_MAX_EMAIL + 1], peer[64];
    cc_db_res_t rows = {0};
    cc_user_t caller;
    const char *pw;
    uint64_t retry = 0;
    hc_err_t err;

    if (cc_api_param(req, "email", email, sizeof(email)) < 0 || !cc_valid_email(email)) {
        cc_reply_error(res, CC_E_USER_NOT_FOUND, "User not found");
        return;
    }
    /* An admin may mint a token for anyone without the password (v1). */
    if (cc_api_auth_quiet(cc, req, &caller) == 0 && caller.admin) {
        int r =
            cc_db_exec(cc->db, "SELECT email FROM users WHERE email = ?", CC_P(email), &rows, &err);
        if (r < 0)
            cc_reply_db_error(res, "login", &err);
        else if (rows.nrows == 0)
            cc_reply_error(res, CC_E_USER_NOT_FOUND, "User not found");
        else
            reply_new_token(cc, res, email);
        goto out;
    }
    peer_key(req, peer, sizeof(peer));
    uint64_t now = hc_now_ms();
    if (cc_ratelimit_blocked(cc->login_limit, email, now, &retry) ||
        cc_ratelimit_blocked(cc->peer_limit, peer, now, &retry)) {
        char s[24];
        snprintf(s, sizeof(s), "%llu", (unsigned long long)(retry + 999) / 1000);
        hc_http_res_set_header(res, "Retry-After", s);
        hc_http_reply_error(res, 429, CC_E_FORBIDDEN,
                            "Operation not permitted: too many failed logins, retry later");
        goto out;
    }
    if (cc_api_body_obj(req, res, &body) < 0)
        goto out;
    if (get_password(body, res, &pw) < 0)
        goto out;
    int r =
        cc_db_exec(cc->db, "SELECT pw_hash FROM users WHERE email = ?", CC_P(email), &rows, &err);
    if (r < 0) {
        cc_reply_db_error(res, "login", &err);
        goto out;
    }
    pw_job_t *j = pw_job_new(cc, res, PW_LOGIN, email, pw);
    snprintf(j->peer, sizeof(j->peer), "%s", peer);
    snprintf(j->hash, sizeof(j->hash), "%s", rows.nrows ? cc_db_cell(&rows, 0, 0) : dummy_hash);
    cc_queue_work(cc, pw_work, pw_done, j);
out:
    cc_db_res_release(&rows);
    json_decref(body);
}

/* Resolves the EMAIL parameter and checks the caller may act on it (self or admin). */
static int target_user(cc_ctx_t *cc, const hc_http_request_t *req, hc_http_res_t *res,
                       cc_user_t *caller, char *email, bool admin_only)
{
    if (cc_api_auth(cc, req, res, caller) < 0)
        return -EACCES;
    if (cc_api_param(req, "email", email, CC_MAX_EMAIL + 1) < 0) {
        cc_reply_error(res, CC_E_USER_NOT_FOUND, "User not found");
        return -EINVAL;
    }
    if (!caller->admin && (admin_only || strcmp(caller->email, email) != 0)) {
        cc_reply_error(res, CC_E_FORBIDDEN, "Operation not permitted");
        return -EACCES;
    }
    return 0;
}

static void h_user_get(const hc_http_request_t *req, hc_http_res_t *res, void *data)
{
    cc_ctx_t *cc = data;
    cc_user_t caller;
    char email[CC_MAX_EMAIL + 1];
    cc_db_res_t rows = {0};
    hc_err_t err;

    if (target_user(cc, req, res, &caller, email, false) < 0)
        return;
    if (cc_db_exec(cc->db, "SELECT email, admin FROM users WHERE email = ?", CC_P(email), &rows,
                   &err) < 0) {
        cc_reply_db_error(res, "user", &err);
        return;
    }
    if (rows.nrows == 0) {
        cc_reply_error(res, CC_E_USER_NOT_FOUND, "User not found");
    } else {
        json_t *o = hc_json_obj();
        hc_json_set_str(o, "email", cc_db_cell(&rows, 0, 0));
        hc_json_set_bool(o, "admin", cc_db_cell_int(&rows, 0, 1) || cc_is_conf_admin(cc, email));
        hc_http_reply_json(res, 200, o);
    }
    cc_db_res_release(&rows);
}

static void h_user_put(const hc_http_request_t *req, hc_http_res_t *res, void *data)
{
    cc_ctx_t *cc = data;
    cc_user_t caller;
    char email[CC_MAX_EMAIL + 1];
    json_t *body = NULL;
    const char *pw;

    if (target_user(cc, req, res, &caller, email, false) < 0)
        return;
    if (cc_api_body_obj(req, res, &body) < 0)
        return;
    if (get_password(body, res, &pw) == 0)
        cc_queue_work(cc, pw_work, pw_done, pw_job_new(cc, res, PW_CHANGE, email, pw));
    json_decref(body);
}

/* Deletes a user with their tokens, apps, routes and service instances in one transaction. */
static void h_user_delete(const hc_http_request_t *req, hc_http_res_t *res, void *data)
{
    cc_ctx_t *cc = data;
    cc_user_t caller;
    char email[CC_MAX_EMAIL + 1];
    cc_db_res_t rows = {0};
    hc_err_t err;
    int r;

    if (target_user(cc, req, res, &caller, email, true) < 0)
        return;
    r = cc_db_begin(cc->db, &err);
    if (r < 0)
        goto fail;
    r = cc_db_exec(cc->db, "DELETE FROM users WHERE email = ?", CC_P(email), &rows, &err);
    if (r < 0)
        goto fail;
    if (rows.changes == 0) {
        cc_db_rollback(cc->db);
        cc_reply_error(res, CC_E_USER_NOT_FOUND, "User not found");
        goto out;
    }
    static const char *const stmts[] = {
        "DELETE FROM tokens WHERE email = ?",
        "DELETE FROM routes WHERE app_guid IN (SELECT guid FROM apps WHERE owner = ?)",
        "DELETE FROM apps WHERE owner = ?",
        "DELETE FROM service_instances WHERE owner = ?",
    };
    for (size_t i = 0; i < HC_ARRAY_SIZE(stmts); i++) {
        r = cc_db_exec(cc->db, stmts[i], CC_P(email), NULL, &err);
        if (r < 0)
            goto fail;
    }
    r = cc_db_commit(cc->db, &err);
    if (r < 0)
        goto fail;
    hc_log_info("user deleted", "email", email, "by", caller.email);
    cc_reply_empty(res, 204);
    goto out;
fail:
    cc_db_rollback(cc->db);
    cc_reply_db_error(res, "delete user", &err);
out:
    cc_db_res_release(&rows);
}

static void h_users_list(const hc_http_request_t *req, hc_http_res_t *res, void *data)
{
    cc_ctx_t *cc = data;
    cc_user_t caller;
    cc_db_res_t users = {0}, apps = {0};
    hc_err_t err;

    if (cc_api_auth(cc, req, res, &caller) < 0)
        return;
    if (!caller.admin) {
        cc_reply_error(res, CC_E_FORBIDDEN, "Operation not permitted");
        return;
    }
    if (cc_db_exec(cc->db, "SELECT email, admin FROM users ORDER BY email", CC_P0, &users, &err) <
            0 ||
        cc_db_exec(cc->db, "SELECT owner, name, state FROM apps ORDER BY owner, name", CC_P0, &apps,
                   &err) < 0) {
        cc_reply_db_error(res, "list users", &err);
        goto out;
    }
    json_t *arr = hc_json_arr();
    size_t a = 0;
    for (size_t i = 0; i < users.nrows; i++) {
        const char *email = cc_db_cell(&users, i, 0);
        json_t *u = hc_json_obj(), *ua = hc_json_arr();
        hc_json_set_str(u, "email", email);
        hc_json_set_bool(u, "admin", cc_db_cell_int(&users, i, 1) || cc_is_conf_admin(cc, email));
        while (a < apps.nrows && strcmp(cc_db_cell(&apps, a, 0), email) < 0)
            a++;
        for (; a < apps.nrows && strcmp(cc_db_cell(&apps, a, 0), email) == 0; a++) {
            json_t *o = hc_json_obj();
            hc_json_set_str(o, "name", cc_db_cell(&apps, a, 1));
            hc_json_set_str(o, "state", cc_db_cell(&apps, a, 2));
            hc_json_append_new(ua, o);
        }
        hc_json_set_new(u, "apps", ua);
        hc_json_append_new(arr, u);
    }
    hc_http_reply_json(res, 200, arr);
out:
    cc_db_res_release(&users);
    cc_db_res_release(&apps);
}

void cc_api_users_routes(cc_ctx_t *cc, hc_http_server_t *srv)
{
    if (!dummy_hash[0])
        cc_pw_hash("not a password", 14, cc->conf->pwhash_memlimit,
                   (uint64_t)cc->conf->pwhash_opslimit, dummy_hash);
    hc_http_server_route(srv, "POST", "/users", h_register, cc);
    hc_http_server_route(srv, "GET", "/users", h_users_list, cc);
    hc_http_server_route(srv, "POST", "/users/:email/tokens", h_login, cc);
    hc_http_server_route(srv, "GET", "/users/:email", h_user_get, cc);
    hc_http_server_route(srv, "PUT", "/users/:email", h_user_put, cc);
    hc_http_server_route(srv, "DELETE", "/users/:email", h_user_delete, cc);
}
