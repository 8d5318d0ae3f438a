/* metrics.c -- Prometheus text format 0.0.4. */
#include "ops/metrics.h"

#include "ops/admin.h"

#include "deliver/lane.h"
#include "plugin/instance.h"

#include <stdio.h>
#include <string.h>

static void help(struct hk_buf *b, const char *name, const char *type, const char *text)
{
    hk_buf_printf(b, "# HELP %s %s\n# TYPE %s %s\n", name, text, name, type);
}

/* Label values are names from the configuration; escape what the format requires anyway. */
static void label(struct hk_buf *b, const char *key, const char *value, bool first)
{
    hk_buf_printf(b, "%s%s=\"", first ? "" : ",", key);
    for (const char *p = value; *p; p++) {
        if (*p == '"' || *p == '\\')
            hk_buf_append(b, "\\", 1);
        if (*p == '\n')
            hk_buf_puts(b, "\\n");
        else
            hk_buf_append(b, p, 1);
    }
    hk_buf_append(b, "\"", 1);
}

static bool same_series(struct hk_counter *a, struct hk_counter *b, enum hk_counter_kind kind)
{
    return atomic_load_explicit(&b->kind, memory_order_acquire) == (int)kind &&
           !strcmp(a->l1, b->l1) && !strcmp(a->l2, b->l2);
}

/* The sum of series c over the tables of threads from..nio_all-1. */
static uint64_t sum_from(const struct hk_ops_host *h, unsigned from, struct hk_counter *c,
                         enum hk_counter_kind kind)
{
    uint64_t sum = 0;
    for (unsigned p = from; p < h->nio; p++)
        for (unsigned q = 0; q < HK_COUNTERS_MAX; q++) {
            struct hk_counter *o = &h->io[p]->counters.c[q];
            if (same_series(c, o, kind))
                sum += atomic_load_explicit(&o->value, memory_order_relaxed);
        }
    return sum;
}

/* A series already printed with an earlier thread's entry. */
static bool printed_before(const struct hk_ops_host *h, unsigned i, struct hk_counter *c,
                           enum hk_counter_kind kind)
{
    for (unsigned p = 0; p < i; p++)
        for (unsigned q = 0; q < HK_COUNTERS_MAX; q++)
            if (same_series(c, &h->io[p]->counters.c[q], kind))
                return true;
    return false;
}

/* Every series of kind, summed over every I/O thread, each printed once. */
static void io_counters(const struct hk_ops_host *h, struct hk_buf *b, enum hk_counter_kind kind,
                        const char *name, const char *k1, const char *k2)
{
    for (unsigned i = 0; i < h->nio; i++) {
        for (unsigned j = 0; j < HK_COUNTERS_MAX; j++) {
            struct hk_counter *c = &h->io[i]->counters.c[j];
            if (atomic_load_explicit(&c->kind, memory_order_acquire) != (int)kind ||
                printed_before(h, i, c, kind))
                continue;
            hk_buf_printf(b, "%s{", name);
            label(b, k1, c->l1, true);
            label(b, k2, c->l2, false);
            hk_buf_printf(b, "} %llu\n", (unsigned long long)sum_from(h, i, c, kind));
        }
    }
}

/* Worker processes of instances with "isolation": "process" (zero for the others). */
static void worker_counters(struct hk_dispatch *d, struct hk_buf *b)
{
    static const struct {
        const char *name, *help;
        size_t offset;
    } series[] = {
        {"hookd_worker_starts_total", "worker processes started",
         offsetof(struct hk_lane, worker_starts)},
        {"hookd_worker_crashes_total", "worker processes that ended inside handle()",
         offsetof(struct hk_lane, worker_crashes)},
        {"hookd_worker_kills_total", "worker processes killed at an instance's timeout_ms",
         offsetof(struct hk_lane, worker_kills)},
    };
    for (size_t k = 0; k < sizeof series / sizeof series[0]; k++) {
        help(b, series[k].name, "counter", series[k].help);
        for (size_t i = 0; i < d->n; i++) {
            const _Atomic uint64_t *v =
                (const _Atomic uint64_t *)((const char *)d->lanes[i] + series[k].offset);
            hk_buf_printf(b, "%s{", series[k].name);
            label(b, "instance", d->lanes[i]->name, true);
            hk_buf_printf(b, "} %llu\n", (unsigned long long)atomic_load(v));
        }
    }
}

/* One series per instance of the unsigned lane field at offset, read under the lane's lock. */
static void lane_gauge(struct hk_dispatch *d, struct hk_buf *b, const char *name, size_t offset)
{
    for (size_t i = 0; i < d->n; i++) {
        struct hk_lane *l = d->lanes[i];
        pthread_mutex_lock(&l->mu);
        uint32_t v = *(const uint32_t *)((const char *)l + offset);
        pthread_mutex_unlock(&l->mu);
        hk_buf_printf(b, "%s{", name);
        label(b, "instance", l->name, true);
        hk_buf_printf(b, "} %u\n", (unsigned)v);
    }
}

