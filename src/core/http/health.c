/* An app's health check type and path (see hc_health.h). */
#include <string.h>

#include "hc_health.h"

const char *hc_health_type(const char *s)
{
    static const char *const types[] = {"port", "process", "http"};
    if (!s)
        return NULL;
    for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++)
        if (strcmp(s, types[i]) == 0)
            return types[i];
    return strcmp(s, "none") == 0 ? "process" : NULL;
}

bool hc_health_path_ok(const char *s, size_t len)
{
    if (!s || len == 0 || len > HC_HEALTH_MAX_PATH || s[0] != '/')
        return false;
    for (size_t i = 0; i < len; i++)
        if (s[i] <= ' ' || s[i] >= 0x7f)
            return false;
    return true;
}
