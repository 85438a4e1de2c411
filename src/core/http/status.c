/* The component status server: /healthz and /varz behind basic auth (cf-v1.md §10.1). */
#include <fcntl.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>

#include "hc_status.h"
#include "hc_time.h"
#include "hc_uuid.h"

#define HC__STATUS_CPU_SAMPLE_MS 1000

struct hc_status_s {
    hc_http_server_t *srv;
    char *type, *user, *password, *advertise;
    int index;
    char uuid[80];
    char start[32];
    uint64_t start_ms; /* monotonic */
    char *auth;        /* expected Authorization value: "Basic <base64(user:pass)>" */
    json_t *config;
    hc_status_varz_fn varz_fn;
    void *varz_data;
    hc_status_closed_fn done;
    void *done_data;
    /* cpu percentage over the last sample window */
    uint64_t cpu_last_ms, cpu_last_usec;
    double cpu;
};

static const char *const secret_keys[] = {
    "mbus", "service_mbus", "keys", "database_environment", "password", "pass", "token",
};

void hc_status_sanitize_config(json_t *config)
{
    if (json_is_object(config)) {
        for (size_t i = 0; i < HC_ARRAY_SIZE(secret_keys); i++)
            json_object_del(config, secret_keys[i]);
        const char *key;
        json_t *v;
        json_object_foreach(config, key, v) hc_status_sanitize_config(v);
    } else if (json_is_array(config)) {
        size_t i;
        json_t *v;
        json_array_foreach(config, i, v) hc_status_sanitize_config(v);
    }
}

void hc_status_format_uptime(uint64_t s, char *buf, size_t size)
{
    snprintf(buf, size, "%llud:%lluh:%llum:%llus", (unsigned long long)(s / 86400),
             (unsigned long long)(s / 3600 % 24), (unsigned long long)(s / 60 % 60),
             (unsigned long long)(s % 60));
}

/* Resident set size in KiB from /proc/self/statm (procfs: never blocks on a disk). */
static long long status_rss_kib(void)
{
    char buf[128];
    long long size, resident;
    int fd = open("/proc/self/statm", O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return 0;
    ssize_t n = read(fd, buf, sizeof(buf) - 1);
    close(fd);
    if (n <= 0)
        return 0;
    buf[n] = '\0';
    if (sscanf(buf, "%lld %lld", &size, &resident) != 2)
        return 0;
    return resident * (sysconf(_SC_PAGESIZE) / 1024);
}

static uint64_t status_cpu_usec(void)
{
    struct rusage ru;
    if (getrusage(RUSAGE_SELF, &ru) < 0)
        return 0;
    return (uint64_t)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000000u +
           (uint64_t)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec);
}

/* CPU use in percent of one core, refreshed at most once a second. */
static double status_cpu(hc_status_t *st)
{
    uint64_t now = hc_now_ms();
    if (now - st->cpu_last_ms >= HC__STATUS_CPU_SAMPLE_MS) {
        uint64_t usec = status_cpu_usec();
        uint64_t wall_us = (now - st->cpu_last_ms) * 1000u;
        st->cpu = wall_us ? 100.0 * (double)(usec - st->cpu_last_usec) / (double)wall_us : 0.0;
        st->cpu_last_ms = now;
        st->cpu_last_usec = usec;
    }
    return st->cpu;
}

json_t *hc_status_component_json(hc_status_t *st)
{
    char host[300], uptime[64];
    snprintf(host, sizeof(host), "%s:%d", st->advertise, hc_http_server_port(st->srv));
    hc_status_format_uptime((hc_now_ms() - st->start_ms) / 1000, uptime, sizeof(uptime));
    return json_pack("{s:s,s:i,s:s,s:s,s:[s,s],s:s,s:s}", "type", st->type, "index", st->index,
                     "uuid", st->uuid, "host", host, "credentials", st->user, st->password, "start",
                     st->start, "uptime", uptime);
}

json_t *hc_status_varz_json(hc_status_t *st)
{
    json_t *v = hc_status_component_json(st);
    json_object_set_new(v, "num_cores", json_integer((json_int_t)uv_available_parallelism()));
    json_object_set_new(v, "mem", json_integer(status_rss_kib()));
    json_object_set_new(v, "cpu", json_real(status_cpu(st)));
    if (st->config)
        json_object_set_new(v, "config", json_deep_copy(st->config));
    if (st->varz_fn)
        st->varz_fn(v, st->varz_data);
    return v;
}

/* Compares the Authorization header with the expected value without early exit. */
static bool status_authorized(hc_status_t *st, const hc_http_request_t *req)
{
    hc_str_t got = hc_http_req_header(req, "Authorization");
    size_t want_len = strlen(st->auth);
    if (got.len != want_len)
        return false;
    return sodium_memcmp(got.p, st->auth, want_len) == 0;
}

