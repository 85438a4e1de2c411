/*
 * rabbitmq: a vhost v<key> per instance, a user u<key> per binding with configure/write/read
 * permissions on that vhost only, through the management HTTP API (the rabbitmq_management
 * plugin) with the admin user of the config. Unbind deletes the user and closes its open
 * connections; deprovision deletes the vhost (its queues and exchanges with it). Runs on a
 * worker thread (libcurl easy interface, blocking).
 */
#include <curl/curl.h>
#include <stdio.h>
#include <string.h>

#include "broker.h"
#include "creds.h"
#include "hc_json.h"

#define RMQ_TIMEOUT_S 30L
#define RMQ_MAX_REPLY ((size_t)4 << 20)

static size_t on_data(char *p, size_t size, size_t n, void *data)
{
    hc_buf_append(data, p, size * n);
    return ((hc_buf_t *)data)->overflow ? 0 : size * n;
}

/*
 * One management API call. ok_404 treats 404 as success (deleting what is gone). *ret_json
 * (optional) gets the parsed reply. Returns 0 or -EIO with "rabbitmq: PUT /api/..: 401 ..".
 */
static int rmq_call(const brk_conf_t *c, const char *method, const char *path, const char *body,
                    bool ok_404, json_t **ret_json, hc_err_t *err)
{
    CURL *h = curl_easy_init();
    struct curl_slist *hdrs = curl_slist_append(NULL, "Content-Type: application/json");
    char *url = hc_asprintf("http://%s:%d%s", c->rmq_host, c->rmq_mgmt_port, path);
    hc_buf_t out;
    long status = 0;
    int r = 0;

    hc_buf_init(&out, RMQ_MAX_REPLY);
    if (!h || !hdrs) {
        r = hc_err_set(err, -ENOMEM, "rabbitmq: out of memory");
        goto out;
    }
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, method);
    curl_easy_setopt(h, CURLOPT_USERNAME, c->rmq_user);
    curl_easy_setopt(h, CURLOPT_PASSWORD, c->rmq_password);
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdrs);
    curl_easy_setopt(h, CURLOPT_TIMEOUT, RMQ_TIMEOUT_S);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_data);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, &out);
    if (body)
        curl_easy_setopt(h, CURLOPT_POSTFIELDS, body);
    CURLcode cc = curl_easy_perform(h);
    if (cc != CURLE_OK) {
        r = brk_err_set(err, -EIO, "rabbitmq: %s %s: %s", method, path, curl_easy_strerror(cc));
        goto out;
    }
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
    if (!((status >= 200 && status < 300) || (ok_404 && status == 404))) {
        r = brk_err_set(err, -EIO, "rabbitmq: %s %s: HTTP %ld %.*s", method, path, status,
                        (int)HC_MIN(out.len, 200), out.data ? out.data : "");
        goto out;
    }
    if (ret_json) {
        *ret_json = NULL;
        if (out.len > 0 && (r = hc_json_parse(out.data, out.len, RMQ_MAX_REPLY, ret_json, err)) < 0)
            hc_err_wrap(err, "rabbitmq: %s", path);
    }
out:
    hc_buf_release(&out);
    free(url);
    curl_slist_free_all(hdrs);
    if (h)
        curl_easy_cleanup(h);
    return r;
}

static int rmq_provision(const brk_conf_t *c, brk_inst_t *inst, hc_err_t *err)
{
    char vhost[BRK_KEY_LEN + 2], path[64];
    brk_name(vhost, 'v', inst->key);
    hc_assert(brk_safe_name(vhost));
    snprintf(path, sizeof(path), "/api/vhosts/%s", vhost);
    return rmq_call(c, "PUT", path, "{}", false, NULL, err);
}

static int rmq_deprovision(const brk_conf_t *c, const brk_inst_t *inst, hc_err_t *err)
{
    char vhost[BRK_KEY_LEN + 2], path[64];
    brk_name(vhost, 'v', inst->key);
    hc_assert(brk_safe_name(vhost));
    snprintf(path, sizeof(path), "/api/vhosts/%s", vhost);
    return rmq_call(c, "DELETE", path, NULL, true, NULL, err);
}

static int rmq_bind(const brk_conf_t *c, const brk_inst_t *inst, const brk_binding_t *b,
                    json_t **ret_creds, hc_err_t *err)
{
    char vhost[BRK_KEY_LEN + 2], user[BRK_KEY_LEN + 2], path[128], body[128];
    brk_name(vhost, 'v', inst->key);
    brk_name(user, 'u', b->key);
    hc_assert(brk_safe_name(vhost) && brk_safe_name(user) && brk_safe_name(b->password));
    snprintf(path, sizeof(path), "/api/users/%s", user);
    snprintf(body, sizeof(body), "{\"password\":\"%s\",\"tags\":\"\"}", b->password);
    int r = rmq_call(c, "PUT", path, body, false, NULL, err);
    if (r < 0)
        return r;
    snprintf(path, sizeof(path), "/api/permissions/%s/%s", vhost, user);
    r = rmq_call(c, "PUT", path, "{\"configure\":\".*\",\"write\":\".*\",\"read\":\".*\"}", false,
                 NULL, err);
    if (r < 0)
        return r;
    json_t *creds = brk_creds_new("amqp", c->rmq_host, c->rmq_port, vhost, user, b->password);
    hc_json_set_str(creds, "vhost", vhost);
    hc_json_set_str(creds, "pass", b->password);
    hc_json_set_str(creds, "url", json_string_value(json_object_get(creds, "uri")));
    *ret_creds = creds;
    return 0;
}

/* Closes the connections of user on vhost (the user may already be deleted). */
static int close_connections(const brk_conf_t *c, const char *vhost, const char *user,
                             hc_err_t *err)
{
    char path[128];
    json_t *conns = NULL;
    snprintf(path, sizeof(path), "/api/vhosts/%s/connections", vhost);
    int r = rmq_call(c, "GET", path, NULL, true, &conns, err);
    if (r < 0 || !json_is_array(conns))
        goto out;
    size_t i;
    json_t *conn;
    json_array_foreach(conns, i, conn)
    {
        const char *name = json_string_value(json_object_get(conn, "name"));
        const char *u = json_string_value(json_object_get(conn, "user"));
        if (!name || !u || strcmp(u, user) != 0)
            continue;
        char *esc = curl_easy_escape(NULL, name, 0);
        if (!esc) {
            r = hc_err_set(err, -ENOMEM, "rabbitmq: out of memory");
            goto out;
        }
        char *cpath = hc_asprintf("/api/connections/%s", esc);
        curl_free(esc);
        r = rmq_call(c, "DELETE", cpath, NULL, true, NULL, err);
        free(cpath);
        if (r < 0)
            goto out;
    }
out:
    json_decref(conns);
    return r;
}

static int rmq_unbind(const brk_conf_t *c, const brk_inst_t *inst, const brk_binding_t *b,
                      hc_err_t *err)
{
    char vhost[BRK_KEY_LEN + 2], user[BRK_KEY_LEN + 2], path[64];
    brk_name(vhost, 'v', inst->key);
    brk_name(user, 'u', b->key);
    hc_assert(brk_safe_name(vhost) && brk_safe_name(user));
    snprintf(path, sizeof(path), "/api/users/%s", user);
    int r = rmq_call(c, "DELETE", path, NULL, true, NULL, err);
    return r < 0 ? r : close_connections(c, vhost, user, err);
}

const brk_svc_ops_t brk_rabbitmq_ops = {
    .provision = rmq_provision,
    .deprovision = rmq_deprovision,
    .bind = rmq_bind,
    .unbind = rmq_unbind,
};
