/* lane.h -- dispatch: one lane per plugin instance name, with its own bounded queue and its
 * own worker threads, so a slow or stuck plugin only ever fills its own lane.
 *
 * Lanes outlive generations: a reload points a lane at the instance of the same name in the
 * new generation, so queued and pending deliveries follow the name. A worker takes a
 * reference on the generation of the instance it calls, so a reload never finalises an
 * instance while one of its handle() calls runs. Lanes are not libuv's thread pool: a
 * plugin that blocks holds its own threads only. */
#ifndef HK_LANE_H
#define HK_LANE_H

#include "conf/conf.h"
#include "deliver/gen.h"
#include "event/event.h"
#include "deliver/inflight.h"
#include "store/delivery.h"

#include <hookd/plugin.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#define HK_LANE_THREADS_MAX 256

struct hk_lane;
struct hk_store;

struct hk_lane_slot {
    pthread_t thread;
    bool alive;                 /* thread started and not joined yet */
    bool exited;                /* the thread has returned (joinable) */
    _Atomic int64_t started_ms; /* CLOCK_MONOTONIC ms of the handle() call running, or 0 */
    _Atomic int64_t rowid;      /* the delivery it runs */
    int64_t warned_for;         /* started_ms of the call already reported (watchdog only) */
};

struct hk_lane {
    char *name;             /* owned; the instance name */
    struct hk_store *store; /* where outcomes go */
    pthread_mutex_t mu;
    pthread_cond_t cond;
    struct hk_delivery *head, *tail; /* queued, FIFO */
    uint32_t depth;
    uint32_t running;
    uint32_t capacity;          /* the instance's queue_max */
    uint32_t want_threads;      /* the instance's concurrency; 0 when removed */
    struct hk_instance *inst;   /* current instance, NULL once removed from the config */
    struct hk_gen *gen;         /* one reference, keeping inst alive */
    struct hk_retry_conf retry; /* the current instance's: stamped on each outcome */
    int64_t timeout_ms;
    uint32_t crash_limit;         /* the current instance's */
    struct hk_inflight *inflight; /* where workers record what they handle; may be NULL */
    bool stopping;
    /* A reload removed the instance: until this monotonic ms the lane keeps the old one and
     * finishes what it holds (queued, and retries the store hands it); 0 otherwise. Control
     * thread. */
    int64_t drain_until_ms;
    bool drain_asked; /* the store was asked whether it still holds some of the lane's */
    struct hk_lane_slot slots[HK_LANE_THREADS_MAX];
    _Atomic uint64_t handled[3]; /* outcomes by hookd_result */
    _Atomic uint64_t overruns;
    _Atomic uint64_t contained; /* deliveries dead-lettered after crash_limit, never run */
    _Atomic uint64_t worker_starts, worker_crashes, worker_kills; /* isolation: process */
};

/* Makes an empty lane with no instance, whose workers record what they handle in inflight
 * (borrowed; may be NULL). NULL when out of memory. */
struct hk_lane *hk_lane_create(const char *name, struct hk_store *store,
                               struct hk_inflight *inflight);
/* Points the lane at inst (taking a reference on gen), or detaches it when inst is NULL;
 * starts or retires workers to match the instance's concurrency. Control thread. Returns the
 * deliveries that were queued when the lane was detached (the caller dead-letters them). */
struct hk_delivery *hk_lane_attach(struct hk_lane *l, struct hk_instance *inst, struct hk_gen *gen);
/* Queues d, whose room the store counted (see store/lanes.h): the capacity is not checked
 * again, only that the lane is still attached. Any thread. */
bool hk_lane_push_planned(struct hk_lane *l, struct hk_delivery *d);
/* True while the lane has an instance (not removed by a reload). Any thread. */
bool hk_lane_attached(struct hk_lane *l);
/* How many more deliveries fit now. Any thread. */
uint32_t hk_lane_room(struct hk_lane *l);
/* Stops the workers after the calls in progress return and joins them, waiting until
 * deadline_wall_ms at most: a worker still inside handle() then is left running and
 * *abandoned is set (the lane must not be freed). Returns what was still queued (the store
 * has those as running and resumes them at the next start). */
struct hk_delivery *hk_lane_stop(struct hk_lane *l, int64_t deadline_wall_ms, bool *abandoned);
/* Frees a stopped lane. */
void hk_lane_free(struct hk_lane *l);
/* Logs and counts handle() calls running longer than the instance's timeout_ms (a thread
 * cannot be killed: the slot stays busy until the call returns). Any thread. */
void hk_lane_watchdog(struct hk_lane *l, int64_t now_ms);

#endif
