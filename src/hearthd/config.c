/* The micro cloud's shared secrets and the configs it generates for its daemons. */
#include <fcntl.h>
#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "hc_fs.h"
#include "hc_json.h"
#include "hc_uuid.h"
#include "hd.h"

#define HD_SECRETS_FILE "secrets.json"

static int secrets_copy(json_t *obj, const char *key, char *dst, size_t size, hc_err_t *err)
{
    const char *v;
    int r = hc_json_get_str_len(obj, key, 1, size - 1, &v, err);
    if (r < 0)
        return r;
    memcpy(dst, v, strlen(v) + 1);
    return 0;
}

static int secrets_load(hd_t *hd, const char *path, hc_err_t *err)
{
    char *text = NULL;
    size_t len = 0;
    json_t *obj = NULL;
    hd_secrets_t *s = &hd->secrets;
    int r = hc_read_file(AT_FDCWD, path, 64 * 1024, &text, &len, err);
    if (r < 0)
        goto out;
    r = hc_json_parse_obj(text, len, 64 * 1024, &obj, err);
    if (r < 0)
        goto out;
    if ((r = secrets_copy(obj, "admin_email", s->admin_email, sizeof(s->admin_email), err)) < 0 ||
        (r = secrets_copy(obj, "admin_password", s->admin_password, sizeof(s->admin_password),
                          err)) < 0 ||
        (r = secrets_copy(obj, "bulk_user", s->bulk_user, sizeof(s->bulk_user), err)) < 0 ||
        (r = secrets_copy(obj, "bulk_password", s->bulk_password, sizeof(s->bulk_password), err)) <
            0 ||
        (r = secrets_copy(obj, "broker_password", s->broker_password, sizeof(s->broker_password),
                          err)) < 0)
        goto out;
    /* Added later: a file from an older hearthd lacks it, and it is made and saved then. */
    if (json_object_get(obj, "services_password") &&
        (r = secrets_copy(obj, "services_password", s->services_password,
                          sizeof(s->services_password), err)) < 0)
        goto out;
    r = 0;
out:
    if (r < 0 && r != -ENOENT)
        hc_err_wrap(err, "%s", path);
    json_decref(obj);
    free(text);
    return r;
}

static int secrets_save(hd_t *hd, const char *path, hc_err_t *err)
{
    hd_secrets_t *s = &hd->secrets;
    json_t *obj = hc_json_obj();
    hc_json_set_str(obj, "admin_email", s->admin_email);
    hc_json_set_str(obj, "admin_password", s->admin_password);
    hc_json_set_str(obj, "bulk_user", s->bulk_user);
    hc_json_set_str(obj, "bulk_password", s->bulk_password);
    hc_json_set_str(obj, "broker_password", s->broker_password);
    hc_json_set_str(obj, "services_password", s->services_password);
    char *text = json_dumps(obj, JSON_INDENT(2));
    json_decref(obj);
    hc_assert(text);
    int r = hc_atomic_write_file(AT_FDCWD, path, text, strlen(text), 0600, err);
    free(text);
    return r;
}

static void secrets_make(hd_t *hd)
{
    hd_secrets_t *s = &hd->secrets;
    snprintf(s->admin_email, sizeof(s->admin_email), "admin@%s", hd->conf->domain);
    hc_random_hex(s->admin_password, 16);
    hc_random_hex(s->bulk_user, 8);
    hc_random_hex(s->bulk_password, 16);
    hc_random_hex(s->broker_password, 16);
}

int hd_secrets_init(hd_t *hd, hc_err_t *err)
{
    char *path = hc_asprintf("%s/%s", hd->conf->data_dir, HD_SECRETS_FILE);
    int r = hc_mkdir_p(AT_FDCWD, hd->conf->data_dir, 0700, err);
    if (r < 0)
        goto out;
    r = secrets_load(hd, path, err);
    if (r == -ENOENT)
        secrets_make(hd);
    else if (r < 0)
        goto out;
    if (r == -ENOENT || hd->secrets.services_password[0] == '\0') {
        if (hd->secrets.services_password[0] == '\0')
            hc_random_hex(hd->secrets.services_password, 16);
        r = secrets_save(hd, path, err);
    }
out:
    free(path);
    return r;
}

