/* hearth completion bash: a bash completion script generated from the verb table. */
#include <stdio.h>
#include <string.h>

#include "cli.h"

static int run(cli_t *cli, const cli_args_t *a)
{
    if (strcmp(a->pos[0], "bash") != 0) {
        cli_fail(cli, "only `bash` is supported");
        return CLI_USAGE;
    }
    printf("# bash completion for hearth; load with: source <(hearth completion bash)\n");
    printf("_hearth() {\n    local cur=${COMP_WORDS[COMP_CWORD]} cmd=${COMP_WORDS[1]}\n");
    printf("    if [ \"$COMP_CWORD\" -eq 1 ]; then\n        COMPREPLY=($(compgen -W \"");
    for (size_t i = 0; cli_commands[i]; i++)
        printf("%s%s", i ? " " : "", cli_commands[i]->name);
    printf(" help\" -- \"$cur\"))\n        return\n    fi\n    case $cmd in\n");
    for (size_t i = 0; cli_commands[i]; i++) {
        printf("    %s) COMPREPLY=($(compgen -W \"--help --json", cli_commands[i]->name);
        for (size_t k = 0; cli_commands[i]->opts && cli_commands[i]->opts[k].name; k++)
            printf(" --%s", cli_commands[i]->opts[k].name);
        printf("\" -- \"$cur\")) ;;\n");
    }
    printf("    esac\n    if [[ $cur != -* ]] && [[ $cmd == push ]]; then\n"
           "        COMPREPLY+=($(compgen -d -- \"$cur\"))\n    fi\n}\n"
           "complete -F _hearth hearth\n");
    return CLI_OK;
}

const cli_cmd_t cli_cmd_completion = {
    .name = "completion",
    .args = "bash",
    .summary = "print a shell completion script",
    .min_pos = 1,
    .max_pos = 1,
    .run = run,
};
