/* server_check.c -- hookd -t: every check a start makes, without serving: the configuration
 * (secrets, certificates, address sets), then every plugin loaded and each instance's init()
 * and fini() run. */
#include "daemon/server.h"

#include "conf/conf.h"
#include "daemon/runtime_dir.h"
#include "plugin/instance.h"

#include <stdio.h>

static void print_diags(const struct hk_diags *d)
{
    for (size_t i = 0; i < d->n && i < d->cap; i++)
        fprintf(stderr, "%s\n", d->lines[i] ? d->lines[i] : "(out of memory)");
}

/* Loads every plugin and runs each instance's init() and fini(), as a start would; prints
 * one line per instance, or every problem. 0 or HK_EPLUGIN. */
static int check_plugins(const struct hk_conf *conf)
{
    struct hk_diags d = {0};
    struct hk_instance **v = NULL;
    char line[1024];
    int rc = hk_instances_create(conf, &v, &d);
    for (size_t i = 0; rc == 0 && i < conf->ninstances; i++) {
        hk_instance_describe(v[i], line, sizeof line);
        printf("%s\n", line);
    }
    fflush(stdout); /* the lines come before whatever fini() logs */
    hk_instances_destroy(v, conf->ninstances);
    print_diags(&d);
    hk_diags_free(&d);
    return rc;
}

int hk_server_check(const char *confdir)
{
    struct hk_diags d = {0};
    struct hk_conf *conf = NULL;
    if (hk_conf_load(confdir, &d, &conf) != 0) {
        print_diags(&d);
        hk_diags_free(&d);
        return 1;
    }
    if (hk_runtime_dir_create() != 0 || check_plugins(conf) != 0) {
        hk_conf_free(conf);
        return 1;
    }
    printf("hookd: configuration %s is valid (hash %s): %zu listener(s), %zu source(s), %zu "
           "plugin instance(s)\n",
           conf->dir, conf->hash, conf->nlisten, conf->nsources, conf->ninstances);
    for (size_t i = 0; i < conf->warnings.n && i < conf->warnings.cap; i++)
        printf("hookd: warning: %s\n", conf->warnings.lines[i] ? conf->warnings.lines[i] : "?");
    if (conf->inline_secrets)
        printf("hookd: warning: %u secret(s) written inline; move them to the environment or a "
               "file\n",
               conf->inline_secrets);
    hk_conf_free(conf);
    return 0;
}
