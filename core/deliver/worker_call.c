/* worker_call.c -- deliveries in worker processes (see worker_call.h). */
#include "deliver/worker_call.h"

#include "base/errmsg.h"
#include "base/log.h"
#include "plugin/isolated.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define BACKOFF_FIRST_MS 100
#define BACKOFF_MAX_MS   5000
#define STOP_GRACE_MS    5000 /* for fini() when a worker is ended on purpose */

static void pause_ms(int64_t ms)
{
    struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000};
    while (nanosleep(&ts, &ts) != 0)
        ;
}

/* The slot's worker for inst: started (again) when there is none or it was for another
 * instance; NULL when it does not start (why in err). */
static struct hk_remote *worker_for(struct hk_lane *l, struct hk_worker_slot *w,
                                    const struct hk_instance *inst, char *err, size_t cap)
{
    static _Thread_local struct hk_wire_hello hello; /* large: not on the stack */
    if (w->remote && w->of == inst)
        return w->remote;
    hk_worker_slot_end(w);
    if (w->failures) { /* after a crash or a failed start: wait, longer each time */
        int64_t ms = BACKOFF_FIRST_MS << (w->failures < 6 ? w->failures - 1 : 5);
        pause_ms(ms < BACKOFF_MAX_MS ? ms : BACKOFF_MAX_MS);
    }
    struct hk_wire_init init;
    char *json = NULL;
    int rc = hk_isolated_init_msg(inst->conf, &init, &json);
    if (rc == 0)
        rc = hk_remote_start(hk_isolated_exe(), &init, HK_WORKER_START_MS, &w->remote, &hello, err,
                             cap);
    else
        snprintf(err, cap, "out of memory");
    free(json);
    atomic_fetch_add(&l->worker_starts, 1);
    if (rc) {
        w->failures++;
        hk_log(HK_LOG_ERROR, "an instance's worker did not start", HK_S("instance", l->name),
               HK_S("error", err), HK_S("fix", "see the plugin's own log lines above"));
        return NULL;
    }
    w->of = inst;
    return w->remote;
}

static void crashed(struct hk_lane *l, struct hk_worker_slot *w, struct hk_delivery *d)
{
    atomic_fetch_add(&l->worker_crashes, 1);
    hk_log(HK_LOG_WARN, "an instance's worker ended while it handled an event; hookd goes on",
           HK_S("instance", l->name), HK_S("id", d->ev->id), HK_I("delivery", d->rowid),
           HK_S("error", d->error));
    hk_worker_slot_end(w);
    w->failures++;
    d->crashed = true;
    d->interrupted++;
    if (d->interrupted < l->crash_limit) {
        d->result = HOOKD_RETRY;
        return;
    }
    d->result = HOOKD_PERMANENT;
    snprintf(d->error, sizeof d->error,
             "the worker of instance \"%s\" ended %u time%s while it handled this event: the "
             "plugin may crash on it; fix the plugin, then `hookd dlq replay`",
             l->name, d->interrupted, d->interrupted == 1 ? "" : "s");
}

static void killed(struct hk_lane *l, struct hk_worker_slot *w, struct hk_delivery *d,
                   int64_t timeout_ms)
{
    atomic_fetch_add(&l->worker_kills, 1);
    hk_log(HK_LOG_WARN, "handler killed at its timeout with its worker; the event is retried",
           HK_S("instance", l->name), HK_S("id", d->ev->id), HK_I("delivery", d->rowid),
           HK_I("timeout_ms", timeout_ms));
    hk_worker_slot_end(w);
    d->result = HOOKD_RETRY;
}

/* What the worker counted since its last answer, added to hookd's instance: the plugin's
 * counters and gauges read the same in /metrics whether it runs in threads or workers. */
static void merge_metrics(struct hk_worker_slot *w, struct hk_instance *inst)
{
    const hookd_host_api *api = hk_host_api();
    const struct hk_wire_result *r = hk_remote_last(w->remote);
    for (uint32_t i = 0; i < r->nmetrics; i++) {
        char name[HK_METRIC_NAME_MAX];
        snprintf(name, sizeof name, "%.*s", (int)r->metrics[i].name.n, r->metrics[i].name.p);
        if (r->metrics[i].gauge) {
            api->gauge_set(&inst->ctx, name, r->metrics[i].value);
            continue;
        }
        unsigned k = 0;
        while (k < w->nseen && strcmp(w->seen[k].name, name) != 0)
            k++;
        if (k == w->nseen && k < HK_PLUGIN_METRICS_MAX) {
            snprintf(w->seen[k].name, sizeof w->seen[k].name, "%s", name);
            w->seen[w->nseen++].total = 0;
        }
        if (k < w->nseen && r->metrics[i].value > w->seen[k].total) {
            api->counter_add(&inst->ctx, name, (uint64_t)(r->metrics[i].value - w->seen[k].total));
            w->seen[k].total = r->metrics[i].value;
        }
    }
}

void hk_worker_call(struct hk_lane *l, struct hk_worker_slot *w, struct hk_instance *inst,
                    const struct hk_plugin_event *pe, int64_t timeout_ms, struct hk_delivery *d)
{
    char err[HK_ERRMSG_MAX];
    hookd_result r = HOOKD_RETRY;
    struct hk_remote *remote = worker_for(l, w, inst, err, sizeof err);
    if (!remote) {
        snprintf(d->error, sizeof d->error, "the worker of instance \"%s\" did not start: %.400s",
                 l->name, err);
        d->result = HOOKD_RETRY;
        return;
    }
    switch (hk_remote_call(remote, pe, timeout_ms, &r, d->error, sizeof d->error)) {
    case HK_REMOTE_ANSWERED:
        w->failures = 0;
        d->result = r;
        merge_metrics(w, inst);
        break;
    case HK_REMOTE_CRASHED:
        crashed(l, w, d);
        break;
    case HK_REMOTE_TIMED_OUT:
        killed(l, w, d, timeout_ms);
        break;
    }
}

void hk_worker_slot_end(struct hk_worker_slot *w)
{
    hk_remote_stop(w->remote, STOP_GRACE_MS);
    w->remote = NULL;
    w->of = NULL;
    w->nseen = 0; /* a new worker counts from zero */
}
