/*
 * Component registration (cf-v1.md §10): `vcap.component.announce` after every
 * (re)connection and a reply to every `vcap.component.discover` request.
 */
#include <string.h>

#include "bus_internal.h"

#define HC_BUS_SUBJECT_ANNOUNCE "vcap.component.announce"
#define HC_BUS_SUBJECT_DISCOVER "vcap.component.discover"

static void announce(hc_bus_t *bus)
{
    if (bus->comp.info && hc_bus_connected(bus))
        hc_bus_publish_json(bus, HC_BUS_SUBJECT_ANNOUNCE, bus->comp.info);
}

static void on_discover(hc_bus_sub_t *sub, const hc_bus_msg_t *msg, void *ud)
{
    hc_bus_t *bus = ud;
    if (!msg->reply || !bus->comp.info)
        return;
    char *text = json_dumps(bus->comp.info, JSON_COMPACT);
    if (!text)
        return;
    hc_bus_reply(bus, msg, text, strlen(text));
    free(text);
}

int hc_bus_component_start(hc_bus_t *bus, json_t *info)
{
    if (!info)
        return -EINVAL;
    json_incref(info);
    json_decref(bus->comp.info);
    bus->comp.info = info;
    if (!bus->comp.discover_sub) {
        int r = hc_bus_subscribe(bus, HC_BUS_SUBJECT_DISCOVER, NULL, on_discover, bus,
                                 &bus->comp.discover_sub);
        if (r < 0) {
            json_decref(bus->comp.info);
            bus->comp.info = NULL;
            return r;
        }
    }
    announce(bus);
    return 0;
}

void hc_bus_component_stop(hc_bus_t *bus)
{
    hc_bus_unsubscribe(bus->comp.discover_sub);
    bus->comp.discover_sub = NULL;
    json_decref(bus->comp.info);
    bus->comp.info = NULL;
}

void hc__bus_component_on_event(hc_bus_t *bus, hc_bus_event_t event)
{
    if (event == HC_BUS_CONNECTED || event == HC_BUS_RECONNECTED)
        announce(bus);
}
