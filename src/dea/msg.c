/* Bus message parsing and building for the DEA (cf-v1.md §2.2, §3.5; gorouter JSON). */
#include <stdio.h>
#include <string.h>

#include "dea.h"
#include "hc_health.h"
#include "hc_json.h"
#include "hcheck.h"

static const char *opt_str(const json_t *o, const char *k, const char *def)
{
    const char *s = json_string_value(json_object_get(o, k));
    return s ? s : def;
}

int dea_start_parse(const char *data, size_t len, dea_start_t *s, hc_err_t *err)
{
    json_t *o = NULL, *lim = NULL;
    memset(s, 0, sizeof(*s));
    if (hc_json_parse_obj(data, len, DEA_MAX_MSG, &o, err) < 0)
        return -EINVAL;
    s->msg = o;
    if (hc_json_get_str_len(o, "droplet", 1, 64, &s->droplet, err) < 0 ||
        hc_json_get_str_len(o, "sha1", 40, 40, &s->sha1, err) < 0 ||
        hc_json_get_str_len(o, "executableUri", 1, 4096, &s->uri, err) < 0 ||
        hc_json_opt_int(o, "index", 0, 0, 100000, &s->index, err) < 0 ||
        hc_json_opt_str_len(o, "name", 0, 255, "", &s->name, err) < 0 ||
        hc_json_opt_str_len(o, "version", 0, 255, "", &s->version, err) < 0 ||
        hc_json_opt_obj(o, "limits", &lim, err) < 0)
        goto bad;
    for (const char *p = s->sha1; *p; p++)
        if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f'))) {
            hc_err_set(err, -EINVAL, "`sha1` must be 40 lowercase hex digits");
            goto bad;
        }
    for (const char *p = s->droplet; *p; p++)
        if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
              *p == '-' || *p == '_')) {
            hc_err_set(err, -EINVAL, "`droplet` must be an id of [A-Za-z0-9_-]");
            goto bad;
        }
    s->mem_mb = 512;
    s->disk_mb = 256;
    s->fds = 1024;
    if (lim && (hc_json_opt_int(lim, "mem", 512, 1, 1 << 20, &s->mem_mb, err) < 0 ||
                hc_json_opt_int(lim, "disk", 256, 1, 1 << 24, &s->disk_mb, err) < 0 ||
                hc_json_opt_int(lim, "fds", 1024, 16, 1 << 20, &s->fds, err) < 0))
        goto bad;
    s->runtime = opt_str(o, "runtime", "");
    s->framework = opt_str(o, "framework", "");
    s->partition = opt_str(o, "cc_partition", "default");
    s->flapping = json_is_true(json_object_get(o, "flapping"));
    const char *ht;
    if (hc_json_opt_str_len(o, "health_check_type", 0, 16, "port", &ht, err) < 0 ||
        hc_json_opt_str_len(o, "health_check_http_endpoint", 1, HC_HEALTH_MAX_PATH, "/",
                            &s->health_endpoint, err) < 0)
        goto bad;
    if (!(ht = hc_health_type(ht))) {
        hc_err_set(err, -EINVAL, "`health_check_type` must be port, process or http");
        goto bad;
    }
    s->health = strcmp(ht, "http") == 0   ? DEA_HEALTH_HTTP
                : strcmp(ht, "port") == 0 ? DEA_HEALTH_PORT
                                          : DEA_HEALTH_PROCESS;
    if (!hc_health_path_ok(s->health_endpoint, strlen(s->health_endpoint))) {
        hc_err_set(err, -EINVAL,
                   "`health_check_http_endpoint` must be a path of printable ASCII without spaces");
        goto bad;
    }
    json_t *v;
    if (!json_is_array(v = json_object_get(o, "uris")))
        json_object_set_new(o, "uris", v = hc_json_arr());
    s->uris = v;
    size_t i;
    json_t *u;
    json_array_foreach(s->uris, i, u) if (!json_is_string(u))
    {
        hc_err_set(err, -EINVAL, "`uris` must be an array of strings");
        goto bad;
    }
    v = json_object_get(o, "env");
    if (!json_is_array(v) && !json_is_object(v))
        json_object_set_new(o, "env", v = hc_json_arr());
    s->env = v;
    v = json_object_get(o, "services");
    if (!json_is_array(v) && !json_is_object(v))
        json_object_set_new(o, "services", v = hc_json_arr());
    s->services = v;
    if (!json_is_array(v = json_object_get(o, "users")))
        json_object_set_new(o, "users", v = hc_json_arr());
    s->users = v;
    return 0;
