/*
 * service_brokers.h - the Open Service Broker API brokers the CC talks to: the configured one
 * (services.broker_url, no guid) and those an admin registers with POST /service_brokers.
 * Each offering (service_offerings.broker) remembers which broker it came from, so
 * provisioning and binding go to the broker that offers the service. Loop thread only.
 */
#ifndef HEARTH_CC_SERVICE_BROKERS_H
#define HEARTH_CC_SERVICE_BROKERS_H

#include <jansson.h>

#include "cc.h"
#include "hc_http_client.h"
#include "hc_uuid.h"

#define CC_BROKER_TIMEOUT_MS 60000
#define CC_BROKER_MAX_RESPONSE ((size_t)4 * 1024 * 1024)
#define CC_CATALOG_MAX_SERVICES 256
#define CC_CATALOG_MAX_PLANS 128
#define CC_CATALOG_MAX_ID 127   /* service and plan ids (the CC keeps them in 128-byte fields) */
#define CC_CATALOG_MAX_NAME 100 /* service names (the offering label) and plan names */
#define CC_BROKER_MAX_URL 1024
#define CC_BROKER_MAX_CRED 255 /* basic-auth user and password */
#define CC_LABEL_USER_PROVIDED "user-provided"

typedef struct cc_broker_s {
    char guid[HC_UUID_STR_LEN + 1]; /* "" for the configured broker */
    char *url, *user, *password;    /* owned; user/password may be NULL */
} cc_broker_t;

/*
 * Loads the broker with this guid (NULL or "": the configured one) from db (the caller's
 * connection: cc->db on the loop, its own on a worker). Returns 0, -ENOENT when no such broker
 * is registered, -ENOTSUP when no broker is configured. Any thread.
 */
int cc_broker_get(const cc_ctx_t *cc, cc_db_t *db, const char *guid, cc_broker_t *ret);
void cc_broker_release(cc_broker_t *b);

/* Starts an OSBAPI request to PATH (relative to the broker's URL), body may be NULL. */
int cc_broker_request(cc_ctx_t *cc, const cc_broker_t *b, const char *method, const char *path,
                      const json_t *body, hc_http_client_cb cb, void *ud);

/*
 * Checks a GET /v2/catalog document: {"services":[{id, name, description, plans:[{id, name,
 * description}...]}...]} with unique service names and ids, unique plan ids, names of
 * [A-Za-z0-9._-], and no service named "user-provided". Returns 0 or -EINVAL with err saying
 * where the catalog is wrong ("services[1].plans[0].id: missing").
 */
int cc_catalog_check(const json_t *catalog, hc_err_t *err);

/* Broker URLs: http:// or https://, printable, no spaces, at most CC_BROKER_MAX_URL bytes. */
bool cc_broker_url_valid(const char *url);

/*
 * The names of owner's apps whose services list holds instance `name`, as "app `a`, `b`" in
 * out, read on db. Returns how many (0: not bound), or -EIO. Any thread.
 */
int cc_service_bound_apps(cc_db_t *db, const char *owner, const char *name, char *out, size_t size);

/*
 * One VCAP_SERVICES entry for the app's binding of owner's instance `name`: name, label,
 * tags, credentials (the binding's, else the instance's), plus plan for brokered services and
 * syslog_drain_url for user-provided ones. New reference, or NULL when there is no instance.
 * Any thread, with a connection only it uses.
 */
json_t *cc_service_vcap(cc_db_t *db, const char *app_guid, const char *owner, const char *name);

void cc_api_service_brokers_routes(cc_ctx_t *cc, hc_http_server_t *srv);
void cc_api_user_provided_routes(cc_ctx_t *cc, hc_http_server_t *srv);

#endif
