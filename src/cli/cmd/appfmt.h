/* How an app's JSON is shown in tables. */
#ifndef HEARTH_CLI_CMD_APPFMT_H
#define HEARTH_CLI_CMD_APPFMT_H

#include "cli.h"

/* Adds name, state, "running/instances", memory and urls of a v1 app object. */
void cli_appfmt_row(cli_table_t *t, const json_t *app);
/* "a.x, b.x" from a JSON array of strings, into out. */
void cli_appfmt_join(const json_t *arr, char *out, size_t size);

#endif