static bool status_check(hc_status_t *st, const hc_http_request_t *req, hc_http_res_t *res)
{
    if (status_authorized(st, req))
        return true;
    hc_http_res_set_header(res, "WWW-Authenticate", "Basic realm=\"hearth\"");
    hc_http_reply_text(res, 401, "Unauthorized\n");
    return false;
}

static void status_on_healthz(const hc_http_request_t *req, hc_http_res_t *res, void *data)
{
    if (status_check(data, req, res))
        hc_http_reply_text(res, 200, "ok\n");
}

static void status_on_varz(const hc_http_request_t *req, hc_http_res_t *res, void *data)
{
    hc_status_t *st = data;
    if (!status_check(st, req, res))
        return;
    json_t *v = hc_status_varz_json(st);
    char *s = json_dumps(v, JSON_INDENT(2) | JSON_SORT_KEYS);
    json_decref(v);
    if (!s) {
        hc_http_reply_error(res, 500, 500, "could not encode varz");
        return;
    }
    hc_http_reply(res, 200, "application/json", s, strlen(s));
    free(s);
}

static char *random_credential(void)
{
    char hex[33];
    hc_random_hex(hex, 16);
    return hc_strdup(hex);
}

static void status_free_fields(hc_status_t *st)
{
    free(st->type);
    free(st->user);
    free(st->password);
    free(st->advertise);
    free(st->auth);
    json_decref(st->config);
    free(st);
}

int hc_status_new(uv_loop_t *loop, const hc_status_conf_t *conf, hc_status_varz_fn varz_fn,
                  void *varz_data, hc_status_t **ret_st, hc_err_t *err)
{
    hc_status_t *st = hc_calloc(1, sizeof(*st));
    hc_http_server_conf_t hconf = {
        .host = conf->host, .port = conf->port, .max_body = 4096, .max_conns = 64};
    char hex[33];
    int r;

    st->type = hc_strdup(conf->type ? conf->type : "Component");
    st->index = conf->index;
    st->user = conf->user && conf->user[0] ? hc_strdup(conf->user) : random_credential();
    st->password =
        conf->password && conf->password[0] ? hc_strdup(conf->password) : random_credential();
    st->advertise =
        hc_strdup(conf->advertise ? conf->advertise : (conf->host ? conf->host : "127.0.0.1"));
    hc_random_hex(hex, 16);
    snprintf(st->uuid, sizeof(st->uuid), "%d-%s", conf->index, hex);
    hc_time_format_rfc3339(hc_wall_ms(), st->start, sizeof(st->start));
    st->start_ms = hc_now_ms();
    st->cpu_last_ms = st->start_ms;
    st->cpu_last_usec = status_cpu_usec();
    st->varz_fn = varz_fn;
    st->varz_data = varz_data;
    if (conf->config) {
        st->config = json_deep_copy(conf->config);
        hc_status_sanitize_config(st->config);
    }

    /* "Basic " + base64("user:password") */
    char *pair = hc_asprintf("%s:%s", st->user, st->password);
    size_t plen = strlen(pair);
    size_t b64len = sodium_base64_encoded_len(plen, sodium_base64_VARIANT_ORIGINAL);
    st->auth = hc_malloc(6 + b64len);
    memcpy(st->auth, "Basic ", 6);
    sodium_bin2base64(st->auth + 6, b64len, (const unsigned char *)pair, plen,
                      sodium_base64_VARIANT_ORIGINAL);
    sodium_memzero(pair, plen);
    free(pair);

    r = hc_http_server_new(loop, &hconf, &st->srv, err);
    if (r < 0) {
        hc_err_wrap(err, "status server");
        status_free_fields(st);
        return r;
    }
    hc_http_server_route(st->srv, "GET", "/healthz", status_on_healthz, st);
    hc_http_server_route(st->srv, "GET", "/varz", status_on_varz, st);
    *ret_st = st;
    return 0;
}

int hc_status_port(const hc_status_t *st)
{
    return hc_http_server_port(st->srv);
}

const char *hc_status_uuid(const hc_status_t *st)
{
    return st->uuid;
}

const char *hc_status_user(const hc_status_t *st)
{
    return st->user;
}

const char *hc_status_password(const hc_status_t *st)
{
    return st->password;
}

static void status_on_closed(hc_http_server_t *srv, void *data)
{
    hc_status_t *st = data;
    (void)srv;
    if (st->done)
        st->done(st, st->done_data);
}

void hc_status_close(hc_status_t *st, hc_status_closed_fn done, void *data)
{
    st->done = done;
    st->done_data = data;
    hc_http_server_close(st->srv, 1000, status_on_closed, st);
}

void hc_status_free(hc_status_t *st)
{
    if (!st)
        return;
    hc_http_server_free(st->srv);
    status_free_fields(st);
}
