/* server_check.c -- hookd -t: every check a start makes, without serving. */
#include "server.h"

#include "conf.h"

#include <stdio.h>

int hk_server_check(const char *confdir)
{
    struct hk_diags d = {0};
    struct hk_conf *conf = NULL;
    if (hk_conf_load(confdir, &d, &conf) != 0) {
        for (size_t i = 0; i < d.n && i < d.cap; i++)
            fprintf(stderr, "%s\n", d.lines[i] ? d.lines[i] : "(out of memory)");
        hk_diags_free(&d);
        return 1;
    }
    printf("hookd: configuration %s is valid (hash %s): %zu listener(s), %zu source(s), %zu "
           "plugin instance(s)\n",
           conf->dir, conf->hash, conf->nlisten, conf->nsources, conf->ninstances);
    if (conf->inline_secrets)
        printf("hookd: warning: %u secret(s) written inline; move them to the environment or a "
               "file\n",
               conf->inline_secrets);
    hk_conf_free(conf);
    return 0;
}
