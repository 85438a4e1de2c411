/* hearth: the command-line client of a hearth cloud (vmc's successor). */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <curl/curl.h>

#include "cli.h"

static int run(int argc, char **argv)
{
    if (argc < 2 || strcmp(argv[1], "help") == 0 || strcmp(argv[1], "--help") == 0 ||
        strcmp(argv[1], "-h") == 0) {
        if (argc >= 3 && cli_command_find(argv[2])) {
            cli_usage_print(cli_command_find(argv[2]), stdout);
            return CLI_OK;
        }
        cli_help_print(argc < 2 ? stderr : stdout);
        return argc < 2 ? CLI_USAGE : CLI_OK;
    }
    if (strcmp(argv[1], "--version") == 0 || strcmp(argv[1], "version") == 0) {
        printf("hearth %s\n", HEARTH_VERSION);
        return CLI_OK;
    }
    const cli_cmd_t *cmd = cli_command_find(argv[1]);
    if (!cmd) {
        fprintf(stderr, "hearth: unknown command `%s`\n  Run `hearth help` for the list.\n",
                argv[1]);
        return CLI_USAGE;
    }
    cli_args_t a;
    hc_err_t err;
    if (cli_args_parse(cmd->opts, argc - 2, argv + 2, &a, &err) < 0) {
        fprintf(stderr, "hearth: %s: %s\n  Run `hearth %s --help` for its options.\n", cmd->name,
                err.msg, cmd->name);
        return CLI_USAGE;
    }
    if (a.help) {
        cli_usage_print(cmd, stdout);
        return CLI_OK;
    }
    if ((int)a.npos < cmd->min_pos || (cmd->max_pos >= 0 && (int)a.npos > cmd->max_pos)) {
        fprintf(stderr, "hearth: %s: %s\n", cmd->name,
                (int)a.npos < cmd->min_pos ? "missing argument" : "too many arguments");
        fprintf(stderr, "  Usage: hearth %s %s\n", cmd->name, cmd->args);
        return CLI_USAGE;
    }
    cli_t cli = {0};
    cli.verb = cmd->name;
    cli.json = a.json;
    cli.tty_out = isatty(STDOUT_FILENO);
    cli.tty_err = isatty(STDERR_FILENO);
    int r;
    if (cli_config_load(&cli, &err) < 0) {
        r = cli_fail(&cli, "cannot read the configuration: %s", err.msg);
        cli_hint("Fix or remove the file, then log in again.");
    } else {
        r = cmd->run(&cli, &a);
    }
    cli_release(&cli);
    return r;
}

int main(int argc, char **argv)
{
    curl_global_init(CURL_GLOBAL_DEFAULT);
    int r = run(argc, argv);
    curl_global_cleanup();
    fflush(stdout);
    return r;
}
