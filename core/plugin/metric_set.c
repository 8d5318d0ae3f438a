/* metric_set.c -- plugin metrics by instance name, shared by the generations that run it. */
#include "plugin/metric_set.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Few sets (one per configured instance), looked up only when an instance is created. */
static pthread_mutex_t sets_mu = PTHREAD_MUTEX_INITIALIZER;
static struct hk_metric_set *sets;

struct hk_metric_set *hk_metric_set_get(const char *instance, const char *plugin)
{
    pthread_mutex_lock(&sets_mu);
    struct hk_metric_set *s = sets;
    while (s && (strcmp(s->instance, instance) || strcmp(s->plugin, plugin)))
        s = s->next;
    if (!s && (s = calloc(1, sizeof *s))) {
        s->instance = strdup(instance);
        s->plugin = strdup(plugin);
        if (!s->instance || !s->plugin) {
            free(s->instance);
            free(s->plugin);
            free(s);
            s = NULL;
        } else {
            pthread_mutex_init(&s->mu, NULL);
            s->next = sets;
            sets = s;
        }
    }
    if (s)
        s->refs++;
    pthread_mutex_unlock(&sets_mu);
    return s;
}

void hk_metric_set_put(struct hk_metric_set *s)
{
    if (!s)
        return;
    pthread_mutex_lock(&sets_mu);
    bool last = --s->refs == 0;
    if (last) {
        struct hk_metric_set **p = &sets;
        while (*p != s)
            p = &(*p)->next;
        *p = s->next;
    }
    pthread_mutex_unlock(&sets_mu);
    if (!last)
        return;
    pthread_mutex_destroy(&s->mu);
    free(s->instance);
    free(s->plugin);
    free(s);
}

static struct hk_plugin_metric *scan(struct hk_metric_set *s, const char *name, unsigned from,
                                     unsigned to)
{
    for (unsigned i = from; i < to; i++)
        if (strcmp(s->metrics[i].name, name) == 0)
            return &s->metrics[i];
    return NULL;
}

struct hk_plugin_metric *hk_metric_set_find(struct hk_metric_set *s, const char *name,
                                            bool is_gauge, const char **why)
{
    unsigned n = atomic_load_explicit(&s->n, memory_order_acquire);
    struct hk_plugin_metric *m = scan(s, name, 0, n);
    if (!m) {
        pthread_mutex_lock(&s->mu);
        unsigned now = atomic_load_explicit(&s->n, memory_order_relaxed);
        m = scan(s, name, n, now);
        if (!m && now < HK_PLUGIN_METRICS_MAX) {
            m = &s->metrics[now];
            snprintf(m->name, sizeof m->name, "%s", name);
            m->is_gauge = is_gauge;
            atomic_store_explicit(&s->n, now + 1, memory_order_release);
        }
        pthread_mutex_unlock(&s->mu);
    }
    if (!m)
        *why = "too many metrics: at most 32 per instance";
    else if (m->is_gauge != is_gauge)
        *why = is_gauge ? "it is a counter" : "it is a gauge";
    return m && m->is_gauge == is_gauge ? m : NULL;
}
