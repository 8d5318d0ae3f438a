/* dispatch.c -- lanes by instance name, following generations. */
#include "deliver/dispatch.h"

#include "base/clock.h"
#include "base/err.h"
#include "base/link.h"
#include "base/log.h"
#include "plugin/instance.h"
#include "store/store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int hk_dispatch_init(struct hk_dispatch *d, struct hk_store *store, struct hk_inflight *inflight)
{
    memset(d, 0, sizeof *d);
    d->store = store;
    d->inflight = inflight;
    return -pthread_mutex_init(&d->mu, NULL);
}

static struct hk_lane *find_locked(struct hk_dispatch *d, const char *name)
{
    for (size_t i = 0; i < d->n; i++)
        if (strcmp(d->lanes[i]->name, name) == 0)
            return d->lanes[i];
    return NULL;
}

struct hk_lane *hk_dispatch_find(struct hk_dispatch *d, const char *name)
{
    pthread_mutex_lock(&d->mu);
    struct hk_lane *l = find_locked(d, name);
    pthread_mutex_unlock(&d->mu);
    return l;
}

/* ---- the table the store uses (store/lanes.h) ---- */

static struct hk_lane *store_find(void *self, const char *name)
{
    struct hk_lane *l = hk_dispatch_find(self, name);
    return l && hk_lane_attached(l) ? l : NULL;
}

static void store_each(void *self, hk_store_lane_fn *fn, void *arg)
{
    struct hk_dispatch *d = self;
    pthread_mutex_lock(&d->mu);
    for (size_t i = 0; i < d->n; i++)
        if (hk_lane_attached(d->lanes[i]))
            fn(arg, d->lanes[i], d->lanes[i]->name);
    pthread_mutex_unlock(&d->mu);
}

void hk_dispatch_store_lanes(struct hk_dispatch *d, struct hk_store_lanes *out)
{
    *out = (struct hk_store_lanes){.self = d,
                                   .find = store_find,
                                   .each = store_each,
                                   .room = hk_lane_room,
                                   .push = hk_lane_push_planned};
}

static struct hk_lane *find_or_add(struct hk_dispatch *d, const char *name)
{
    pthread_mutex_lock(&d->mu);
    struct hk_lane *l = find_locked(d, name);
    if (!l && d->n == d->cap) {
        size_t cap = d->cap ? 2 * d->cap : 16;
        struct hk_lane **v = realloc(d->lanes, cap * sizeof *v);
        if (v) {
            d->lanes = v;
            d->cap = cap;
        }
    }
    if (!l && d->n < d->cap && (l = hk_lane_create(name, d->store, d->inflight)))
        d->lanes[d->n++] = l;
    pthread_mutex_unlock(&d->mu);
    return l;
}

/* Deliveries a detached lane had queued go back to the store as dead letters. */
static void dead_letter(struct hk_dispatch *d, struct hk_delivery *list, const char *name)
{
    while (list) {
        struct hk_delivery *next = list->next;
        list->result = HOOKD_PERMANENT;
        hk_delivery_removed_error(name, list->error, sizeof list->error);
        hk_store_complete(d->store, list);
        list = next;
    }
}

static bool in_gen(const struct hk_gen *gen, const char *name)
{
    for (size_t i = 0; i < gen->ninstances; i++)
        if (strcmp(gen->instances[i]->conf->name, name) == 0)
            return true;
    return false;
}

int hk_dispatch_reserve(struct hk_dispatch *d, const struct hk_gen *gen)
{
    for (size_t i = 0; i < gen->ninstances; i++)
        if (!find_or_add(d, gen->instances[i]->conf->name))
            return HK_ENOMEM;
    return 0;
}

/* The drain of a removed instance is over: what it still holds, in memory and in the store,
 * becomes dead letters that say why. */
static void end_drain(struct hk_dispatch *d, struct hk_lane *l)
{
    l->drain_asked = false;
    struct hk_task_queue *reaper = l->gen ? l->gen->reaper : NULL;
    pthread_mutex_lock(&l->mu);
    unsigned queued = l->depth, running = l->running;
    pthread_mutex_unlock(&l->mu);
    hk_log(HK_LOG_INFO, "removed instance drained", HK_S("instance", l->name),
           HK_I("dead_lettered_from_memory", queued), HK_I("still_running", running));
    l->drain_until_ms = 0;
    dead_letter(d, hk_lane_attach(l, NULL, NULL), l->name);
    hk_store_instance_removed(d->store, l->name, reaper);
}

