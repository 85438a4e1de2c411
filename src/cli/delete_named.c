/*
 * Deleting one named resource of the CC's API (a service instance, a broker): the question on
 * a terminal unless forced, the DELETE, and the line saying it is done.
 */
#include <stdio.h>
#include <unistd.h>

#include "cli.h"

int cli_delete_named(cli_t *cli, const char *collection, const char *noun, const char *name,
                     const char *consequence, bool force)
{
    if (cli_need_login(cli) < 0)
        return CLI_FAIL;
    char q[300];
    snprintf(q, sizeof(q), "Really delete %s %s%s?", noun, name, consequence);
    if (!force && isatty(0) && !cli_confirm(q)) {
        printf("Not deleted: %s\n", name);
        return CLI_OK;
    }
    hc_autofree char *esc = cli_escape(name);
    hc_autofree char *path = hc_asprintf("/%s/%s", collection, esc);
    hc_autofree char *what = hc_asprintf("deleting the %s", noun);
    if (cli_api(cli, what, "DELETE", path, NULL, NULL) < 0)
        return CLI_FAIL;
    printf("Deleted %s %s\n", noun, name);
    return CLI_OK;
}
