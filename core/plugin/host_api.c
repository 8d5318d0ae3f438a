/* host_api.c -- the services table hookd hands every plugin (hookd_host_api). */
#include "plugin/instance.h"

#include "base/log.h"

#include <assert.h>
#include <stdatomic.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#define PLUGIN_LOG_MAX 4096 /* bytes of one plugin log message (as much as a log line holds) */

/* The handle() call running on this thread, or NULL: what event_header() may answer for,
 * and where log() copies errors and warnings. */
struct call {
    const struct hk_instance *inst;
    const struct hk_plugin_event *pe;
    char *error;
    size_t cap;
};
static _Thread_local const struct call *current;
static atomic_uint_fast64_t misuses;
static atomic_bool misuse_warned;

hookd_result hk_instance_handle(struct hk_instance *inst, const struct hk_plugin_event *pe,
                                char *error, size_t cap)
{
    const struct call c = {inst, pe, cap ? error : NULL, cap};
    if (c.error)
        c.error[0] = 0;
    const struct call *outer = current; /* the runner nests nothing, but stay correct */
    current = &c;
    hookd_result r = inst->lib->desc->handle(inst->state, &inst->ctx, &pe->ev);
    current = outer;
    return r;
}

const struct hk_instance *hk_instance_current(const char **event_id, int64_t *delivery)
{
    const struct call *c = current;
    if (!c)
        return NULL;
    *event_id = c->pe->ev.id;
    *delivery = c->pe->delivery;
    return c->inst;
}

uint64_t hk_instance_misuses(void)
{
    return atomic_load(&misuses);
}

/* The instance behind ctx, or NULL for a handle that is not (or no longer) a live instance:
 * a plugin kept ctx past fini(), or passed something else. Debug builds stop right there. */
static struct hk_instance *live(hookd_ctx *ctx, const char *service)
{
    if (ctx && ctx->magic == HK_CTX_MAGIC)
        return ctx->inst;
    assert(!"a plugin called a host service with a stale or invalid hookd_ctx");
    hk_log(HK_LOG_ERROR, "a plugin called a host service with a stale or invalid handle: ignored",
           HK_S("service", service),
           HK_S("fix", "the plugin must not use its hookd_ctx after fini(): report it to its "
                       "author"));
    return NULL;
}

static enum hk_log_level level_of(hookd_log_level lvl)
{
    switch (lvl) {
    case HOOKD_LOG_ERROR:
        return HK_LOG_ERROR;
    case HOOKD_LOG_WARN:
        return HK_LOG_WARN;
    case HOOKD_LOG_INFO:
        return HK_LOG_INFO;
    default:
        return HK_LOG_DEBUG;
    }
}

/* Keeps text as the reason init() failed if the instance is in init(); true if it did. */
static bool note_init_error(struct hk_instance *inst, const char *text)
{
    pthread_mutex_lock(&inst->init_mu);
    bool in_init = inst->in_init;
    if (in_init) {
        size_t n = strnlen(text, sizeof inst->init_error - 1); /* cut a long message */
        memcpy(inst->init_error, text, n);
        inst->init_error[n] = 0;
    }
    pthread_mutex_unlock(&inst->init_mu);
    return in_init;
}

static void host_log(hookd_ctx *ctx, hookd_log_level lvl, const char *fmt, ...)
{
    struct hk_instance *inst = live(ctx, "log");
    enum hk_log_level level = level_of(lvl);
    char text[PLUGIN_LOG_MAX];
    va_list ap;
    /* Inside handle(), errors and warnings also become the delivery's recorded reason. */
    bool capture = level <= HK_LOG_WARN && current && current->error;
    if (!inst || !fmt || (!hk_log_enabled(level) && !capture))
        return;
    va_start(ap, fmt);
    vsnprintf(text, sizeof text, fmt, ap);
    va_end(ap);
    /* A message is one line: the trailing newline of a handler's output (or of a format that
     * ends in one) would otherwise end up in the stored reason and in `dlq list`. */
    for (size_t n = strlen(text); n && (text[n - 1] == '\n' || text[n - 1] == '\r');)
        text[--n] = 0;
    if (capture) { /* truncated to the delivery's error field */
        size_t n = strnlen(text, current->cap - 1);
        memcpy(current->error, text, n);
        current->error[n] = 0;
    }
    if (level == HK_LOG_ERROR)
        note_init_error(inst, text);
    if (hk_log_enabled(level))
        hk_log(level, text, HK_S("instance", inst->conf->name),
               HK_S("plugin", inst->lib->desc->name));
}

static bool metric_name_valid(const char *name)
{
    size_t n = name ? strlen(name) : 0;
    return n > 0 && n < HK_METRIC_NAME_MAX &&
           strspn(name, "abcdefghijklmnopqrstuvwxyz0123456789_") == n;
}

