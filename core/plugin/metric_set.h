/* metric_set.h -- the counters and gauges a plugin instance reports, kept across reloads.
 *
 * A set belongs to an instance *name* running a given plugin, not to one generation's
 * instance object: a reload that keeps the instance (same name, same plugin, new code or new
 * settings) hands the new instance the same set, so its counters keep counting instead of
 * dropping to zero, and the calls the old generation still finishes count in the same
 * series. A renamed instance, or another plugin under the name, starts a new set. */
#ifndef HK_METRIC_SET_H
#define HK_METRIC_SET_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#define HK_PLUGIN_METRICS_MAX 32
#define HK_METRIC_NAME_MAX    48

/* A counter or gauge a plugin reports through the host API. */
struct hk_plugin_metric {
    char name[HK_METRIC_NAME_MAX];
    bool is_gauge;
    _Atomic int64_t value;
};

struct hk_metric_set {
    struct hk_metric_set *next; /* in the process-wide list; guarded by its lock */
    unsigned refs;              /* guarded by the list's lock */
    char *instance, *plugin;    /* owned: what the set belongs to */
    pthread_mutex_t mu;         /* guards adding a metric; values are atomics */
    struct hk_plugin_metric metrics[HK_PLUGIN_METRICS_MAX];
    atomic_uint n; /* metrics[0..n-1] are filled; raised only after the slot is */
};

/* The set of instance running plugin, made empty on first use; one reference, released with
 * hk_metric_set_put. NULL when out of memory. Any thread. */
struct hk_metric_set *hk_metric_set_get(const char *instance, const char *plugin);
void hk_metric_set_put(struct hk_metric_set *s);

/* The metric called name, added on first use (lock-free when it exists). NULL when the set
 * is full (*why says so) or name is already the other kind. Any thread. */
struct hk_plugin_metric *hk_metric_set_find(struct hk_metric_set *s, const char *name,
                                            bool is_gauge, const char **why);

#endif
