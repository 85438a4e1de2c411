/*
 * Users and login: POST /users, GET/PUT/DELETE /users/EMAIL, GET /users (admin),
 * POST /users/EMAIL/tokens. Authentication, password hashing and the SQL run on the thread
 * pool (api/job.h); the login rate limits stay on the loop.
 */
#include <stdio.h>
#include <string.h>

#include "api/api.h"
#include "api/job.h"
#include "auth/auth.h"
#include "db/db.h"
#include "hc_json.h"
#include "hc_log.h"
#include "hc_time.h"

/* A hash that matches nothing, verified against when the user does not exist so a login
 * for an unknown email costs the same time as one with a wrong password. */
static char dummy_hash[CC_PW_HASH_LEN];

/* What a users handler copies out of its request for the worker, and what it leaves for after. */
typedef struct user_req_s {
    char email[CC_MAX_EMAIL + 1]; /* the EMAIL parameter or the body's email */
    bool email_bad;               /* the EMAIL parameter did not decode */
    char peer[64];                /* login: the rate-limit key of the client */
    char *pw;                     /* register, login, change: the password */
    size_t pw_len;
    char body_err[512 + 16]; /* login: why the body was refused (answered unless admin) */
    bool body_bad;
    bool limited; /* login: rate-limited (answered 429 unless admin) */
    uint64_t retry_ms;
    bool login_failed, login_ok; /* login: for the rate limits, on the loop */
    bool admin;                  /* register: the new user is the first, an admin */
} user_req_t;

static void user_req_free(void *data)
{
    user_req_t *u = data;
    if (u->pw) {
        sodium_memzero(u->pw, u->pw_len);
        free(u->pw);
    }
    sodium_memzero(u, sizeof(*u));
    free(u);
}

static user_req_t *user_job_data(cc_job_t *j)
{
    user_req_t *u = hc_calloc(1, sizeof(*u));
    j->data = u;
    j->free_data = user_req_free;
    return u;
}

static void set_password(user_req_t *u, const char *pw)
{
    u->pw_len = strlen(pw);
    u->pw = hc_memdup(pw, u->pw_len + 1);
}

/* Hashes the job's password on this worker; false after failing the job. */
static bool hash_password(cc_job_t *j, const user_req_t *u, char hash[CC_PW_HASH_LEN])
{
    if (cc_pw_hash(u->pw, u->pw_len, j->cc->conf->pwhash_memlimit,
                   (uint64_t)j->cc->conf->pwhash_opslimit, hash) == 0)
        return true;
    cc_job_fail(j, CC_E_SYSTEM, "System error: password hashing failed");
    return false;
}

/* POST /users, on a worker: the registration check, the hash, the insert. */
static void register_work(cc_job_t *j, cc_db_t *db)
{
    user_req_t *u = j->data;
    cc_db_res_t res = {0};
    char hash[CC_PW_HASH_LEN], now[24];
    hc_err_t err;
    int r;

    if (!j->cc->conf->allow_registration && !(j->authed && j->user.admin)) {
        cc_job_fail(j, CC_E_FORBIDDEN, "Operation not permitted: registration is disabled");
        return;
    }
    if (!hash_password(j, u, hash))
        return;
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
                   CC_P(u->email, hash, admin, now), NULL, &err);
    if (r == -EEXIST) {
        cc_db_rollback(db);
        cc_job_fail(j, CC_E_BAD_REQUEST, "User already exists: %s", u->email);
        goto out;
    }
    if (r < 0)
        goto fail;
    r = cc_db_commit(db, &err);
    if (r < 0)
        goto fail;
    j->status = 204;
    u->admin = admin[0] == '1';
    goto out;
fail:
    cc_db_rollback(db);
    cc_job_db_fail(j, "register", &err);
out:
    sodium_memzero(hash, sizeof(hash));
    cc_db_res_release(&res);
}

static bool register_after(cc_job_t *j, int status)
{
    user_req_t *u = j->data;
    if (status == 0 && j->code == 0)
        hc_log_info("user registered", "email", u->email, "admin", u->admin ? "1" : "0");
    return false;
}

