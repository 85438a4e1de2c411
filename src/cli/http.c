/*
 * Calls to the CC's REST API with libcurl's easy interface (a CLI may block). Every answer is
 * bounded (CLI_MAX_BODY); errors carry what failed and, for {"code","description"} bodies,
 * the CC's own words.
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <curl/curl.h>

#include "cli.h"
#include "hc_json.h"

static size_t on_body(char *p, size_t size, size_t n, void *data)
{
    hc_buf_t *b = data;
    hc_buf_append(b, p, size * n);
    return b->overflow ? 0 : size * n;
}

static int on_progress(void *data, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal,
                       curl_off_t ulnow)
{
    (void)data;
    (void)dltotal;
    (void)dlnow;
    if (ultotal <= 0)
        return 0;
    char now[16], total[16];
    cli_human_size((uint64_t)ulnow, now, sizeof(now));
    cli_human_size((uint64_t)ultotal, total, sizeof(total));
    int pct = (int)(ulnow * 100 / ultotal), bar = pct * 30 / 100;
    fprintf(stderr, "\r  uploading [%.*s%*s] %3d%% %s/%s ", bar, "##############################",
            30 - bar, "", pct, now, total);
    return 0;
}

/* The N of a "Content-Range: bytes A-B/N" or "bytes * /N" reply header; -1 when absent. */
static int64_t content_range_size(CURL *c)
{
    struct curl_header *h = NULL;
    if (curl_easy_header(c, "Content-Range", 0, CURLH_HEADER, -1, &h) != CURLHE_OK || !h)
        return -1;
    const char *slash = strrchr(h->value, '/');
    uint64_t v;
    if (!slash || hc_parse_u64(slash + 1, strlen(slash + 1), INT64_MAX, &v) < 0)
        return -1;
    return (int64_t)v;
}

char *cli_escape(const char *s)
{
    char *e = curl_easy_escape(NULL, s, 0);
    hc_assert(e);
    char *out = hc_strdup(e);
    curl_free(e);
    return out;
}

int cli_http(cli_t *cli, const char *method, const char *path, const json_t *body,
             const cli_part_t *parts, size_t nparts, const char *extra_header, bool progress,
             cli_resp_t *ret, hc_err_t *err)
{
    /* One handle per session: its connection cache keeps the TCP connection alive. */
    if (!cli->curl)
        cli->curl = curl_easy_init();
    CURL *c = cli->curl;
    struct curl_slist *hdrs = NULL;
    curl_mime *mime = NULL;
    hc_buf_t req;
    char ebuf[CURL_ERROR_SIZE] = "";
    int r = 0;

    hc_buf_init(&req, CLI_MAX_BODY);
    memset(ret, 0, sizeof(*ret));
    ret->size = -1;
    hc_buf_init(&ret->body, CLI_MAX_BODY);
    if (!c)
        return hc_err_set(err, -ENOMEM, "cannot start libcurl");
    curl_easy_reset(c);
    hc_autofree char *url = hc_asprintf("%s%s", cli->target ? cli->target : "", path);
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &ret->body);
    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, ebuf);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, 10L);
    curl_easy_setopt(c, CURLOPT_USERAGENT, "hearth-cli/" HEARTH_VERSION);
    if (strcmp(method, "HEAD") == 0)
        curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
    hdrs = curl_slist_append(hdrs, "Accept: application/json");
    hdrs = curl_slist_append(hdrs, "Expect:");
    if (cli->token) {
        hc_autofree char *auth = hc_asprintf("Authorization: bearer %s", cli->token);
        hdrs = curl_slist_append(hdrs, auth);
    }
    if (extra_header)
        hdrs = curl_slist_append(hdrs, extra_header);
    if (nparts > 0) {
        mime = curl_mime_init(c);
        for (size_t i = 0; i < nparts; i++) {
            curl_mimepart *p = curl_mime_addpart(mime);
            curl_mime_name(p, parts[i].name);
            if (parts[i].file) {
                if (curl_mime_filedata(p, parts[i].file) != CURLE_OK) {
                    r = hc_err_set(err, -EIO, "read `%s`", parts[i].file);
                    goto out;
                }
            } else {
                curl_mime_data(p, parts[i].data, parts[i].len);
            }
            if (parts[i].type)
                curl_mime_type(p, parts[i].type);
        }
        curl_easy_setopt(c, CURLOPT_MIMEPOST, mime);
        curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
    } else if (body) {
        hc_json_dump(body, JSON_COMPACT, &req);
        hdrs = curl_slist_append(hdrs, "Content-Type: application/json");
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, req.data);
        curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)req.len);
    }
    if (progress) {
        curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
        curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, on_progress);
    }
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdrs);
    CURLcode cr = curl_easy_perform(c);
    if (progress)
        fputc('\n', stderr);
    if (cr != CURLE_OK) {
        if (ret->body.overflow)
            r = hc_err_set(err, HC_ETOOBIG, "the answer of %s is over %zu bytes", url,
                           CLI_MAX_BODY);
        else
            r = hc_err_set(err, -EIO, "%s", ebuf[0] ? ebuf : curl_easy_strerror(cr));
        goto out;
    }
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &ret->status);
    ret->size = content_range_size(c);
    if (ret->body.len > 0)
        ret->json = json_loadb(ret->body.data, ret->body.len, 0, NULL);
