/* libFuzzer target: JSON bodies of POST /apps and PUT /apps/NAME through the CC's
 * validation (cc_app_apply_body), with an in-memory SQLite database for service lookups. */
#include <stdint.h>
#include <string.h>

#include "app.h"
#include "cc.h"
#include "db/db.h"
#include "hc_json.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static cc_ctx_t ctx;
static cc_conf_t conf;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    hc_err_t err;
    json_t *body = NULL;
    if (!ctx.db) {
        conf.quota_uris = 4;
        ctx.conf = &conf;
        if (cc_db_open(":memory:", &ctx.db, &err) < 0)
            __builtin_trap();
    }
    if (hc_json_parse_obj((const char *)data, size, 1 << 20, &body, &err) < 0)
        return 0;
    cc_app_t app = {0};
    app.guid = hc_strdup("00000000-0000-4000-8000-000000000000");
    app.name = hc_strdup("fuzz");
    app.owner = hc_strdup("f@x");
    app.state = hc_strdup("STOPPED");
    app.instances = 1;
    app.memory = 256;
    app.disk = 2048;
    app.fds = 256;
    app.uris = hc_json_arr();
    app.env = hc_json_arr();
    app.services = hc_json_arr();
    cc_app_err_t e = {0};
    if (cc_app_apply_body(&ctx, ctx.db, body, &app, &e) == 0) {
        json_t *out = cc_app_to_json(&app, -1);
        if (!out || json_array_size(app.uris) > 4)
            __builtin_trap();
        json_decref(out);
    } else if (e.code == 0) {
        __builtin_trap(); /* every refusal carries a v1 code */
    }
    cc_app_release(&app);
    json_decref(body);
    return 0;
}
