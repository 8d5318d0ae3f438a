/* worker_call.h -- a lane thread's deliveries for an instance with "isolation": "process":
 * each lane thread has a worker process of its own (plugin/remote.h), started when its first
 * delivery comes, started again after a crash (with backoff) or when a reload changed the
 * instance, and ended with the thread. A worker that dies inside handle() costs the delivery
 * one interrupted attempt (after crash_limit: a dead letter); one past timeout_ms is killed
 * and the delivery retried. hookd itself never notices. */
#ifndef HK_WORKER_CALL_H
#define HK_WORKER_CALL_H

#include "deliver/lane.h"
#include "plugin/instance.h"
#include "plugin/remote.h"

struct hk_worker_slot {
    struct hk_remote *remote;     /* this thread's worker, or NULL */
    const struct hk_instance *of; /* the instance it was started for */
    unsigned failures;            /* starts and calls that failed in a row: the backoff */
    /* The worker's counter totals as last reported, so that only what it added since goes
     * into hookd's counters; forgotten when the worker ends. */
    struct {
        char name[HK_METRIC_NAME_MAX];
        int64_t total;
    } seen[HK_PLUGIN_METRICS_MAX];
    unsigned nseen;
};

/* Runs pe (the event of d) in the slot's worker of inst; d gets the outcome: result, error,
 * and, after a crash, crashed and one more interrupted. The lane thread only, without the
 * lane's lock. */
void hk_worker_call(struct hk_lane *l, struct hk_worker_slot *w, struct hk_instance *inst,
                    const struct hk_plugin_event *pe, int64_t timeout_ms, struct hk_delivery *d);
/* Ends the slot's worker (its fini() runs). */
void hk_worker_slot_end(struct hk_worker_slot *w);

#endif
