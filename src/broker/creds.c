/* Credentials documents and generated resource names. */
#include <stdio.h>
#include <string.h>

#include "broker.h"
#include "creds.h"
#include "hc_json.h"

json_t *brk_creds_new(const char *scheme, const char *host, int port, const char *name,
                      const char *user, const char *password)
{
    json_t *c = hc_json_obj();
    char *uri = hc_asprintf("%s://%s:%s@%s:%d/%s", scheme, user, password, host, port, name);
    hc_json_set_str(c, "uri", uri);
    free(uri);
    hc_json_set_str(c, "hostname", host);
    hc_json_set_str(c, "host", host);
    hc_json_set_int(c, "port", port);
    hc_json_set_str(c, "name", name);
    hc_json_set_str(c, "username", user);
    hc_json_set_str(c, "user", user);
    hc_json_set_str(c, "password", password);
    return c;
}

void brk_name(char *out, char prefix, const char *key)
{
    out[0] = prefix;
    memcpy(out + 1, key, BRK_KEY_LEN);
    out[1 + BRK_KEY_LEN] = '\0';
}

bool brk_safe_name(const char *s)
{
    size_t n = strlen(s), i = 0;
    if (n == 0 || n > 65)
        return false;
    if (s[0] >= 'a' && s[0] <= 'z' && n > 1)
        i = 1;
    for (; i < n; i++)
        if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
            return false;
    return true;
}
