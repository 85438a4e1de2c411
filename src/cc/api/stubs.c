/* Routes of resources not written yet. */
#include "api/api.h"

void cc_api_instances_routes(cc_ctx_t *cc, hc_http_server_t *srv)
{
    (void)cc;
    (void)srv;
}
void cc_api_services_routes(cc_ctx_t *cc, hc_http_server_t *srv)
{
    (void)cc;
    (void)srv;
}
