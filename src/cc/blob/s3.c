/*
 * The S3 blob backend: path-style URLs ENDPOINT/BUCKET/KEY signed with AWS SigV4 by libcurl
 * (CURLOPT_AWS_SIGV4). An object becomes visible only when its PUT completes, so a crashed
 * upload never leaves a partial blob. Listing (for the collector, gc.h) is ListObjectsV2. Blocking
 * (curl easy): thread pool only, one easy handle per call, so the backend is thread-safe.
 */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include <curl/curl.h>

#include "blob/blob.h"
#include "blob/s3_list.h"
#include "hc_buf.h"
#include "hc_fs.h"

#define S3_TIMEOUT_S 600
#define S3_LIST_MAX (8 * 1024 * 1024) /* a page of 1000 keys is about 300 KiB */

typedef struct s3_s {
    char *endpoint, *bucket, *sigv4, *userpwd;
} s3_t;

/* Refuses keys that are not "kind/sha1" (they go into URLs unescaped). */
static int s3_key_ok(const char *key)
{
    const char *slash = strchr(key, '/');
    if (!slash || slash == key || !cc_sha1_valid(slash + 1))
        return -EINVAL;
    for (const char *p = key; p < slash; p++)
        if (*p < 'a' || *p > 'z')
            return -EINVAL;
    return 0;
}

/* A signed request on ENDPOINT/BUCKET followed by rest ("/KEY" or "?QUERY"). */
static CURL *s3_easy_at(const s3_t *s, const char *rest, struct curl_slist **hdrs)
{
    CURL *c = curl_easy_init();
    if (!c)
        return NULL;
    hc_autofree char *url = hc_asprintf("%s/%s%s", s->endpoint, s->bucket, rest);
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_AWS_SIGV4, s->sigv4);
    curl_easy_setopt(c, CURLOPT_USERPWD, s->userpwd);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, (long)S3_TIMEOUT_S);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
    *hdrs = curl_slist_append(NULL, "x-amz-content-sha256: UNSIGNED-PAYLOAD");
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, *hdrs);
    return c;
}

static CURL *s3_easy(const s3_t *s, const char *key, struct curl_slist **hdrs)
{
    hc_autofree char *rest = hc_asprintf("/%s", key);
    return s3_easy_at(s, rest, hdrs);
}

/* Runs the transfer; returns the HTTP status, or -EIO with err set. */
static long s3_perform(CURL *c, const char *what, const char *key, hc_err_t *err)
{
    CURLcode rc = curl_easy_perform(c);
    long status = 0;
    if (rc != CURLE_OK)
        return hc_err_set(err, -EIO, "s3 %s `%s`: %s", what, key, curl_easy_strerror(rc));
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    return status;
}

static size_t discard(char *p, size_t size, size_t n, void *ud)
{
    (void)p;
    (void)ud;
    return size * n;
}

static int s3_stat(void *self, const char *key, uint64_t *ret_size, hc_err_t *err)
{
    struct curl_slist *h = NULL;
    if (s3_key_ok(key) < 0)
        return hc_err_set(err, -EINVAL, "blob key `%s`", key);
    CURL *c = s3_easy(self, key, &h);
    if (!c)
        return hc_err_set(err, -ENOMEM, "curl");
    curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
    long st = s3_perform(c, "HEAD", key, err);
    int r;
    if (st < 0) {
        r = (int)st;
    } else if (st == 200) {
        curl_off_t len = 0;
        curl_easy_getinfo(c, CURLINFO_CONTENT_LENGTH_DOWNLOAD_T, &len);
        if (ret_size)
            *ret_size = len > 0 ? (uint64_t)len : 0;
        r = 1;
    } else if (st == 404) {
        r = 0;
    } else {
        r = hc_err_set(err, -EIO, "s3 HEAD `%s`: HTTP %ld", key, st);
    }
    curl_slist_free_all(h);
    curl_easy_cleanup(c);
    return r;
}

static size_t read_nothing(char *p, size_t size, size_t n, void *ud)
{
    (void)p;
    (void)size;
    (void)n;
    (void)ud;
    return 0;
}

/*
 * Copies an object onto itself, which gives it a new LastModified: a package or droplet put
 * again is then as young as a new one for the collector (gc.h), as with the local backend.
 */
