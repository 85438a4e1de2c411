/*
 * The CLI's state: $HEARTH_HOME/config (default ~/.hearth/config), a JSON object with the
 * target URL, the login token and the email it belongs to. Written atomically, mode 0600,
 * because the token is a credential.
 */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <curl/curl.h>

#include "cli.h"
#include "hc_fs.h"
#include "hc_json.h"

#define CLI_CONFIG_MAX (64 * 1024)

static char *home_dir(void)
{
    const char *h = secure_getenv("HEARTH_HOME");
    if (h && h[0])
        return hc_strdup(h);
    const char *u = secure_getenv("HOME");
    return hc_asprintf("%s/.hearth", u && u[0] ? u : ".");
}

static char *opt_dup(json_t *o, const char *key)
{
    const char *s = json_string_value(json_object_get(o, key));
    return s && s[0] ? hc_strdup(s) : NULL;
}

int cli_config_load(cli_t *cli, hc_err_t *err)
{
    char *data = NULL;
    size_t len = 0;
    json_t *o = NULL;
    int r;

    cli->home = home_dir();
    hc_autofree char *path = hc_asprintf("%s/config", cli->home);
    r = hc_read_file(AT_FDCWD, path, CLI_CONFIG_MAX, &data, &len, err);
    if (r == -ENOENT)
        return 0;
    if (r < 0)
        return r;
    r = hc_json_parse_obj(data, len, CLI_CONFIG_MAX, &o, err);
    free(data);
    if (r < 0)
        return hc_err_wrap(err, "%s", path);
    cli->target = opt_dup(o, "target");
    cli->token = opt_dup(o, "token");
    cli->email = opt_dup(o, "email");
    json_decref(o);
    return 0;
}

int cli_config_save(const cli_t *cli, hc_err_t *err)
{
    hc_buf_t buf;
    int r;

    r = hc_mkdir_p(AT_FDCWD, cli->home, 0700, err);
    if (r < 0)
        return r;
    json_t *o = hc_json_obj();
    if (cli->target)
        hc_json_set_str(o, "target", cli->target);
    if (cli->token)
        hc_json_set_str(o, "token", cli->token);
    if (cli->email)
        hc_json_set_str(o, "email", cli->email);
    hc_buf_init(&buf, CLI_CONFIG_MAX);
    hc_json_dump(o, JSON_INDENT(2) | JSON_SORT_KEYS, &buf);
    hc_buf_append_byte(&buf, '\n');
    json_decref(o);
    hc_autofree char *path = hc_asprintf("%s/config", cli->home);
    r = hc_atomic_write_file(AT_FDCWD, path, buf.data, buf.len, 0600, err);
    hc_buf_release(&buf);
    return r;
}

void cli_release(cli_t *cli)
{
    free(cli->home);
    free(cli->target);
    if (cli->token) {
        memset(cli->token, 0, strlen(cli->token));
        free(cli->token);
    }
    free(cli->email);
    if (cli->curl)
        curl_easy_cleanup(cli->curl);
    json_decref(cli->info);
    memset(cli, 0, sizeof(*cli));
}