/* Creates a token for email and makes {"token": ...} the job's reply. Worker. */
static void reply_new_token(cc_job_t *j, cc_db_t *db, const char *email)
{
    char tok[CC_TOKEN_HEX + 1], digest[CC_TOKEN_HEX + 1], expires[24], now[24];
    hc_err_t err;

    cc_token_new(tok);
    cc_token_digest(tok, CC_TOKEN_HEX, digest);
    /* Expiry in whole seconds, rounded up: a token lives at least token_ttl (and less than a
     * second more), whatever the fraction of the second it was made in. */
    snprintf(expires, sizeof(expires), "%lld",
             (long long)((hc_wall_ms() + (int64_t)j->cc->conf->token_ttl_ms + 999) / 1000));
    /* Expired tokens of this user go in the same statement batch: tables stay small. */
    snprintf(now, sizeof(now), "%lld", (long long)hc_wall_s());
    if (cc_db_exec(db, "DELETE FROM tokens WHERE email = ? AND expires <= ?", CC_P(email, now),
                   NULL, &err) < 0 ||
        cc_db_exec(db, "INSERT INTO tokens (hash, email, expires) VALUES (?, ?, ?)",
                   CC_P(digest, email, expires), NULL, &err) < 0) {
        cc_job_db_fail(j, "token", &err);
        sodium_memzero(tok, sizeof(tok));
        return;
    }
    json_t *o = hc_json_obj();
    hc_json_set_str(o, "token", tok);
    cc_job_reply_json(j, 200, o);
    sodium_memzero(tok, sizeof(tok));
}

/* POST /users/EMAIL/tokens, on a worker. */
static void login_work(cc_job_t *j, cc_db_t *db)
{
    user_req_t *u = j->data;
    cc_db_res_t rows = {0};
    hc_err_t err;

    /* An admin may mint a token for anyone without the password (v1). */
    if (j->authed && j->user.admin) {
        if (cc_db_exec(db, "SELECT email FROM users WHERE email = ?", CC_P(u->email), &rows, &err) <
            0)
            cc_job_db_fail(j, "login", &err);
        else if (rows.nrows == 0)
            cc_job_fail(j, CC_E_USER_NOT_FOUND, "User not found");
        else
            reply_new_token(j, db, u->email);
        goto out;
    }
    if (u->limited) {
        j->code = CC_E_FORBIDDEN; /* answered 429 by login_after */
        goto out;
    }
    if (u->body_bad) {
        cc_job_fail(j, CC_E_BAD_REQUEST, "%s", u->body_err);
        goto out;
    }
    if (cc_db_exec(db, "SELECT pw_hash FROM users WHERE email = ?", CC_P(u->email), &rows, &err) <
        0) {
        cc_job_db_fail(j, "login", &err);
        goto out;
    }
    if (!cc_pw_verify(rows.nrows ? cc_db_cell(&rows, 0, 0) : dummy_hash, u->pw, u->pw_len)) {
        u->login_failed = true;
        cc_job_fail(j, CC_E_FORBIDDEN, "Operation not permitted: invalid email or password");
        goto out;
    }
    u->login_ok = true;
    reply_new_token(j, db, u->email);
out:
    cc_db_res_release(&rows);
}

/* The rate limits are the loop's: counted here, after the worker checked the password. */
static bool login_after(cc_job_t *j, int status)
{
    user_req_t *u = j->data;
    (void)status;
    if (u->login_failed) {
        uint64_t now = hc_now_ms();
        cc_ratelimit_fail(j->cc->login_limit, u->email, now);
        cc_ratelimit_fail(j->cc->peer_limit, u->peer, now);
        hc_log_info("login failed", "email", u->email, "peer", u->peer);
    } else if (u->login_ok) {
        cc_ratelimit_clear(j->cc->login_limit, u->email);
    }
    if (status == 0 && u->limited && j->code == CC_E_FORBIDDEN && !j->msg[0] &&
        !hc_http_res_cancelled(j->res)) {
        char s[24];
        snprintf(s, sizeof(s), "%llu", (unsigned long long)(u->retry_ms + 999) / 1000);
        hc_http_res_set_header(j->res, "Retry-After", s);
        hc_http_reply_error(j->res, 429, CC_E_FORBIDDEN,
                            "Operation not permitted: too many failed logins, retry later");
        return true;
    }
    return false;
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
    cc_job_t *j = cc_job_new(cc, req, res, register_work);
    j->auth_mode = CC_JOB_AUTH_OPTIONAL;
    j->after = register_after;
    user_req_t *u = user_job_data(j);
    snprintf(u->email, sizeof(u->email), "%s", email);
    set_password(u, pw);
    cc_job_start(j);
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
    char email[CC_MAX_EMAIL + 1];
    const char *pw;
    hc_err_t err;

    if (cc_api_param(req, "email", email, sizeof(email)) < 0 || !cc_valid_email(email)) {
        cc_reply_error(res, CC_E_USER_NOT_FOUND, "User not found");
        return;
    }
    cc_job_t *j = cc_job_new(cc, req, res, login_work);
    j->auth_mode = CC_JOB_AUTH_OPTIONAL;
    j->after = login_after;
    user_req_t *u = user_job_data(j);
    snprintf(u->email, sizeof(u->email), "%s", email);
    peer_key(req, u->peer, sizeof(u->peer));
    /* The limits and the body only count for a caller who is not an admin (the worker knows). */
    uint64_t now = hc_now_ms();
    u->limited = cc_ratelimit_blocked(cc->login_limit, email, now, &u->retry_ms) ||
                 cc_ratelimit_blocked(cc->peer_limit, u->peer, now, &u->retry_ms);
    if (hc_json_parse_obj(req->body.p, req->body.len, CC_MAX_JSON_BODY, &body, &err) < 0 ||
        hc_json_get_str_len(body, "password", 1, CC_MAX_PASSWORD, &pw, &err) < 0) {
        u->body_bad = true;
        snprintf(u->body_err, sizeof(u->body_err), "Bad request: %s", err.msg);
    } else {
        set_password(u, pw);
    }
    json_decref(body);
    cc_job_start(j);
}