static int s3_touch(s3_t *s, const char *key, hc_err_t *err)
{
    struct curl_slist *h = NULL;
    CURL *c = s3_easy(s, key, &h);
    if (!c)
        return hc_err_set(err, -ENOMEM, "curl");
    hc_autofree char *src = hc_asprintf("x-amz-copy-source: /%s/%s", s->bucket, key);
    h = curl_slist_append(h, src);
    h = curl_slist_append(h, "x-amz-metadata-directive: REPLACE");
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
    curl_easy_setopt(c, CURLOPT_UPLOAD, 1L); /* a PUT with Content-Length: 0 */
    curl_easy_setopt(c, CURLOPT_INFILESIZE_LARGE, (curl_off_t)0);
    curl_easy_setopt(c, CURLOPT_READFUNCTION, read_nothing);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, discard);
    long code = s3_perform(c, "copy", key, err);
    int r = code < 0      ? (int)code
            : code == 200 ? 0
                          : hc_err_set(err, -EIO, "s3 copy `%s` onto itself: HTTP %ld", key, code);
    curl_slist_free_all(h);
    curl_easy_cleanup(c);
    return r;
}

static int s3_put(void *self, const char *key, const char *src, hc_err_t *err)
{
    uint64_t size;
    int r = s3_stat(self, key, &size, err);
    if (r < 0)
        return r;
    if (r > 0) /* content addressing: present means equal */
        return strncmp(key, "res/", 4) == 0 ? 0 : s3_touch(self, key, err);
    FILE *f = fopen(src, "rbe");
    if (!f)
        return hc_err_set(err, -errno, "open `%s`", src);
    struct stat st;
    fstat(fileno(f), &st);
    struct curl_slist *h = NULL;
    CURL *c = s3_easy(self, key, &h);
    if (!c) {
        fclose(f);
        return hc_err_set(err, -ENOMEM, "curl");
    }
    curl_easy_setopt(c, CURLOPT_UPLOAD, 1L);
    curl_easy_setopt(c, CURLOPT_READDATA, f);
    curl_easy_setopt(c, CURLOPT_INFILESIZE_LARGE, (curl_off_t)st.st_size);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, discard);
    long code = s3_perform(c, "PUT", key, err);
    r = code < 0                       ? (int)code
        : (code == 200 || code == 201) ? 0
                                       : hc_err_set(err, -EIO, "s3 PUT `%s`: HTTP %ld", key, code);
    curl_slist_free_all(h);
    curl_easy_cleanup(c);
    fclose(f);
    return r;
}

typedef struct sink_s {
    int fd;
    int error;
} sink_t;

static size_t to_fd(char *p, size_t size, size_t n, void *ud)
{
    sink_t *s = ud;
    if (hc_write_all(s->fd, p, size * n) < 0) {
        s->error = -EIO;
        return 0;
    }
    return size * n;
}

static int s3_get(void *self, const char *key, int fd, hc_err_t *err)
{
    struct curl_slist *h = NULL;
    if (s3_key_ok(key) < 0)
        return hc_err_set(err, -EINVAL, "blob key `%s`", key);
    CURL *c = s3_easy(self, key, &h);
    if (!c)
        return hc_err_set(err, -ENOMEM, "curl");
    sink_t sink = {.fd = fd};
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, to_fd);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &sink);
    curl_easy_setopt(c, CURLOPT_FAILONERROR, 1L);
    CURLcode rc = curl_easy_perform(c);
    long st = 0;
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &st);
    int r = 0;
    if (st == 404)
        r = hc_err_set(err, -ENOENT, "blob `%s`", key);
    else if (rc != CURLE_OK || sink.error)
        r = hc_err_set(err, -EIO, "s3 GET `%s`: %s", key,
                       sink.error ? "write failed" : curl_easy_strerror(rc));
    curl_slist_free_all(h);
    curl_easy_cleanup(c);
    return r;
}

static int s3_remove(void *self, const char *key, hc_err_t *err)
{
    struct curl_slist *h = NULL;
    if (s3_key_ok(key) < 0)
        return hc_err_set(err, -EINVAL, "blob key `%s`", key);
    CURL *c = s3_easy(self, key, &h);
    if (!c)
        return hc_err_set(err, -ENOMEM, "curl");
    curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, "DELETE");
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, discard);
    long st = s3_perform(c, "DELETE", key, err);
    int r = st < 0 ? (int)st
            : (st == 200 || st == 204 || st == 404)
                ? 0
                : hc_err_set(err, -EIO, "s3 DELETE `%s`: HTTP %ld", key, st);
    curl_slist_free_all(h);
    curl_easy_cleanup(c);
    return r;
}

static size_t to_buf(char *p, size_t size, size_t n, void *ud)
{
    hc_buf_t *b = ud;
    hc_buf_append(b, p, size * n);
    return b->overflow ? 0 : size * n;
}

