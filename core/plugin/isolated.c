/* isolated.c -- describing an isolated instance from its worker (see isolated.h). */
#include "plugin/isolated.h"

#include "base/err.h"
#include "base/errmsg.h"
#include "plugin/remote.h"

#include <jansson.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char *worker_exe;

void hk_isolated_set_exe(const char *exe)
{
    worker_exe = exe;
}

void hk_isolated_use_self(void)
{
    static char self[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
    self[n > 0 ? n : 0] = 0;
    worker_exe = self;
}

const char *hk_isolated_exe(void)
{
    return worker_exe;
}

int hk_isolated_init_msg(const struct hk_instance_conf *ic, struct hk_wire_init *m,
                         char **json_text)
{
    *json_text = ic->config ? json_dumps(ic->config, JSON_COMPACT) : NULL;
    if (ic->config && !*json_text)
        return HK_ENOMEM;
    *m = (struct hk_wire_init){.name = hk_wire_cstr(ic->name),
                               .so_path = hk_wire_cstr(ic->so_path),
                               .config = hk_wire_cstr(*json_text),
                               .memory_max = ic->memory_max,
                               .open_files = ic->max_open_files,
                               .drop = ic->drop,
                               .uid = ic->uid,
                               .gid = ic->gid};
    return 0;
}

/* The description in the HELLO, copied: one allocation for the desc, one per string. */
static struct hk_plugin_lib *lib_of(const struct hk_instance_conf *ic,
                                    const struct hk_wire_hello *h)
{
    struct hk_plugin_lib *lib = calloc(1, sizeof *lib);
    hookd_plugin *d = calloc(1, sizeof *d);
    const char **subs = calloc(h->nsubscribe + 1, sizeof *subs);
    if (lib) {
        lib->desc = d;
        lib->path = strdup(ic->so_path);
    }
    if (d) {
        d->name = hk_wire_strdup(h->plugin);
        d->version = hk_wire_strdup(h->version);
        d->flags = h->flags;
        d->subscribe = subs;
    }
    bool ok = lib && d && subs && lib->path && d->name && d->version;
    for (uint32_t i = 0; ok && i < h->nsubscribe; i++)
        ok = (subs[i] = hk_wire_strdup(h->subscribe[i])) != NULL;
    if (!ok) {
        if (!lib) { /* otherwise lib_free frees them */
            free(subs);
            free(d);
        }
        hk_isolated_lib_free(lib);
        return NULL;
    }
    return lib;
}

int hk_isolated_describe(const struct hk_instance_conf *ic, struct hk_plugin_lib **out, char *err,
                         size_t cap)
{
    static _Thread_local struct hk_wire_hello h; /* large: not on the stack */
    struct hk_wire_init init;
    struct hk_remote *r = NULL;
    char *json = NULL, why[HK_ERRMSG_MAX];
    int rc = hk_isolated_init_msg(ic, &init, &json);
    if (rc == 0)
        rc = hk_remote_start(worker_exe, &init, HK_WORKER_START_MS, &r, &h, why, sizeof why);
    free(json);
    if (rc)
        return hk_errmsg(err, cap, rc,
                         "%s: the worker of instance \"%s\" did not start: %s (isolation: process)",
                         ic->file, ic->name, rc == HK_ENOMEM ? "out of memory" : why);
    *out = lib_of(ic, &h);
    hk_remote_stop(r, HK_WORKER_START_MS); /* it ran init(); it runs fini() now */
    return *out ? 0 : hk_errmsg(err, cap, HK_ENOMEM, "%s: out of memory", ic->file);
}

void hk_isolated_lib_free(struct hk_plugin_lib *lib)
{
    if (!lib)
        return;
    hookd_plugin *d = (hookd_plugin *)lib->desc;
    if (d) {
        for (size_t i = 0; d->subscribe && d->subscribe[i]; i++)
            free((char *)d->subscribe[i]);
        free((void *)d->subscribe);
        free((char *)d->name);
        free((char *)d->version);
        free(d);
    }
    free(lib->path);
    free(lib);
}