static void lanes(const struct hk_ops_host *h, struct hk_buf *b)
{
    static const char *const results[] = {"ok", "retry", "permanent"};
    struct hk_dispatch *d = h->dispatch;
    help(b, "hookd_handler_calls_total", "counter", "handle() calls by outcome");
    pthread_mutex_lock(&d->mu);
    for (size_t i = 0; i < d->n; i++)
        for (int r = 0; r < 3; r++) {
            hk_buf_puts(b, "hookd_handler_calls_total{");
            label(b, "instance", d->lanes[i]->name, true);
            label(b, "result", results[r], false);
            hk_buf_printf(b, "} %llu\n", (unsigned long long)atomic_load(&d->lanes[i]->handled[r]));
        }
    help(b, "hookd_handler_overruns_total", "counter", "handle() calls that ran past timeout_ms");
    for (size_t i = 0; i < d->n; i++) {
        hk_buf_puts(b, "hookd_handler_overruns_total{");
        label(b, "instance", d->lanes[i]->name, true);
        hk_buf_printf(b, "} %llu\n", (unsigned long long)atomic_load(&d->lanes[i]->overruns));
    }
    worker_counters(d, b);
    help(b, "hookd_deliveries_contained_total", "counter",
         "deliveries dead-lettered without running: hookd ended crash_limit times inside them");
    for (size_t i = 0; i < d->n; i++) {
        hk_buf_puts(b, "hookd_deliveries_contained_total{");
        label(b, "instance", d->lanes[i]->name, true);
        hk_buf_printf(b, "} %llu\n", (unsigned long long)atomic_load(&d->lanes[i]->contained));
    }
    help(b, "hookd_lane_queued", "gauge", "deliveries queued in memory for an instance");
    lane_gauge(d, b, "hookd_lane_queued", offsetof(struct hk_lane, depth));
    help(b, "hookd_lane_running", "gauge", "handle() calls running now for an instance");
    lane_gauge(d, b, "hookd_lane_running", offsetof(struct hk_lane, running));
    pthread_mutex_unlock(&d->mu);
}

static void store_metrics(const struct hk_ops_host *h, const struct hk_delivery_counts *dc,
                          struct hk_buf *b)
{
    static const char *const sizes[] = {"1", "3", "7", "15", "31", "63", "127", "+Inf"};
    static const char *const bounds[] = {"0.0001", "0.00025", "0.0005", "0.001",
                                         "0.0025", "0.005",   "0.01",   "+Inf"};
    struct hk_store_stats st;
    hk_store_get_stats(h->store, &st);
    help(b, "hookd_store_ready", "gauge", "1 while the store commits, 0 after a failed write");
    hk_buf_printf(b, "hookd_store_ready %d\n", hk_store_ready(h->store) ? 1 : 0);
    help(b, "hookd_store_queue", "gauge", "requests waiting for the writer");
    hk_buf_printf(b, "hookd_store_queue %llu\n", (unsigned long long)st.queue_depth);
    help(b, "hookd_store_batch_size", "histogram", "requests per committed batch");
    uint64_t cum = 0;
    for (int i = 0; i < HK_STORE_HIST_BUCKETS; i++) {
        cum += st.batch_hist[i];
        hk_buf_printf(b, "hookd_store_batch_size_bucket{le=\"%s\"} %llu\n", sizes[i],
                      (unsigned long long)cum);
    }
    hk_buf_printf(b, "hookd_store_batch_size_count %llu\nhookd_store_batch_size_sum %llu\n",
                  (unsigned long long)st.batches,
                  (unsigned long long)(st.ingested + st.duplicates));
    help(b, "hookd_store_commit_seconds", "histogram",
         "time from a batch's start to its commit being durable (with fsync: synced)");
    cum = 0;
    for (int i = 0; i < HK_STORE_HIST_BUCKETS; i++) {
        cum += st.commit_hist[i];
        hk_buf_printf(b, "hookd_store_commit_seconds_bucket{le=\"%s\"} %llu\n", bounds[i],
                      (unsigned long long)cum);
    }
    hk_buf_printf(b, "hookd_store_commit_seconds_count %llu\nhookd_store_commit_seconds_sum %.6f\n",
                  (unsigned long long)st.batches, (double)st.commit_us_total / 1e6);
    if (!dc)
        return;
    help(b, "hookd_deliveries", "gauge", "deliveries in the store by state");
    const struct {
        const char *state;
        uint64_t n;
    } rows[] = {{"ready", dc->ready},
                {"running", dc->running},
                {"retry", dc->retry},
                {"done", dc->done},
                {"dead", dc->dead}};
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++)
        hk_buf_printf(b, "hookd_deliveries{state=\"%s\"} %llu\n", rows[i].state,
                      (unsigned long long)rows[i].n);
    help(b, "hookd_stored_events", "gauge", "stored events nobody subscribed to, or invalid");
    hk_buf_printf(b,
                  "hookd_stored_events{status=\"unrouted\"} %llu\n"
                  "hookd_stored_events{status=\"invalid\"} %llu\n",
                  (unsigned long long)dc->unrouted, (unsigned long long)dc->invalid);
}