/* The broker's sections for the backing services this cloud runs. */
static char *broker_services(const hd_t *hd)
{
    const hd_secrets_t *s = &hd->secrets;
    const hd_ports_t *p = &hd->ports;
    hc_buf_t b;
    hc_buf_init(&b, 4096);
    if (hd->svc.pg)
        hc_buf_appendf(&b,
                       "postgresql:\n  host: 127.0.0.1\n  port: %d\n  user: postgres\n"
                       "  password: %s\n",
                       p->pg, s->services_password);
    if (hd->svc.mysql)
        hc_buf_appendf(&b,
                       "mysql:\n  host: 127.0.0.1\n  port: %d\n  user: hearth\n"
                       "  password: %s\n",
                       p->mysql, s->services_password);
    if (hd->svc.redis)
        hc_buf_appendf(&b, "redis:\n  enabled: true\n  host: 127.0.0.1\n  server: %s\n",
                       hd->conf->redis_server);
    if (hd->svc.rabbitmq)
        hc_buf_appendf(&b,
                       "rabbitmq:\n  host: 127.0.0.1\n  port: %d\n  management_port: %d\n"
                       "  user: hearth\n  password: %s\n",
                       p->amqp, p->amqp_mgmt, s->services_password);
    return hc_buf_detach(&b, NULL);
}

static int write_conf(const char *dir, const char *name, const char *text, hc_err_t *err)
{
    char *path = hc_asprintf("%s/%s", dir, name);
    int r = hc_atomic_write_file(AT_FDCWD, path, text, strlen(text), 0600, err);
    free(path);
    return r;
}

int hd_config_write(hd_t *hd, hc_err_t *err)
{
    char *cc = NULL, *broker = NULL, *dea = NULL, *hm = NULL, *warden = NULL, *svcs = NULL;
    int r = hc_mkdir_p(AT_FDCWD, hd->conf_dir, 0700, err);
    if (r < 0)
        goto out;
    const hd_secrets_t *s = &hd->secrets;
    /* The CLI prints app URLs with the router's port (/info's router_port). */
    char router_port[32] = "";
    if (hd->cc_router_port)
        snprintf(router_port, sizeof(router_port), "router_port: %d\n", hd->ports.router);
    cc = hc_asprintf("# Generated by hearthd; changes are overwritten at its next start.\n"
                     "host: 127.0.0.1\n"
                     "domain: %s\n"
                     "%s"
                     "admins: [\"%s\"]\n"
                     "bulk_api:\n  user: %s\n  password: %s\n"
                     "services:\n  broker_url: http://127.0.0.1:%d\n"
                     "  broker_user: broker\n  broker_password: %s\n",
                     hd->conf->domain, router_port, s->admin_email, s->bulk_user, s->bulk_password,
                     hd->ports.broker, s->broker_password);
    svcs = broker_services(hd);
    broker = hc_asprintf("# Generated by hearthd; changes are overwritten at its next start.\n"
                         "auth:\n  user: broker\n  password: %s\n%s",
                         s->broker_password, svcs);
    dea = hc_asprintf("# Generated by hearthd; changes are overwritten at its next start.\n"
                      "warden_socket: %s/warden.sock\n"
                      "buildpacks_dir: %s\n",
                      hd->conf->data_dir, HEARTH_BUILDPACKS_DIR);
    hm = hc_asprintf("# Generated by hearthd; changes are overwritten at its next start.\n"
                     "cc:\n  url: http://127.0.0.1:%d\n  user: %s\n  password: %s\n",
                     hd->ports.cc, s->bulk_user, s->bulk_password);
    /* With --port-base, warden's host-wide names and pools are made from it too, so two clouds
     * on one host share no cgroup, nftables table, interface, subnet, uid or host port. */
    if (hd->conf->port_base != 0) {
        unsigned idx = (unsigned)hd->conf->port_base % 4096;
        warden = hc_asprintf("# Generated by hearthd; changes are overwritten at its next start.\n"
                             "cgroup_parent: hearth-warden-%d\n"
                             "nft_table: hearth_%d\n"
                             "iface_prefix: h%x\n"
                             "net_pool: 10.%u.%u.0\n"
                             "uid_base: %u\n"
                             "port_base: %u\n"
                             "port_count: 500\n"
                             "max_containers: 256\n",
                             hd->conf->port_base, hd->conf->port_base, idx, 64 + idx / 64,
                             (idx % 64) * 4, 100000 + idx * 256, 40000 + (idx % 40) * 500);
    } else {
        warden = hc_asprintf("# Generated by hearthd; warden's built-in pools.\n{}\n");
    }
    if ((r = write_conf(hd->conf_dir, "warden.yml", warden, err)) < 0 ||
        (r = write_conf(hd->conf_dir, "cc.yml", cc, err)) < 0 ||
        (r = write_conf(hd->conf_dir, "broker.yml", broker, err)) < 0 ||
        (r = write_conf(hd->conf_dir, "dea.yml", dea, err)) < 0 ||
        (r = write_conf(hd->conf_dir, "hm.yml", hm, err)) < 0)
        goto out;
    r = 0;
out:
    free(cc);
    free(broker);
    free(dea);
    free(hm);
    free(warden);
    free(svcs);
    return r;
}
