/* An app's release history: see release.h. */
#include "release.h"

#include <stdio.h>
#include <string.h>

#include "hc_time.h"
#include "hc_utf8.h"

int cc_release_latest(cc_db_t *db, const char *app_guid, int64_t *ret, hc_err_t *err)
{
    cc_db_res_t res = {0};
    int r = cc_db_exec(db, "SELECT COALESCE(MAX(version), 0) FROM releases WHERE app_guid = ?",
                       CC_P(app_guid), &res, err);
    if (r == 0)
        *ret = cc_db_cell_int(&res, 0, 0);
    cc_db_res_release(&res);
    return r;
}

/* Ends s before its first byte that does not start a whole UTF-8 sequence (a cut one). */
static void cut_utf8(char *s)
{
    size_t len = strlen(s), i = 0, n;
    while (i < len && (n = hc_utf8_seq(s + i, len - i)) > 0)
        i += n;
    s[i] = '\0';
}

int cc_release_add(cc_db_t *db, const cc_app_t *app, const char *email, const char *description,
                   int64_t *ret_version, hc_err_t *err)
{
    int64_t latest = 0;
    int r = cc_release_latest(db, app->guid, &latest, err);
    if (r < 0)
        return r;
    char version[24], created[24], desc[256];
    snprintf(version, sizeof(version), "%lld", (long long)latest + 1);
    snprintf(created, sizeof(created), "%lld", (long long)hc_wall_s());
    snprintf(desc, sizeof(desc), "%s", description);
    cut_utf8(desc);
    char *env = json_dumps(app->env, JSON_COMPACT);
    r = cc_db_exec(db,
                   "INSERT INTO releases (app_guid, version, droplet_hash, package_hash, env,"
                   " command, created, email, description) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                   CC_P(app->guid, version, app->droplet_hash, app->package_hash, env ? env : "[]",
                        app->command, created, email, desc),
                   NULL, err);
    free(env);
    if (r == -EEXIST)
        r = hc_err_set(err, -EIO, "release %s of %s recorded twice", version, app->guid);
    if (r == 0 && ret_version)
        *ret_version = latest + 1;
    return r;
}

/* The value of the entry of env whose name is name[0..len), or NULL. */
static const char *env_find(const json_t *env, const char *name, size_t len)
{
    size_t i;
    json_t *v;
    json_array_foreach(env, i, v)
    {
        const char *s = json_string_value(v);
        if (s && strncmp(s, name, len) == 0 && s[len] == '=')
            return s;
    }
    return NULL;
}

/* Appends the names of a's entries that b lacks (or, with changed, has with another value). */
static void names_missing(const json_t *a, const json_t *b, bool changed, hc_buf_t *out)
{
    size_t i;
    json_t *v;
    bool first = true;
    json_array_foreach(a, i, v)
    {
        const char *s = json_string_value(v), *eq = s ? strchr(s, '=') : NULL;
        if (!eq)
            continue;
        const char *other = env_find(b, s, (size_t)(eq - s));
        if (other && (!changed || strcmp(other, s) == 0))
            continue;
        if (!first)
            hc_buf_append(out, ", ", 2);
        hc_buf_append(out, s, (size_t)(eq - s));
        first = false;
    }
}

bool cc_release_env_desc(const json_t *before, const json_t *after, char *out, size_t size)
{
    hc_buf_t set, rm;
    hc_buf_init(&set, 1024);
    hc_buf_init(&rm, 1024);
    names_missing(after, before, true, &set);
    names_missing(before, after, false, &rm);
    snprintf(out, size, "%s%s%s%s%s", set.len ? "Set " : "", set.data,
             set.len && rm.len ? "; " : "", rm.len ? "Remove " : "", rm.data);
    bool any = set.len || rm.len;
    hc_buf_release(&set);
    hc_buf_release(&rm);
    return any;
}