bad:
    json_decref(o);
    memset(s, 0, sizeof(*s));
    return -EINVAL;
}

void dea_start_release(dea_start_t *s)
{
    json_decref(s->msg);
    memset(s, 0, sizeof(*s));
}

const char *dea_state_name(dea_state_t st)
{
    static const char *const names[] = {"STARTING", "RUNNING", "STOPPING", "STOPPED", "CRASHED"};
    return (unsigned)st < HC_ARRAY_SIZE(names) ? names[st] : "UNKNOWN";
}

static void iso_time(double t, char *out, size_t n)
{
    time_t tt = (time_t)t;
    struct tm tm;
    gmtime_r(&tt, &tm);
    strftime(out, n, "%Y-%m-%d %H:%M:%S +0000", &tm);
}

json_t *dea_vcap_application(const dea_inst_t *in, const char *host)
{
    json_t *o = hc_json_obj(), *lim = hc_json_obj();
    char started[64];
    iso_time(in->start_ts, started, sizeof(started));
    hc_json_set_str(o, "instance_id", in->id);
    hc_json_set_int(o, "instance_index", in->s.index);
    hc_json_set_str(o, "application_id", in->s.droplet);
    hc_json_set_str(o, "application_name", in->s.name);
    hc_json_set_str(o, "application_version", in->s.version);
    hc_json_set_new(o, "application_uris", json_deep_copy(in->s.uris));
    hc_json_set_str(o, "name", in->s.name);
    hc_json_set_str(o, "version", in->s.version);
    hc_json_set_new(o, "uris", json_deep_copy(in->s.uris));
    hc_json_set_new(o, "users", json_deep_copy(in->s.users));
    hc_json_set_str(o, "runtime", in->s.runtime);
    hc_json_set_str(o, "host", host);
    hc_json_set_int(o, "port", in->container_port);
    hc_json_set_str(o, "start", started);
    hc_json_set_str(o, "started_at", started);
    hc_json_set_int(o, "started_at_timestamp", (int64_t)in->start_ts);
    hc_json_set_int(o, "state_timestamp", (int64_t)in->state_ts);
    hc_json_set_str(o, "space_name", "default");
    hc_json_set_str(o, "space_id", "default");
    hc_json_set_int(lim, "mem", in->s.mem_mb);
    hc_json_set_int(lim, "disk", in->s.disk_mb);
    hc_json_set_int(lim, "fds", in->s.fds);
    hc_json_set_new(o, "limits", lim);
    return o;
}

json_t *dea_vcap_services(const json_t *services)
{
    if (json_is_object(services))
        return json_deep_copy(services);
    json_t *out = hc_json_obj(), *s;
    size_t i;
    json_array_foreach(services, i, s)
    {
        if (!json_is_object(s))
            continue;
        const char *label = opt_str(s, "label", "user-provided");
        json_t *arr = json_object_get(out, label);
        if (!arr) {
            arr = hc_json_arr();
            json_object_set_new(out, label, arr);
        }
        json_array_append_new(arr, json_deep_copy(s));
    }
    return out;
}

static void env_add(json_t *env, const char *k, const char *v)
{
    hc_autofree char *s = hc_asprintf("%s=%s", k, v);
    hc_json_append_str(env, s);
}

