/* dispatch.h -- the set of lanes, one per instance name, following the current generation. */
#ifndef HK_DISPATCH_H
#define HK_DISPATCH_H

#include "deliver/gen.h"
#include "deliver/lane.h"
#include "store/lanes.h"

#include <pthread.h>

struct hk_dispatch {
    pthread_mutex_t mu; /* guards the array; lanes themselves are never freed before stop */
    struct hk_lane **lanes;
    size_t n, cap;
    struct hk_store *store;
    struct hk_inflight *inflight; /* borrowed, may be NULL: see inflight.h */
    bool abandoned; /* a worker outlived the shutdown timeout: lanes are never freed */
};

/* Lanes will hand outcomes to store and record their handle() calls in inflight (both
 * borrowed; inflight may be NULL). 0 or an error. */
int hk_dispatch_init(struct hk_dispatch *d, struct hk_store *store, struct hk_inflight *inflight);
/* The lane of instance name, or NULL. Any thread. */
struct hk_lane *hk_dispatch_find(struct hk_dispatch *d, const char *name);
/* Gives every instance of gen a lane, before anything is swapped (control thread), so that a
 * reload without the memory for them fails whole instead of half applied. A lane made here
 * stays idle until an apply attaches it. 0 or HK_ENOMEM. */
int hk_dispatch_reserve(struct hk_dispatch *d, const struct hk_gen *gen);
/* Makes every lane follow gen (control thread): a lane per instance of gen, attached to it.
 * A lane whose instance is gone keeps the old instance and drains: it finishes what it
 * holds (queued, and the retries the store hands it) for up to gen's
 * reload.drain_timeout_ms; then hk_dispatch_end_drains detaches it and what is left becomes
 * dead letters with the reason. 0, or HK_ENOMEM (never after a successful reserve of gen). */
int hk_dispatch_apply(struct hk_dispatch *d, struct hk_gen *gen);
/* Ends the drains whose time is up at now_ms (monotonic); returns how many lanes still
 * drain. Control thread (the watchdog calls it). */
size_t hk_dispatch_end_drains(struct hk_dispatch *d, int64_t now_ms);
/* The table through which the store finds lanes, their room, and pushes deliveries to
 * them (store/lanes.h): valid while d is. */
void hk_dispatch_store_lanes(struct hk_dispatch *d, struct hk_store_lanes *out);
/* Reports handler overruns (control thread, from a timer). */
void hk_dispatch_watchdog(struct hk_dispatch *d);
/* Stops and joins every worker, waiting timeout_ms at most for handle() calls in progress;
 * deliveries still queued are dropped from memory (the store has them as running and
 * resumes them at the next start). */
void hk_dispatch_stop(struct hk_dispatch *d, int64_t timeout_ms);
void hk_dispatch_free(struct hk_dispatch *d);

#endif
