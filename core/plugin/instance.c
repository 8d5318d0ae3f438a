/* instance.c -- creating and destroying plugin instances. */
#include "plugin/instance.h"

#include "base/err.h"
#include "base/errmsg.h"
#include "base/log.h"
#include "plugin/isolated.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static size_t count(const char *const *v)
{
    size_t n = 0;
    while (v && v[n])
        n++;
    return n;
}

/* Joins the NULL-terminated v with sep into out (cap bytes); "(none)" when empty. */
static void join(const char *const *v, const char *sep, char *out, size_t cap)
{
    size_t len = 0;
    out[0] = 0;
    for (size_t i = 0; v && v[i] && len < cap; i++)
        len += (size_t)snprintf(out + len, cap - len, "%s%s", i ? sep : "", v[i]);
    if (!out[0])
        snprintf(out, cap, "(none)");
}

#define HK_WHERE_MAX 512

/* Where a message about the instance file's member key begins: "FILE:LINE:COL" of key's member
 * sub, or of its element index (sub NULL, index >= 0), or of key itself; just FILE when the
 * document is not at hand (a worker process gets the settings without it). */
static const char *where(const struct hk_instance_conf *ic, const char *key, const char *sub,
                         long index, char *out, size_t cap)
{
    if (!ic->doc) {
        snprintf(out, cap, "%s", ic->file);
        return out;
    }
    struct hk_jcur root = hk_jcur_root(ic->doc);
    struct hk_jcur k = hk_jcur_member(&root, key);
    struct hk_jcur m = sub ? hk_jcur_member(&k, sub) : hk_jcur_element(&k, (size_t)index);
    hk_jcur_where(sub || index >= 0 ? &m : &k, out, cap);
    return out;
}

static bool declared(const hookd_plugin *d, const char *key)
{
    for (size_t i = 0; d->conf_keys && d->conf_keys[i]; i++)
        if (strcmp(d->conf_keys[i], key) == 0)
            return true;
    return false;
}

/* Every key of the instance's "config" must be one the plugin declares. */
static int check_config_keys(const struct hk_instance *inst, char *err, size_t cap)
{
    const hookd_plugin *d = inst->lib->desc;
    const char *key;
    char keys[512], at[HK_WHERE_MAX];
    json_t *v;
    if (!json_is_object(inst->conf->config))
        return 0;
    json_object_foreach(inst->conf->config, key, v)
    {
        if (declared(d, key))
            continue;
        where(inst->conf, "config", key, -1, at, sizeof at);
        if (!count(d->conf_keys))
            return hk_errmsg(err, cap, HK_ECONF,
                             "%s: config.%s: plugin \"%s\" accepts no configuration: remove "
                             "\"config\"",
                             at, key, d->name);
        join(d->conf_keys, ", ", keys, sizeof keys);
        return hk_errmsg(err, cap, HK_ECONF,
                         "%s: config.%s: plugin \"%s\" accepts no key \"%s\": use one of %s", at,
                         key, d->name, key, keys);
    }
    return 0;
}

static bool within_any(const char *p, const char *const *q)
{
    for (size_t i = 0; q[i]; i++)
        if (hk_pattern_within(p, q[i]))
            return true;
    return false;
}

/* The effective patterns: the instance's "events", which may only narrow the plugin's. */
static int set_patterns(struct hk_instance *inst, char *err, size_t cap)
{
    const hookd_plugin *d = inst->lib->desc;
    const char *const *events = inst->conf->events;
    const char *const *src = events ? events : d->subscribe;
    char subs[512], at[HK_WHERE_MAX];
    for (size_t i = 0; events && events[i]; i++) {
        if (within_any(events[i], d->subscribe))
            continue;
        join(d->subscribe, ", ", subs, sizeof subs);
        return hk_errmsg(err, cap, HK_ECONF,
                         "%s: events[%zu]: \"%s\" is not among the events plugin \"%s\" "
                         "subscribes to (%s): remove it or narrow it to one of those",
                         where(inst->conf, "events", NULL, (long)i, at, sizeof at), i, events[i],
                         d->name, subs);
    }
    size_t n = count(src);
    inst->patterns = calloc(n + 1, sizeof *inst->patterns);
    if (!inst->patterns)
        return hk_errmsg(err, cap, HK_ENOMEM, "%s: out of memory", inst->conf->file);
    memcpy(inst->patterns, src, n * sizeof *src);
    return 0;
}