static void env_add_json(json_t *env, const char *k, json_t *v)
{
    hc_autofree char *s = json_dumps(v, JSON_COMPACT);
    json_decref(v);
    env_add(env, k, s ? s : "{}");
}

json_t *dea_env(const dea_inst_t *in, const char *host)
{
    json_t *env = hc_json_arr();
    char num[32];
    snprintf(num, sizeof(num), "%d", in->container_port);
    env_add(env, "HOME", "/home/vcap/app");
    env_add(env, "PORT", num);
    env_add(env, "VCAP_APP_PORT", num);
    env_add(env, "VCAP_APP_HOST", "0.0.0.0");
    snprintf(num, sizeof(num), "%lldm", (long long)in->s.mem_mb);
    env_add(env, "MEMORY_LIMIT", num);
    env_add(env, "TMPDIR", "/home/vcap/tmp");
    env_add_json(env, "VCAP_APPLICATION", dea_vcap_application(in, host));
    env_add_json(env, "VCAP_SERVICES", dea_vcap_services(in->s.services));
    env_add(env, "VCAP_APP_ID", in->s.droplet);
    /* User env last: it wins, as in v1. */
    size_t i;
    json_t *v;
    if (json_is_array(in->s.env)) {
        json_array_foreach(in->s.env, i, v)
        {
            const char *kv = json_string_value(v);
            if (kv && strchr(kv, '=') && kv[0] != '=')
                hc_json_append_str(env, kv);
        }
    } else {
        const char *k;
        json_object_foreach(in->s.env, k, v)
        {
            if (json_is_string(v) && k[0] && !strchr(k, '='))
                env_add(env, k, json_string_value(v));
        }
    }
    return env;
}

json_t *dea_register_msg(const dea_t *dea, const dea_inst_t *in, bool with_tags)
{
    json_t *o = hc_json_obj();
    hc_json_set_str(o, "dea", dea->id);
    hc_json_set_str(o, "app", in->s.droplet);
    hc_json_set_str(o, "host", dea->conf->local_ip);
    hc_json_set_int(o, "port", in->host_port);
    hc_json_set_new(o, "uris", json_deep_copy(in->s.uris));
    hc_json_set_str(o, "private_instance_id", in->id);
    if (with_tags) {
        json_t *tags = hc_json_obj();
        hc_json_set_str(tags, "framework", in->s.framework);
        hc_json_set_str(tags, "runtime", in->s.runtime);
        hc_json_set_str(tags, "component", "dea");
        hc_json_set_new(o, "tags", tags);
    }
    return o;
}

json_t *dea_exited_msg(const dea_inst_t *in, double now)
{
    json_t *o = hc_json_obj();
    const char *reason = in->exit_reason ? in->exit_reason : "CRASHED";
    hc_json_set_str(o, "droplet", in->s.droplet);
    hc_json_set_str(o, "version", in->s.version);
    hc_json_set_str(o, "instance", in->id);
    hc_json_set_int(o, "index", in->s.index);
    hc_json_set_str(o, "reason", reason);
    hc_json_set_str(o, "cc_partition", in->s.partition);
    if (strcmp(reason, "CRASHED") == 0) {
        hc_json_set_int(o, "crash_timestamp", (int64_t)now);
        hc_json_set_int(o, "exit_status", in->exit_status);
        hc_json_set_bool(o, "out_of_memory", in->oom);
        if (in->reason_text[0])
            hc_json_set_str(o, "exit_description", in->reason_text);
    }
    return o;
}

json_t *dea_heartbeat_entry(const dea_inst_t *in)
{
    json_t *o = hc_json_obj();
    hc_json_set_str(o, "droplet", in->s.droplet);
    hc_json_set_str(o, "version", in->s.version);
    hc_json_set_str(o, "instance", in->id);
    hc_json_set_int(o, "index", in->s.index);
    hc_json_set_str(o, "state", dea_state_name(in->state));
    hc_json_set_int(o, "state_timestamp", (int64_t)in->state_ts);
    hc_json_set_str(o, "cc_partition", in->s.partition);
    return o;
}