/*
 * A job for a request on /users/EMAIL with the parameter copied; one that does not decode is
 * answered 201 by target_ok, after authentication.
 */
static cc_job_t *user_job(cc_ctx_t *cc, const hc_http_request_t *req, hc_http_res_t *res,
                          cc_job_fn fn)
{
    cc_job_t *j = cc_job_new(cc, req, res, fn);
    user_req_t *u = user_job_data(j);
    u->email_bad = cc_api_param(req, "email", u->email, sizeof(u->email)) < 0;
    return j;
}

/* The caller may act on the EMAIL user (self or admin); false after failing the job. Worker. */
static bool target_ok(cc_job_t *j, bool admin_only)
{
    user_req_t *u = j->data;
    if (u->email_bad) {
        cc_job_fail(j, CC_E_USER_NOT_FOUND, "User not found");
        return false;
    }
    if (!j->user.admin && (admin_only || strcmp(j->user.email, u->email) != 0)) {
        cc_job_fail(j, CC_E_FORBIDDEN, "Operation not permitted");
        return false;
    }
    return true;
}

static void user_get_work(cc_job_t *j, cc_db_t *db)
{
    user_req_t *u = j->data;
    cc_db_res_t rows = {0};
    hc_err_t err;

    if (!target_ok(j, false))
        return;
    if (cc_db_exec(db, "SELECT email, admin FROM users WHERE email = ?", CC_P(u->email), &rows,
                   &err) < 0) {
        cc_job_db_fail(j, "user", &err);
        return;
    }
    if (rows.nrows == 0) {
        cc_job_fail(j, CC_E_USER_NOT_FOUND, "User not found");
    } else {
        json_t *o = hc_json_obj();
        hc_json_set_str(o, "email", cc_db_cell(&rows, 0, 0));
        hc_json_set_bool(o, "admin",
                         cc_db_cell_int(&rows, 0, 1) || cc_is_conf_admin(j->cc, u->email));
        cc_job_reply_json(j, 200, o);
    }
    cc_db_res_release(&rows);
}

static void h_user_get(const hc_http_request_t *req, hc_http_res_t *res, void *data)
{
    cc_job_start(user_job(data, req, res, user_get_work));
}

static void user_put_work(cc_job_t *j, cc_db_t *db)
{
    user_req_t *u = j->data;
    char hash[CC_PW_HASH_LEN];
    cc_db_res_t res = {0};
    hc_err_t err;

    if (!target_ok(j, false))
        return;
    if (u->body_bad) {
        cc_job_fail(j, CC_E_BAD_REQUEST, "%s", u->body_err);
        return;
    }
    if (!hash_password(j, u, hash))
        return;
    int r = cc_db_exec(db, "UPDATE users SET pw_hash = ? WHERE email = ?", CC_P(hash, u->email),
                       &res, &err);
    if (r < 0)
        cc_job_db_fail(j, "password", &err);
    else if (res.changes == 0)
        cc_job_fail(j, CC_E_USER_NOT_FOUND, "User not found");
    else
        j->status = 204;
    cc_db_res_release(&res);
    sodium_memzero(hash, sizeof(hash));
}