/* A NULL-terminated copy of the array v if all its elements are strings, else NULL. */
static const char **strv_of(json_t *v, int *rc)
{
    size_t i, n = json_array_size(v);
    for (i = 0; i < n; i++)
        if (!json_is_string(json_array_get(v, i)))
            return NULL;
    const char **list = calloc(n + 1, sizeof *list);
    if (!list)
        *rc = HK_ENOMEM;
    for (i = 0; list && i < n; i++)
        list[i] = json_string_value(json_array_get(v, i));
    return list;
}

/* Prepares conf_get_strv: every array of strings in the config, as a NULL-terminated list. */
static int build_strv(struct hk_instance *inst, char *err, size_t cap)
{
    json_t *config = inst->conf->config, *v;
    const char *key;
    int rc = 0;
    if (!json_is_object(config))
        return 0;
    inst->strv = calloc(json_object_size(config) + 1, sizeof *inst->strv);
    if (!inst->strv)
        return hk_errmsg(err, cap, HK_ENOMEM, "%s: out of memory", inst->conf->file);
    json_object_foreach(config, key, v)
    {
        const char **list = json_is_array(v) ? strv_of(v, &rc) : NULL;
        if (list)
            inst->strv[inst->nstrv++] = (struct hk_strv){.key = key, .list = list};
    }
    return rc ? hk_errmsg(err, cap, rc, "%s: out of memory", inst->conf->file) : 0;
}

static void set_in_init(struct hk_instance *inst, bool on)
{
    pthread_mutex_lock(&inst->init_mu);
    inst->in_init = on;
    pthread_mutex_unlock(&inst->init_mu);
}

static int init_failed(const struct hk_instance *inst, int rc, char *err, size_t cap)
{
    char at[HK_WHERE_MAX];
    const char *file = where(inst->conf, inst->conf->config ? "config" : "plugin", NULL, -1, at,
                             sizeof at),
               *name = inst->lib->desc->name;
    const char *why = rc < 0 && rc > -4096 ? strerror(-rc) : "not a negative errno";
    if (inst->init_error[0])
        return hk_errmsg(err, cap, HK_EPLUGIN,
                         "%s: plugin \"%s\" failed to start: %s (init returned %d: %s)", file, name,
                         inst->init_error, rc, why);
    return hk_errmsg(err, cap, HK_EPLUGIN,
                     "%s: plugin \"%s\" failed to start and logged no reason (init returned %d: "
                     "%s): check its settings against its documentation",
                     file, name, rc, why);
}

/* The instance whose init() runs on this thread, or NULL: for the crash line. */
static _Thread_local const struct hk_instance *initialising;

const struct hk_instance *hk_instance_initialising(void)
{
    return initialising;
}

static int run_init(struct hk_instance *inst, char *err, size_t cap)
{
    const hookd_plugin *d = inst->lib->desc;
    if (d->init) {
        set_in_init(inst, true);
        initialising = inst;
        int rc = d->init(&inst->ctx, hk_host_api(), &inst->state);
        initialising = NULL;
        set_in_init(inst, false);
        if (rc)
            return init_failed(inst, rc, err, cap);
    }
    inst->initialised = true;
    return 0;
}

static void set_concurrency(struct hk_instance *inst)
{
    const hookd_plugin *d = inst->lib->desc;
    inst->concurrency = inst->conf->concurrency ? inst->conf->concurrency : 1;
    if ((d->flags & HOOKD_PLUGIN_SERIAL) && inst->concurrency > 1) {
        hk_log(HK_LOG_WARN, "concurrency lowered to 1: the plugin handles one event at a time",
               HK_S("instance", inst->conf->name), HK_S("plugin", d->name),
               HK_I("configured", inst->concurrency),
               HK_S("fix", "remove \"concurrency\" from the instance's file"));
        inst->concurrency = 1;
    }
}