typedef struct list_ctx_s {
    const char *kind;
    int (*cb)(const char *key, uint64_t size, int64_t mtime, void *ud);
    void *ud;
} list_ctx_t;

/* Keys outside kind/ or not of our shape are not ours: skipped. */
static int list_entry(const char *key, uint64_t size, int64_t mtime, void *ud)
{
    list_ctx_t *l = ud;
    size_t kl = strlen(l->kind);
    if (strncmp(key, l->kind, kl) != 0 || key[kl] != '/' || s3_key_ok(key) < 0)
        return 0;
    return l->cb(key, size, mtime, l->ud);
}

/* ListObjectsV2 under "kind/", a page (up to 1000 keys) per request. */
static int s3_list(void *self, const char *kind,
                   int (*cb)(const char *key, uint64_t size, int64_t mtime, void *ud), void *ud,
                   hc_err_t *err)
{
    s3_t *s = self;
    list_ctx_t l = {kind, cb, ud};
    cc_s3_page_t page = {.next = ""};
    for (const char *p = kind; *p; p++)
        if (*p < 'a' || *p > 'z')
            return hc_err_set(err, -EINVAL, "blob kind `%s`", kind);
    hc_buf_t body;
    hc_buf_init(&body, S3_LIST_MAX);
    int r = 0;
    do {
        struct curl_slist *h = NULL;
        char *tok = page.next[0] ? curl_easy_escape(NULL, page.next, 0) : NULL;
        hc_autofree char *rest = hc_asprintf("?list-type=2&prefix=%s%%2F%s%s", kind,
                                             tok ? "&continuation-token=" : "", tok ? tok : "");
        curl_free(tok);
        CURL *c = s3_easy_at(s, rest, &h);
        if (!c) {
            r = hc_err_set(err, -ENOMEM, "curl");
            break;
        }
        hc_buf_reset(&body);
        curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, to_buf);
        curl_easy_setopt(c, CURLOPT_WRITEDATA, &body);
        long code = s3_perform(c, "list", kind, err);
        curl_slist_free_all(h);
        curl_easy_cleanup(c);
        if (body.overflow)
            r = hc_err_set(err, -EPROTO, "s3 list `%s`: a page over %d bytes", kind, S3_LIST_MAX);
        else if (code < 0)
            r = (int)code;
        else if (code != 200)
            r = hc_err_set(err, -EIO, "s3 list `%s`: HTTP %ld", kind, code);
        else
            r = cc_s3_list_parse(body.data, body.len, list_entry, &l, &page, err);
    } while (r == 0 && page.truncated);
    hc_buf_release(&body);
    return r;
}

static void s3_free(void *self)
{
    s3_t *s = self;
    free(s->endpoint);
    free(s->bucket);
    free(s->sigv4);
    if (s->userpwd) {
        memset(s->userpwd, 0, strlen(s->userpwd));
        free(s->userpwd);
    }
    free(s);
}

static const cc_blob_ops_t s3_ops = {
    .put = s3_put,
    .get = s3_get,
    .stat = s3_stat,
    .remove = s3_remove,
    .list = s3_list,
    .free = s3_free,
};

int cc_blob_s3_new(const char *endpoint, const char *bucket, const char *region,
                   const char *access_key, const char *secret_key, cc_blob_t **ret, hc_err_t *err)
{
    if (!endpoint || !bucket || !access_key || !secret_key)
        return hc_err_set(err, -EINVAL,
                          "s3 needs blobstore.s3.endpoint, bucket, access_key and secret_key");
    if (strncmp(endpoint, "http://", 7) != 0 && strncmp(endpoint, "https://", 8) != 0)
        return hc_err_set(err, -EINVAL, "blobstore.s3.endpoint: expected http(s)://host[:port]");
    for (const char *p = bucket; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '-' || *p == '.'))
            return hc_err_set(err, -EINVAL, "blobstore.s3.bucket: invalid bucket name");
    curl_global_init(CURL_GLOBAL_DEFAULT);
    s3_t *s = hc_calloc(1, sizeof(*s));
    size_t n = strlen(endpoint);
    while (n && endpoint[n - 1] == '/')
        n--;
    s->endpoint = hc_strndup(endpoint, n);
    s->bucket = hc_strdup(bucket);
    s->sigv4 = hc_asprintf("aws:amz:%s:s3", region ? region : "us-east-1");
    s->userpwd = hc_asprintf("%s:%s", access_key, secret_key);
    cc_blob_t *b = hc_calloc(1, sizeof(*b));
    b->ops = &s3_ops;
    b->self = s;
    *ret = b;
    return 0;
}
