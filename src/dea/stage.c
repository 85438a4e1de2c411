/* Staging requests (staging.<dea id>.start and the `staging` queue). */
#include <string.h>

#include "dea.h"
#include "hc_json.h"

void dea_stage_request(dea_t *dea, const hc_bus_msg_t *msg)
{
    if (!msg->reply)
        return;
    const char *r = "{\"error\":\"staging is not available on this DEA yet\",\"task_log\":\"\"}";
    hc_bus_reply(dea->bus, msg, r, strlen(r));
}
