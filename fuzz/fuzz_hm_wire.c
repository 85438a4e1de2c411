/* libFuzzer target: every bus message the HM parses (dea.heartbeat, droplet.exited, a bulk API
 * page, healthmanager.status and healthmanager.health requests), fed into one engine. */
#include <stdint.h>

#include "wire.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static hm_engine_t e;
    static bool init;
    const char *s = (const char *)data;
    hc_err_t err;
    if (!init) {
        hm_policy_t p;
        hm_policy_defaults(&p);
        hm_engine_init(&e, &p);
        hm_engine_bus(&e, true, 1);
        init = true;
    }
    static uint64_t now = 100000;
    now += 1000;
    hm_apps_t apps = {0};
    char next[HM_ID_MAX + 1];
    if (hm_wire_bulk_page(s, size, &apps, next, sizeof(next), &err) == 0)
        hm_engine_set_desired(&e, apps.v, apps.len, now);
    hm_apps_release(&apps);
    hm_wire_heartbeat(&e, s, size, now, NULL, &err);
    hm_wire_exited(&e, s, size, now, &err);
    json_decref(hm_wire_status(&e, s, size, now, 1700000000000, &err));
    json_decref(hm_wire_health(&e, s, size, &err));
    hm_decisions_t d = {0};
    hm_engine_analyze(&e, now, &d);
    for (size_t i = 0; i < d.len; i++)
        json_decref(hm_wire_decision(&d.v[i]));
    hm_decisions_release(&d);
    if (e.num_insts > 10000) { /* keep the engine small between runs */
        hm_engine_release(&e);
        init = false;
    }
    return 0;
}
