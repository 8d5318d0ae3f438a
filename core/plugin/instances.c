/* instances.c -- every plugin instance of a configuration, built all or nothing. */
#include "plugin/instance.h"

#include "base/err.h"
#include "base/errmsg.h"

#include <stdlib.h>

int hk_instances_create(const struct hk_conf *c, struct hk_instance ***out, struct hk_diags *diags)
{
    char err[HK_ERRMSG_MAX];
    size_t failed = 0;
    *out = NULL;
    if (c->ninstances == 0)
        return 0;
    struct hk_instance **v = calloc(c->ninstances, sizeof *v);
    if (!v)
        return HK_ENOMEM;
    for (size_t i = 0; i < c->ninstances; i++) {
        if (hk_instance_create(&c->instances[i], &v[i], err, sizeof err) == 0)
            continue;
        hk_diags_addf(diags, "%s", err);
        failed++;
    }
    if (failed) {
        hk_instances_destroy(v, c->ninstances);
        return HK_EPLUGIN;
    }
    *out = v;
    return 0;
}

void hk_instances_destroy(struct hk_instance **v, size_t n)
{
    if (!v)
        return;
    while (n--)
        hk_instance_destroy(v[n]);
    free(v);
}