static void free_prepared(struct hk_instance *inst)
{
    for (size_t i = 0; i < inst->nstrv; i++)
        free(inst->strv[i].list);
    free(inst->strv);
    free(inst->patterns);
}

static int prepare(struct hk_instance *inst, char *err, size_t cap)
{
    /* An isolated instance's worker checked its config keys against the plugin's own. */
    int rc = inst->conf->isolated ? 0 : check_config_keys(inst, err, cap);
    if (!rc)
        rc = set_patterns(inst, err, cap);
    if (!rc)
        rc = build_strv(inst, err, cap);
    if (!rc)
        set_concurrency(inst);
    return rc;
}

static void release_lib(struct hk_instance *inst)
{
    if (inst->conf->isolated)
        hk_isolated_lib_free(inst->lib); /* a description, never loaded */
    else
        hk_plugin_lib_release(inst->lib);
}

int hk_instance_create(const struct hk_instance_conf *ic, struct hk_instance **out, char *err,
                       size_t cap)
{
    char msg[HK_ERRMSG_MAX], at[HK_WHERE_MAX];
    *out = NULL;
    struct hk_instance *inst = calloc(1, sizeof *inst);
    if (!inst)
        return hk_errmsg(err, cap, HK_ENOMEM, "%s: out of memory", ic->file);
    inst->conf = ic;
    inst->ctx.inst = inst;
    pthread_mutex_init(&inst->init_mu, NULL);
    inst->metrics = hk_metric_set_get(ic->name, ic->plugin);
    if (!inst->metrics) {
        pthread_mutex_destroy(&inst->init_mu);
        free(inst);
        return hk_errmsg(err, cap, HK_ENOMEM, "%s: out of memory", ic->file);
    }
    int rc = ic->isolated ? hk_isolated_describe(ic, &inst->lib, err, cap)
                          : hk_plugin_lib_open(ic->so_path, &inst->lib, msg, sizeof msg);
    if (rc) {
        if (!ic->isolated)
            hk_errmsg(err, cap, rc, "%s: %s", where(ic, "plugin", NULL, -1, at, sizeof at), msg);
        goto err_free;
    }
    rc = prepare(inst, err, cap);
    if (rc)
        goto err_release_lib;
    inst->ctx.magic = HK_CTX_MAGIC;
    rc = ic->isolated ? 0 : run_init(inst, err, cap); /* a worker runs an isolated one's */
    if (rc)
        goto err_release_lib;
    *out = inst;
    return 0;

err_release_lib:
    inst->ctx.magic = 0;
    free_prepared(inst);
    release_lib(inst);
err_free:
    hk_metric_set_put(inst->metrics);
    pthread_mutex_destroy(&inst->init_mu);
    free(inst);
    return rc;
}

void hk_instance_destroy(struct hk_instance *inst)
{
    if (!inst)
        return;
    if (inst->initialised && inst->lib->desc->fini)
        inst->lib->desc->fini(inst->state);
    inst->ctx.magic = 0;
    free_prepared(inst);
    release_lib(inst);
    hk_metric_set_put(inst->metrics);
    pthread_mutex_destroy(&inst->init_mu);
    free(inst);
}

bool hk_instance_wants(const struct hk_instance *inst, const char *type, const char *source)
{
    size_t i = 0;
    while (inst->patterns[i] && !hk_pattern_match(inst->patterns[i], type))
        i++;
    if (!inst->patterns[i])
        return false;
    const char *const *sources = inst->conf->sources;
    for (i = 0; sources && sources[i]; i++)
        if (strcmp(sources[i], source) == 0)
            return true;
    return !sources;
}

void hk_instance_describe(const struct hk_instance *inst, char *out, size_t cap)
{
    const hookd_plugin *d = inst->lib->desc;
    char events[512], sources[512] = "*";
    join(inst->patterns, ",", events, sizeof events);
    if (inst->conf->sources)
        join(inst->conf->sources, ",", sources, sizeof sources);
    snprintf(out, cap, "instance %s: plugin %s %s (%s), events %s, sources %s", inst->conf->name,
             d->name, d->version, inst->lib->path, events, sources);
}