json_t *dea_advertise_msg(const dea_t *dea)
{
    json_t *o = hc_json_obj(), *counts = hc_json_obj(), *stacks = hc_json_arr();
    int64_t mem = (int64_t)dea->conf->max_memory_mb, disk = (int64_t)dea->conf->max_disk_mb;
    for (const dea_inst_t *in = dea->insts; in; in = in->next) {
        if (in->state != DEA_STARTING && in->state != DEA_RUNNING)
            continue;
        mem -= in->s.mem_mb;
        disk -= in->s.disk_mb;
        json_t *c = json_object_get(counts, in->s.droplet);
        json_object_set_new(counts, in->s.droplet, json_integer(c ? json_integer_value(c) + 1 : 1));
    }
    hc_json_set_str(o, "id", dea->id);
    hc_json_append_str(stacks, dea->conf->stack);
    hc_json_set_new(o, "stacks", stacks);
    hc_json_set_new(o, "runtimes", json_deep_copy(stacks));
    int64_t st = (int64_t)dea->conf->max_staging - (int64_t)dea->staging_active;
    if (dea->stopping)
        mem = disk = st = 0; /* evacuating: the last advertisement says "no room here" */
    hc_json_set_int(o, "available_memory", mem > 0 ? mem : 0);
    hc_json_set_int(o, "available_disk", disk > 0 ? disk : 0);
    hc_json_set_new(o, "app_id_to_count", counts);
    hc_json_set_int(o, "available_staging", st > 0 ? st : 0);
    hc_json_set_bool(o, "prod", false);
    return o;
}

char *dea_staging_info_cmd(const char *text, size_t len)
{
    static const char key[] = "start_command:";
    const char *p = text, *end = text + len;
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        const char *le = nl ? nl : end;
        if ((size_t)(le - p) > sizeof(key) - 1 && memcmp(p, key, sizeof(key) - 1) == 0) {
            const char *v = p + sizeof(key) - 1;
            while (v < le && (*v == ' ' || *v == '\t'))
                v++;
            const char *ve = le;
            while (ve > v && (ve[-1] == ' ' || ve[-1] == '\r' || ve[-1] == '\t'))
                ve--;
            if (ve - v >= 2 && ((*v == '"' && ve[-1] == '"') || (*v == '\'' && ve[-1] == '\''))) {
                v++;
                ve--;
            }
            if (ve <= v || ve - v > DEA_MAX_CMD || memchr(v, '\0', (size_t)(ve - v)))
                return NULL;
            return hc_strndup(v, (size_t)(ve - v));
        }
        p = nl ? nl + 1 : end;
    }
    return NULL;
}

bool dea_inst_matches(const dea_inst_t *in, const json_t *f)
{
    const char *s;
    if ((s = json_string_value(json_object_get(f, "droplet"))) && strcmp(s, in->s.droplet) != 0)
        return false;
    if ((s = json_string_value(json_object_get(f, "version"))) && strcmp(s, in->s.version) != 0)
        return false;
    json_t *a;
    size_t i;
    json_t *v;
    if (json_is_array(a = json_object_get(f, "instances")) && json_array_size(a)) {
        bool hit = false;
        json_array_foreach(a, i, v) hit |=
            json_is_string(v) && !strcmp(json_string_value(v), in->id);
        if (!hit)
            return false;
    }
    if (json_is_array(a = json_object_get(f, "indices")) && json_array_size(a)) {
        bool hit = false;
        json_array_foreach(a, i, v) hit |=
            json_is_integer(v) && json_integer_value(v) == in->s.index;
        if (!hit)
            return false;
    }
    if (json_is_array(a = json_object_get(f, "states")) && json_array_size(a)) {
        bool hit = false;
        json_array_foreach(a, i, v) hit |=
            json_is_string(v) && !strcmp(json_string_value(v), dea_state_name(in->state));
        if (!hit)
            return false;
    }
    return true;
}
