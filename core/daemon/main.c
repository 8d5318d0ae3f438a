/* main.c -- hookd's command line. */
#include "ops/cli.h"
#include "daemon/server.h"
#include "daemon/worker.h"
#include "plugin/isolated.h"
#include "daemon/version.h"

#include <hookd/plugin.h>

#include <getopt.h>
#include <stdio.h>
#include <string.h>

static void usage(FILE *f)
{
    fprintf(f, "usage: hookd [-c DIR]      run with DIR/hookd.json and DIR/plugins.d\n"
               "                           (default " HOOKD_DEFAULT_CONF_DIR ")\n"
               "       hookd -t [-c DIR]   check the configuration and plugins, then exit\n"
               "       hookd --version     print the version\n"
               "       hookd status        readiness, configuration hash, last reload\n"
               "       hookd reload        reload the configuration, print the result\n"
               "       hookd dlq list|show|replay|purge   dead letters\n"
               "       (each operator command answers --help: hookd dlq --help)\n"
               "signals: SIGHUP reloads; SIGTERM/SIGINT stop after the requests and handler\n"
               "         calls in progress; SIGUSR2 hands the listening sockets to the binary\n"
               "         now at hookd's path (an upgrade); SIGUSR1 makes the log plugin reopen\n"
               "         its files\n"
               "see hookd(8) and /usr/share/doc/hookd/README.md\n");
}

int main(int argc, char **argv)
{
    static const struct option longopts[] = {{"version", no_argument, NULL, 'V'},
                                             {"help", no_argument, NULL, 'h'},
                                             {"config", required_argument, NULL, 'c'},
                                             {"test", no_argument, NULL, 't'},
                                             {NULL, 0, NULL, 0}};
    const char *dir = NULL;
    int check = 0, opt;
    if (argc > 1 && hk_cli_is_command(argv[1]))
        return hk_cli_main(argc, argv);
    if (argc == 2 && strcmp(argv[1], "worker") == 0) /* started by hookd itself, not by users */
        return hk_worker_main(HK_WORKER_FD);
    while ((opt = getopt_long(argc, argv, "c:th", longopts, NULL)) != -1) {
        switch (opt) {
        case 'V':
            printf("hookd %s (plugin ABI %u.%u)\n", HOOKD_VERSION, HOOKD_PLUGIN_ABI_MAJOR,
                   HOOKD_PLUGIN_ABI_MINOR);
            return 0;
        case 'c':
            dir = optarg;
            break;
        case 't':
            check = 1;
            break;
        case 'h':
            usage(stdout);
            return 0;
        default:
            usage(stderr);
            return 2;
        }
    }
    if (optind != argc) {
        usage(stderr);
        return 2;
    }
    if (!dir)
        dir = HOOKD_DEFAULT_CONF_DIR; /* /etc/hookd for a package, PREFIX/etc/hookd else */
    hk_isolated_use_self();
    return check ? hk_server_check(dir) : hk_server_run(dir);
}
