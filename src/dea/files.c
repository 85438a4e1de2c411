/*
 * The DEA's file server (--port, default 9023): an instance's logs and files kept on the host
 * (data_dir/instances/ID, which outlives a crash for crashlogs), behind basic auth with the
 * credentials dea.find.droplet hands to the CC. Paths are confined to the instance dir.
 */
#include <dirent.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dea.h"
#include "hc_fs.h"
#include "hc_log.h"

#define FILES_MAX_READ ((size_t)1024 * 1024)

static bool authorized(dea_t *dea, const hc_http_request_t *req)
{
    hc_str_t h = hc_http_req_header(req, "Authorization");
    hc_autofree char *plain = hc_asprintf("%s:%s", dea->conf->file_user, dea->conf->file_password);
    size_t plen = strlen(plain);
    size_t blen = sodium_base64_ENCODED_LEN(plen, sodium_base64_VARIANT_ORIGINAL);
    hc_autofree char *b64 = hc_malloc(blen);
    sodium_bin2base64(b64, blen, (const unsigned char *)plain, plen,
                      sodium_base64_VARIANT_ORIGINAL);
    hc_autofree char *want = hc_asprintf("Basic %s", b64);
    size_t wl = strlen(want);
    return h.len == wl && sodium_memcmp(h.p, want, wl) == 0;
}

static dea_inst_t *find(dea_t *dea, hc_str_t id)
{
    for (dea_inst_t *in = dea->insts; in; in = in->next)
        if (strlen(in->id) == id.len && memcmp(in->id, id.p, id.len) == 0)
            return in;
    return NULL;
}

/* A relative path of plain segments only: no "..", ".", empty segments or NULs. */
static bool path_ok(const char *p)
{
    if (!*p)
        return true;
    const char *s = p;
    while (*s) {
        const char *e = strchr(s, '/');
        size_t n = e ? (size_t)(e - s) : strlen(s);
        if ((n == 2 && s[0] == '.' && s[1] == '.') || (n == 1 && s[0] == '.'))
            return false;
        if (n == 0 && e && e[1])
            return false;
        s = e ? e + 1 : s + n;
    }
    return true;
}

static void reply_path(dea_inst_t *in, const char *rel, hc_http_res_t *res)
{
    hc_autofree char *p = hc_asprintf("%s/%s", in->dir, rel);
    struct stat st;
    /* lstat + O_NOFOLLOW: symlinks inside the dir never lead out of it. */
    if (lstat(p, &st) < 0) {
        hc_http_reply_text(res, 404, "no such file\n");
        return;
    }
    if (S_ISDIR(st.st_mode)) {
        hc_buf_t out;
        hc_buf_init(&out, 1024 * 1024);
        int fd = open(p, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
        struct dirent *e;
        while (d && (e = readdir(d))) {
            if (e->d_name[0] == '.')
                continue;
            hc_buf_appendf(&out, "%s%s\n", e->d_name, e->d_type == DT_DIR ? "/" : "");
        }
        if (d)
            closedir(d);
        else if (fd >= 0)
            close(fd);
        hc_http_reply(res, 200, "text/plain", out.data ? out.data : "", out.len);
        hc_buf_release(&out);
        return;
    }
    if (!S_ISREG(st.st_mode)) {
        hc_http_reply_text(res, 404, "no such file\n");
        return;
    }
    int fd = open(p, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) {
        hc_http_reply_text(res, 404, "no such file\n");
        return;
    }
    /* The last FILES_MAX_READ bytes (logs are read from their end). */
    off_t off = st.st_size > (off_t)FILES_MAX_READ ? st.st_size - (off_t)FILES_MAX_READ : 0;
    size_t want = (size_t)(st.st_size - off);
    char *buf = hc_malloc(want + 1);
    ssize_t n = pread(fd, buf, want, off);
    close(fd);
    if (n < 0) {
        free(buf);
        hc_http_reply_text(res, 500, "read failed\n");
        return;
    }
    hc_http_reply_take(res, 200, "text/plain", buf, (size_t)n);
}

static void h_files(const hc_http_request_t *req, hc_http_res_t *res, void *data)
{
    dea_t *dea = data;
    if (!authorized(dea, req)) {
        hc_http_res_set_header(res, "WWW-Authenticate", "Basic realm=\"hearth-dea\"");
        hc_http_reply_text(res, 401, "unauthorized\n");
        return;
    }
    dea_inst_t *in = find(dea, hc_http_req_param(req, "id"));
    if (!in) {
        hc_http_reply_text(res, 404, "no such instance\n");
        return;
    }
    hc_autofree char *rel = hc_http_req_param_decoded(req, "*");
    if (!rel || memchr(rel, '\0', strlen(rel)) != NULL || !path_ok(rel)) {
        hc_http_reply_text(res, 403, "path outside the instance\n");
        return;
    }
    reply_path(in, rel, res);
}

static void h_logs(const hc_http_request_t *req, hc_http_res_t *res, void *data)
{
    dea_t *dea = data;
    if (!authorized(dea, req)) {
        hc_http_reply_text(res, 401, "unauthorized\n");
        return;
    }
    dea_inst_t *in = find(dea, hc_http_req_param(req, "id"));
    if (!in) {
        hc_http_reply_text(res, 404, "no such instance\n");
        return;
    }
    reply_path(in, "logs/app.log", res);
}

int dea_files_start(dea_t *dea, hc_err_t *err)
{
    hc_http_server_conf_t c = {.host = "0.0.0.0", .port = dea->conf->common.port};
    int r = hc_http_server_new(dea->loop, &c, &dea->files, err);
    if (r < 0)
        return r;
    hc_http_server_route(dea->files, "GET", "/instances/:id/files/*", h_files, dea);
    hc_http_server_route(dea->files, "GET", "/instances/:id/logs", h_logs, dea);
    return 0;
}
