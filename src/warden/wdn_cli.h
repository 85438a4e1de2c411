/* wdn_cli.h - `hearth-warden client ...`: the operator CLI on top of hc_warden.h. */
#ifndef HEARTH_WARDEN_CLI_H
#define HEARTH_WARDEN_CLI_H

/* argv[0] is "client". Returns the process exit code (run: the job's exit status). */
int wdn_cli_main(int argc, char **argv);

#endif