static void metric_refused(struct hk_instance *inst, const char *name, const char *why)
{
    if (atomic_exchange(&inst->metric_warned, true))
        return;
    hk_log(HK_LOG_WARN, "plugin metric ignored (warned once per instance)",
           HK_S("instance", inst->conf->name), HK_S("plugin", inst->lib->desc->name),
           HK_S("metric", name), HK_S("cause", why));
}

static struct hk_plugin_metric *metric_get(struct hk_instance *inst, const char *name,
                                           bool is_gauge)
{
    const char *why = NULL;
    struct hk_plugin_metric *m = hk_metric_set_find(inst->metrics, name, is_gauge, &why);
    if (!m)
        metric_refused(inst, name, why);
    return m;
}

static struct hk_plugin_metric *metric(hookd_ctx *ctx, const char *name, bool is_gauge)
{
    struct hk_instance *inst = live(ctx, is_gauge ? "gauge_set" : "counter_add");
    if (!inst)
        return NULL;
    if (metric_name_valid(name))
        return metric_get(inst, name, is_gauge);
    metric_refused(inst, name ? name : "(null)", "invalid name: use [a-z0-9_], at most 47");
    return NULL;
}

static void host_counter_add(hookd_ctx *ctx, const char *name, uint64_t delta)
{
    struct hk_plugin_metric *m = metric(ctx, name, false);
    if (m)
        atomic_fetch_add_explicit(&m->value, (int64_t)delta, memory_order_relaxed);
}

static void host_gauge_set(hookd_ctx *ctx, const char *name, int64_t value)
{
    struct hk_plugin_metric *m = metric(ctx, name, true);
    if (m)
        atomic_store_explicit(&m->value, value, memory_order_relaxed);
}

static json_t *conf_value(hookd_ctx *ctx, const char *key, const char *service)
{
    struct hk_instance *inst = live(ctx, service);
    return inst && key ? json_object_get(inst->conf->config, key) : NULL;
}

static const char *host_conf_get(hookd_ctx *ctx, const char *key)
{
    return json_string_value(conf_value(ctx, key, "conf_get"));
}

static int host_conf_get_i64(hookd_ctx *ctx, const char *key, int64_t *out)
{
    json_t *v = conf_value(ctx, key, "conf_get_i64");
    if (!v)
        return -ENOENT;
    if (!json_is_integer(v))
        return -EINVAL;
    *out = json_integer_value(v);
    return 0;
}

static int host_conf_get_bool(hookd_ctx *ctx, const char *key, int *out)
{
    json_t *v = conf_value(ctx, key, "conf_get_bool");
    if (!v)
        return -ENOENT;
    if (!json_is_boolean(v))
        return -EINVAL;
    *out = json_is_true(v);
    return 0;
}

static int host_conf_get_strv(hookd_ctx *ctx, const char *key, const char *const **out)
{
    if (!conf_value(ctx, key, "conf_get_strv"))
        return -ENOENT;
    const struct hk_instance *inst = ctx->inst;
    for (size_t i = 0; i < inst->nstrv; i++)
        if (strcmp(inst->strv[i].key, key) == 0) {
            *out = inst->strv[i].list;
            return 0;
        }
    return -EINVAL;
}

/* An event_header() call about an event that is not the one handle() was given on this
 * thread (a copy, a stale pointer, another thread): counted, and said once. */
static void event_misused(void)
{
    atomic_fetch_add(&misuses, 1);
    if (atomic_exchange(&misuse_warned, true))
        return;
    hk_log(HK_LOG_WARN,
           "a plugin asked event_header() about an event it was not handed on this thread: "
           "answered NULL (warned once; counted in hookd_plugin_api_misuses_total)",
           HK_S("instance", current ? current->inst->conf->name : "(none: not inside handle())"),
           HK_S("fix", "pass the exact ev pointer handle() received, from inside that call"));
}

static const char *host_event_header(const hookd_event *ev, const char *name, size_t *len)
{
    if (!current || ev != &current->pe->ev) {
        event_misused();
        return NULL;
    }
    if (!name || hk_header_is_credential(name, strlen(name)))
        return NULL;
    const struct hk_plugin_event *pe = current->pe;
    const struct hk_header *h = hk_header_find(pe->headers, pe->nheaders, name);
    if (h && len)
        *len = h->value_len;
    return h ? h->value : NULL;
}

static const char *host_instance_name(hookd_ctx *ctx)
{
    struct hk_instance *inst = live(ctx, "instance_name");
    return inst ? inst->conf->name : NULL;
}

static const hookd_host_api host_api = {
    .abi_minor = HOOKD_PLUGIN_ABI_MINOR,
    .struct_size = sizeof(hookd_host_api),
    .log = host_log,
    .counter_add = host_counter_add,
    .gauge_set = host_gauge_set,
    .conf_get = host_conf_get,
    .conf_get_i64 = host_conf_get_i64,
    .conf_get_bool = host_conf_get_bool,
    .conf_get_strv = host_conf_get_strv,
    .event_header = host_event_header,
    .instance_name = host_instance_name,
};

const hookd_host_api *hk_host_api(void)
{
    return &host_api;
}
