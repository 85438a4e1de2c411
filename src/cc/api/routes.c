/* The CC's REST route table, one registration function per resource file. */
#include "api/api.h"

void cc_api_routes(cc_ctx_t *cc, hc_http_server_t *srv)
{
    cc_api_info_routes(cc, srv);
    cc_api_users_routes(cc, srv);
    cc_api_upload_routes(cc, srv);
    cc_api_instances_routes(cc, srv);
    cc_api_apps_routes(cc, srv);
    cc_api_services_routes(cc, srv);
    cc_api_bulk_routes(cc, srv);
    cc_api_staging_routes(cc, srv);
}
