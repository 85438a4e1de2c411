/* The verb table, usage lines and the top-level help. */
#include <string.h>

#include "cli.h"

#define CMD(x) extern const cli_cmd_t cli_cmd_##x;
#include "cmd/list.h"
#undef CMD

#define CMD(x) &cli_cmd_##x,
const cli_cmd_t *const cli_commands[] = {
#include "cmd/list.h"
    NULL,
};
#undef CMD

const cli_cmd_t *cli_command_find(const char *name)
{
    for (size_t i = 0; cli_commands[i]; i++)
        if (strcmp(cli_commands[i]->name, name) == 0)
            return cli_commands[i];
    return NULL;
}

void cli_usage_print(const cli_cmd_t *cmd, FILE *f)
{
    fprintf(f, "Usage: hearth %s%s%s [options]\n\n%s\n", cmd->name, cmd->args[0] ? " " : "",
            cmd->args, cmd->summary);
    fprintf(f, "\nOptions:\n");
    for (size_t i = 0; cmd->opts && cmd->opts[i].name; i++) {
        const cli_opt_t *o = &cmd->opts[i];
        char left[64];
        if (o->short_name)
            snprintf(left, sizeof(left), "-%c, --%s%s", o->short_name, o->name, o->arg ? " V" : "");
        else
            snprintf(left, sizeof(left), "    --%s%s", o->name, o->arg ? " V" : "");
        fprintf(f, "  %-26s %s\n", left, o->help);
    }
    fprintf(f, "  %-26s %s\n", "    --json", "print JSON instead of text (listings)");
    fprintf(f, "  %-26s %s\n", "-h, --help", "show this help");
}

void cli_help_print(FILE *f)
{
    int width = 16;
    for (size_t i = 0; cli_commands[i]; i++)
        if ((int)strlen(cli_commands[i]->name) > width)
            width = (int)strlen(cli_commands[i]->name);
    fprintf(f, "Usage: hearth COMMAND [ARGS] [options]\n\nCommands:\n");
    for (size_t i = 0; cli_commands[i]; i++)
        fprintf(f, "  %-*s %s\n", width, cli_commands[i]->name, cli_commands[i]->summary);
    fprintf(f, "\n`hearth COMMAND --help` shows a command's options. Config: $HEARTH_HOME or "
               "~/.hearth.\nExit status: 0 ok, 1 failed, 2 usage error.\n");
}