static bool same_metric(const struct hk_plugin_metric *a, const struct hk_plugin_metric *b)
{
    return a->is_gauge == b->is_gauge && !strcmp(a->name, b->name);
}

static unsigned metric_count(const struct hk_instance *inst)
{
    unsigned n = atomic_load_explicit(&inst->metrics->n, memory_order_acquire);
    return n < HK_PLUGIN_METRICS_MAX ? n : HK_PLUGIN_METRICS_MAX;
}

/* Whether a metric like pm was met before instance i's metric m, in the order of the walk. */
static bool family_seen(struct hk_gen *g, size_t i, unsigned m, const struct hk_plugin_metric *pm)
{
    for (size_t j = 0; j <= i; j++) {
        unsigned n = j == i ? m : metric_count(g->instances[j]);
        for (unsigned k = 0; k < n; k++)
            if (same_metric(&g->instances[j]->metrics->metrics[k], pm))
                return true;
    }
    return false;
}

/* Each plugin metric is one family, hookd_plugin_NAME (gauges) or hookd_plugin_NAME_total
 * (counters), with one HELP and TYPE and a series per instance that reports it. */
static void plugin_metrics(struct hk_gen *g, struct hk_buf *b)
{
    for (size_t i = 0; i < g->ninstances; i++) {
        unsigned n = metric_count(g->instances[i]);
        for (unsigned m = 0; m < n; m++) {
            const struct hk_plugin_metric *pm = &g->instances[i]->metrics->metrics[m];
            if (family_seen(g, i, m, pm))
                continue;
            const char *suffix = pm->is_gauge ? "" : "_total";
            hk_buf_printf(b, "# HELP hookd_plugin_%s%s plugin %s \"%s\" by instance\n", pm->name,
                          suffix, pm->is_gauge ? "gauge" : "counter", pm->name);
            hk_buf_printf(b, "# TYPE hookd_plugin_%s%s %s\n", pm->name, suffix,
                          pm->is_gauge ? "gauge" : "counter");
            for (size_t j = i; j < g->ninstances; j++) {
                const struct hk_instance *inst = g->instances[j];
                unsigned nj = metric_count(inst);
                for (unsigned k = 0; k < nj; k++) {
                    const struct hk_plugin_metric *o = &inst->metrics->metrics[k];
                    if (!same_metric(o, pm))
                        continue;
                    hk_buf_printf(b, "hookd_plugin_%s%s{", o->name, suffix);
                    label(b, "instance", inst->conf->name, true);
                    hk_buf_printf(b, "} %lld\n", (long long)atomic_load(&o->value));
                }
            }
        }
    }
}

void hk_metrics_render(const struct hk_ops_host *h, const struct hk_delivery_counts *dc,
                       struct hk_buf *b)
{
    struct hk_gen *g = h->gen(h->self);
    help(b, "hookd_http_requests_total", "counter", "answered requests by source and status");
    io_counters(h, b, HK_COUNT_HTTP_REQUESTS, "hookd_http_requests_total", "source", "status");
    help(b, "hookd_events_total", "counter",
         "verified events by source and outcome (routed, unrouted, invalid, duplicate, refused)");
    io_counters(h, b, HK_COUNT_EVENTS, "hookd_events_total", "source", "outcome");
    help(b, "hookd_connections", "gauge", "open client connections");
    hk_buf_printf(b, "hookd_connections %u\n", atomic_load(h->nconns));
    lanes(h, b);
    store_metrics(h, dc, b);
    help(b, "hookd_generation", "gauge", "number of the configuration generation in use");
    hk_buf_printf(b, "hookd_generation %llu\n", (unsigned long long)g->number);
    help(b, "hookd_config_info", "gauge", "hash of the configuration in use");
    hk_buf_printf(b, "hookd_config_info{hash=\"%s\"} 1\n", g->conf->hash);
    help(b, "hookd_reloads_total", "counter", "reloads by result");
    hk_buf_printf(b,
                  "hookd_reloads_total{result=\"ok\"} %llu\n"
                  "hookd_reloads_total{result=\"failed\"} %llu\n",
                  (unsigned long long)atomic_load(h->reloads_ok),
                  (unsigned long long)atomic_load(h->reloads_failed));
    help(b, "hookd_plugin_api_misuses_total", "counter",
         "event_header() calls about an event the plugin was not handed on that thread");
    hk_buf_printf(b, "hookd_plugin_api_misuses_total %llu\n",
                  (unsigned long long)hk_instance_misuses());
    help(b, "hookd_admin_auth_failures_total", "counter",
         "admin API requests refused for a missing or wrong token");
    hk_buf_printf(b, "hookd_admin_auth_failures_total %llu\n",
                  (unsigned long long)hk_admin_auth_failures());
    plugin_metrics(g, b);
    hk_gen_release(g);
}
