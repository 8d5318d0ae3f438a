/* cli.h -- `hookd dlq ...`, `hookd reload`, `hookd status`: a client of the admin API. */
#ifndef HK_CLI_H
#define HK_CLI_H

/* True if argv[1] names a subcommand. */
int hk_cli_is_command(const char *arg);
/* Runs a subcommand; argv[0] is the program, argv[1] the subcommand. Returns the exit
 * status: 0 done, 1 the operation failed, 2 bad usage, 3 the admin API cannot be reached. */
int hk_cli_main(int argc, char **argv);

#endif
