/*
 * An app read on the thread pool for orchestration (app.h): the record and its VCAP_SERVICES
 * on a pooled connection, then the loop goes on with them (STYLE R20).
 */
#include <stdio.h>
#include <string.h>

#include "api/api.h"
#include "api/service_brokers.h"
#include "app.h"
#include "db/db.h"
#include "hc_json.h"
#include "hc_log.h"

void cc_app_load_vcap(cc_db_t *db, cc_app_t *app)
{
    json_t *arr = hc_json_arr(), *name;
    size_t i;
    json_array_foreach(app->services, i, name)
    {
        json_t *s = cc_service_vcap(db, app->guid, app->owner, json_string_value(name));
        if (s)
            json_array_append_new(arr, s);
    }
    json_decref(app->vcap);
    app->vcap = arr;
}

typedef struct fetch_s {
    cc_ctx_t *cc;
    char guid[CC_MAX_GUID + 1];
    cc_app_fetched_fn fn;
    void *ud;
    cc_app_t app;
} fetch_t;

static int fetch_work(cc_ctx_t *cc, cc_db_t *db, void *data, hc_err_t *err)
{
    (void)cc;
    fetch_t *f = data;
    int r = cc_app_load_guid(db, f->guid, &f->app, err);
    if (r == 0)
        cc_app_load_vcap(db, &f->app);
    return r;
}

static void fetch_done(void *data, int r, const hc_err_t *err)
{
    fetch_t *f = data;
    if (r < 0 && r != -ENOENT && r != UV_ECANCELED)
        hc_log_error("loading an app failed", "app", f->guid, "err", err->msg);
    f->fn(f->cc, r == 0 ? &f->app : NULL, f->ud);
    cc_app_release(&f->app);
    free(f);
}

void cc_app_fetch(cc_ctx_t *cc, const char *guid, cc_app_fetched_fn fn, void *ud)
{
    fetch_t *f = hc_calloc(1, sizeof(*f));
    f->cc = cc;
    snprintf(f->guid, sizeof(f->guid), "%s", guid);
    f->fn = fn;
    f->ud = ud;
    cc_queue_db_work(cc, fetch_work, fetch_done, f);
}