static void h_user_put(const hc_http_request_t *req, hc_http_res_t *res, void *data)
{
    cc_job_t *j = user_job(data, req, res, user_put_work);
    user_req_t *u = j->data;
    json_t *body = NULL;
    const char *pw;
    hc_err_t err;
    if (hc_json_parse_obj(req->body.p, req->body.len, CC_MAX_JSON_BODY, &body, &err) < 0 ||
        hc_json_get_str_len(body, "password", 1, CC_MAX_PASSWORD, &pw, &err) < 0) {
        u->body_bad = true;
        snprintf(u->body_err, sizeof(u->body_err), "Bad request: %s", err.msg);
    } else {
        set_password(u, pw);
    }
    json_decref(body);
    cc_job_start(j);
}

/* Deletes a user with their tokens, apps, routes and service instances in one transaction. */
static void user_delete_work(cc_job_t *j, cc_db_t *db)
{
    user_req_t *u = j->data;
    cc_db_res_t rows = {0};
    hc_err_t err;
    int r;

    if (!target_ok(j, true))
        return;
    r = cc_db_begin(db, &err);
    if (r < 0)
        goto fail;
    r = cc_db_exec(db, "DELETE FROM users WHERE email = ?", CC_P(u->email), &rows, &err);
    if (r < 0)
        goto fail;
    if (rows.changes == 0) {
        cc_db_rollback(db);
        cc_job_fail(j, CC_E_USER_NOT_FOUND, "User not found");
        goto out;
    }
    static const char *const stmts[] = {
        "DELETE FROM tokens WHERE email = ?",
        "DELETE FROM routes WHERE app_guid IN (SELECT guid FROM apps WHERE owner = ?)",
        "DELETE FROM apps WHERE owner = ?",
        "DELETE FROM service_instances WHERE owner = ?",
    };
    for (size_t i = 0; i < HC_ARRAY_SIZE(stmts); i++) {
        r = cc_db_exec(db, stmts[i], CC_P(u->email), NULL, &err);
        if (r < 0)
            goto fail;
    }
    r = cc_db_commit(db, &err);
    if (r < 0)
        goto fail;
    j->status = 204;
    goto out;
fail:
    cc_db_rollback(db);
    cc_job_db_fail(j, "delete user", &err);
out:
    cc_db_res_release(&rows);
}

static bool user_delete_after(cc_job_t *j, int status)
{
    user_req_t *u = j->data;
    if (status == 0 && j->code == 0)
        hc_log_info("user deleted", "email", u->email, "by", j->user.email);
    return false;
}

static void h_user_delete(const hc_http_request_t *req, hc_http_res_t *res, void *data)
{
    cc_job_t *j = user_job(data, req, res, user_delete_work);
    j->after = user_delete_after;
    cc_job_start(j);
}

static void users_list_work(cc_job_t *j, cc_db_t *db)
{
    cc_db_res_t users = {0}, apps = {0};
    hc_err_t err;

    if (!j->user.admin) {
        cc_job_fail(j, CC_E_FORBIDDEN, "Operation not permitted");
        return;
    }
    if (cc_db_exec(db, "SELECT email, admin FROM users ORDER BY email", CC_P0, &users, &err) < 0 ||
        cc_db_exec(db, "SELECT owner, name, state FROM apps ORDER BY owner, name", CC_P0, &apps,
                   &err) < 0) {
        cc_job_db_fail(j, "list users", &err);
        goto out;
    }
    json_t *arr = hc_json_arr();
    size_t a = 0;
    for (size_t i = 0; i < users.nrows; i++) {
        const char *email = cc_db_cell(&users, i, 0);
        json_t *u = hc_json_obj(), *ua = hc_json_arr();
        hc_json_set_str(u, "email", email);
        hc_json_set_bool(u, "admin",
                         cc_db_cell_int(&users, i, 1) || cc_is_conf_admin(j->cc, email));
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
    cc_job_reply_json(j, 200, arr);
out:
    cc_db_res_release(&users);
    cc_db_res_release(&apps);
}

static void h_users_list(const hc_http_request_t *req, hc_http_res_t *res, void *data)
{
    cc_job_start(cc_job_new(data, req, res, users_list_work));
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