out:
    hc_buf_release(&req);
    curl_mime_free(mime);
    curl_slist_free_all(hdrs);
    if (r < 0)
        cli_resp_release(ret);
    return r;
}

void cli_resp_release(cli_resp_t *r)
{
    hc_buf_release(&r->body);
    json_decref(r->json);
    r->json = NULL;
}

int cli_need_target(cli_t *cli)
{
    if (cli->target)
        return 0;
    cli_fail(cli, "no target set");
    cli_hint("Set one with `hearth target URL` (hearthd prints it when it starts).");
    return -1;
}

int cli_need_login(cli_t *cli)
{
    if (cli_need_target(cli) < 0)
        return -1;
    if (cli->token)
        return 0;
    cli_fail(cli, "not logged in to %s", cli->target);
    cli_hint(
        "Log in with `hearth login EMAIL`, or create an account with `hearth register EMAIL`.");
    return -1;
}

/* The hint that follows a v1 error code. */
static const char *hint_for(int code, long status)
{
    switch (code) {
    case 200:
        return status == 429 ? "Wait a little before trying again."
                             : "Log in again with `hearth login EMAIL` if your session expired.";
    case 201:
        return "Check the email, or create the account with `hearth register EMAIL`.";
    case 301:
        return "List your apps with `hearth apps`.";
    case 500:
        return "List your services with `hearth services`.";
    case 600:
    case 601:
    case 504:
        return "See your limits with `hearth info`; delete or scale down something first.";
    case 701:
        return "Choose another host name with `--hostname`.";
    case 320:
    case 321:
        return "List the app's releases with `hearth releases APP`.";
    default:
        return NULL;
    }
}

int cli_api_try(cli_t *cli, const char *what, const char *method, const char *path,
                const json_t *body, json_t **ret_json, int *ret_code)
{
    cli_resp_t resp;
    hc_err_t err;
    if (cli_http(cli, method, path, body, NULL, 0, NULL, false, &resp, &err) < 0) {
        cli_fail(cli, "%s: cannot reach %s: %s", what, cli->target, err.msg);
        cli_hint("Check that the cloud is running and `hearth target` points at it.");
        return -1;
    }
    if (resp.status >= 400) {
        json_t *code = json_object_get(resp.json, "code");
        *ret_code = json_is_integer(code) ? (int)json_integer_value(code) : 0;
        cli_resp_release(&resp);
        return 1;
    }
    if (ret_json)
        *ret_json = json_incref(resp.json);
    cli_resp_release(&resp);
    return 0;
}

int cli_api(cli_t *cli, const char *what, const char *method, const char *path, const json_t *body,
            json_t **ret_json)
{
    cli_resp_t resp;
    hc_err_t err;
    if (cli_http(cli, method, path, body, NULL, 0, NULL, false, &resp, &err) < 0) {
        cli_fail(cli, "%s: cannot reach %s: %s", what, cli->target, err.msg);
        cli_hint("Check that the cloud is running and `hearth target` points at it.");
        return -1;
    }
    if (resp.status >= 400) {
        json_t *code = json_object_get(resp.json, "code");
        const char *desc = json_string_value(json_object_get(resp.json, "description"));
        int c = json_is_integer(code) ? (int)json_integer_value(code) : 0;
        if (desc)
            cli_fail(cli, "%s failed: %s (error %d)", what, desc, c);
        else if (resp.status == 404)
            cli_fail(cli, "%s failed: this cloud has no such API (HTTP 404 for %s %s)", what,
                     method, path);
        else
            cli_fail(cli, "%s failed: HTTP %ld", what, resp.status);
        const char *h = hint_for(c, resp.status);
        if (h)
            cli_hint("%s", h);
        cli_resp_release(&resp);
        return -1;
    }
    if (ret_json)
        *ret_json = json_incref(resp.json);
    cli_resp_release(&resp);
    return 0;
}