static bool lane_idle(struct hk_lane *l)
{
    pthread_mutex_lock(&l->mu);
    bool idle = l->depth == 0 && l->running == 0;
    pthread_mutex_unlock(&l->mu);
    return idle;
}

/* The store's answer for a draining lane that was idle: nothing left anywhere ends the drain
 * early, so a removed instance (its plugin, its workers) does not linger with nothing to do. */
static void drain_answer_cb(struct hk_task *t)
{
    struct hk_store_pending_job *job = HK_CONTAINER_OF(t, struct hk_store_pending_job, task);
    struct hk_dispatch *d = job->arg;
    struct hk_lane *l = hk_dispatch_find(d, job->name);
    if (l) {
        l->drain_asked = false;
        if (l->drain_until_ms && job->count == 0 && lane_idle(l))
            end_drain(d, l);
    }
    free(job);
}

static void ask_store(struct hk_dispatch *d, struct hk_lane *l)
{
    size_t n = strlen(l->name) + 1;
    struct hk_store_pending_job *job = calloc(1, sizeof *job + n);
    if (!job || !l->gen) {
        free(job); /* the drain then ends at its deadline */
        return;
    }
    memcpy(job->name, l->name, n);
    job->arg = d;
    job->task.run = drain_answer_cb;
    l->drain_asked = true;
    hk_store_count_pending(d->store, job, l->gen->reaper);
}

size_t hk_dispatch_end_drains(struct hk_dispatch *d, int64_t now_ms)
{
    size_t draining = 0;
    pthread_mutex_lock(&d->mu);
    size_t n = d->n;
    pthread_mutex_unlock(&d->mu);
    for (size_t i = 0; i < n; i++) {
        struct hk_lane *l = d->lanes[i]; /* lanes are only appended, by this thread */
        if (l->drain_until_ms && now_ms >= l->drain_until_ms)
            end_drain(d, l);
        else if (l->drain_until_ms && !l->drain_asked && lane_idle(l))
            ask_store(d, l);
        draining += l->drain_until_ms != 0;
    }
    return draining;
}

int hk_dispatch_apply(struct hk_dispatch *d, struct hk_gen *gen)
{
    int rc = hk_dispatch_reserve(d, gen);
    if (rc)
        return rc;
    for (size_t i = 0; i < gen->ninstances; i++) {
        struct hk_instance *inst = gen->instances[i];
        struct hk_lane *l = hk_dispatch_find(d, inst->conf->name);
        l->drain_until_ms = 0; /* back in the configuration: no longer draining */
        hk_lane_attach(l, inst, gen);
    }
    pthread_mutex_lock(&d->mu);
    size_t n = d->n;
    pthread_mutex_unlock(&d->mu);
    int64_t drain_ms = gen->conf ? gen->conf->reload_drain_timeout_ms : 0;
    for (size_t i = 0; i < n; i++) {
        struct hk_lane *l = d->lanes[i]; /* lanes are only appended, by this thread */
        if (!l->inst || l->drain_until_ms || in_gen(gen, l->name))
            continue;
        pthread_mutex_lock(&l->mu);
        unsigned queued = l->depth;
        pthread_mutex_unlock(&l->mu);
        hk_log(HK_LOG_INFO, "instance removed: it finishes what it holds first",
               HK_S("instance", l->name), HK_I("queued", queued),
               HK_I("drain_timeout_ms", drain_ms));
        l->drain_until_ms = hk_mono_ms() + drain_ms;
        if (drain_ms <= 0)
            end_drain(d, l);
    }
    return 0;
}

void hk_dispatch_watchdog(struct hk_dispatch *d)
{
    int64_t now = hk_mono_ms();
    hk_dispatch_end_drains(d, now);
    pthread_mutex_lock(&d->mu);
    for (size_t i = 0; i < d->n; i++)
        hk_lane_watchdog(d->lanes[i], now);
    pthread_mutex_unlock(&d->mu);
}

void hk_dispatch_stop(struct hk_dispatch *d, int64_t timeout_ms)
{
    int64_t deadline = hk_wall_ms() + timeout_ms;
    for (size_t i = 0; i < d->n; i++) {
        struct hk_delivery *left = hk_lane_stop(d->lanes[i], deadline, &d->abandoned);
        while (left) {
            struct hk_delivery *next = left->next;
            hk_delivery_free(left);
            left = next;
        }
    }
}

void hk_dispatch_free(struct hk_dispatch *d)
{
    if (d->abandoned)
        return; /* a worker may still touch its lane: the process is exiting anyway */
    for (size_t i = 0; i < d->n; i++)
        hk_lane_free(d->lanes[i]);
    free(d->lanes);
    pthread_mutex_destroy(&d->mu);
}
