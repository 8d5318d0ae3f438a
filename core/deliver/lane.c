/* lane.c -- per-instance queues and worker threads. */
#include "deliver/lane.h"

#include "base/clock.h"
#include "base/link.h"
#include "base/log.h"
#include "deliver/worker_call.h"
#include "plugin/instance.h"
#include "store/store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct hk_lane *hk_lane_create(const char *name, struct hk_store *store,
                               struct hk_inflight *inflight)
{
    struct hk_lane *l = calloc(1, sizeof *l);
    if (!l)
        return NULL;
    l->name = strdup(name);
    if (!l->name || pthread_mutex_init(&l->mu, NULL) != 0) {
        free(l->name);
        free(l);
        return NULL;
    }
    if (pthread_cond_init(&l->cond, NULL) != 0) {
        pthread_mutex_destroy(&l->mu);
        free(l->name);
        free(l);
        return NULL;
    }
    l->store = store;
    l->inflight = inflight;
    return l;
}

/* Calls the plugin, in this thread or in the thread's worker process (isolation); the
 * result and its error text go into d. */
static void run(struct hk_lane *l, struct hk_worker_slot *w, struct hk_instance *inst,
                int64_t timeout_ms, struct hk_delivery *d)
{
    const struct hk_event_rec *e = d->ev;
    struct hk_plugin_event pe = {
        .ev = {.struct_size = sizeof(hookd_event),
               .attempt = d->attempt,
               .id = e->id,
               .type = e->type,
               .source = e->source,
               .created_ms = e->created_ms,
               .received_ms = e->received_ms,
               .deadline_ms = hk_mono_ms() + timeout_ms,
               .body = e->body,
               .body_len = e->body_len},
        .headers = e->headers,
        .nheaders = e->nheaders,
        .delivery = d->rowid,
        .headers_text = e->headers_text,
    };
    hookd_result r;
    if (inst->conf->isolated) {
        hk_worker_call(l, w, inst, &pe, timeout_ms, d);
        r = d->result;
    } else {
        r = hk_instance_handle(inst, &pe, d->error, sizeof d->error);
    }
    if (r != HOOKD_OK && r != HOOKD_RETRY && r != HOOKD_PERMANENT) {
        snprintf(d->error, sizeof d->error, "handle() returned %d, which is not a hookd_result",
                 (int)r);
        r = HOOKD_PERMANENT;
    }
    d->result = r;
    atomic_fetch_add(&l->handled[r], 1);
}

struct worker_arg {
    struct hk_lane *lane;
    unsigned index;
};

/* Takes the next delivery, or NULL when this worker should end. Called with mu held. */
static struct hk_delivery *take(struct hk_lane *l, unsigned index)
{
    while (!l->head && !l->stopping && index < l->want_threads)
        pthread_cond_wait(&l->cond, &l->mu);
    if (l->stopping || index >= l->want_threads || !l->head)
        return NULL;
    struct hk_delivery *d = l->head;
    l->head = d->next;
    if (!l->head)
        l->tail = NULL;
    l->depth--;
    l->running++;
    return d;
}

/* A delivery hookd ended in the middle of crash_limit times is not run again: the plugin
 * may crash on it. It becomes a dead letter that says so. */
static void contain(struct hk_lane *l, struct hk_delivery *d)
{
    d->result = HOOKD_PERMANENT;
    snprintf(d->error, sizeof d->error,
             "hookd ended %u time%s while instance \"%s\" handled this event: the plugin may "
             "crash on it; fix the plugin, then `hookd dlq replay`",
             d->interrupted, d->interrupted == 1 ? "" : "s", l->name);
    atomic_fetch_add(&l->contained, 1);
}

/* Runs d on this worker; inflight_slot records it as being handled (see inflight.h). Called
 * with mu held, which it lets go of during the call and holds again when it returns. */
static void handle_one(struct hk_lane *l, struct hk_lane_slot *slot, uint32_t inflight_slot,
                       struct hk_worker_slot *w, struct hk_delivery *d)
{
    struct hk_instance *inst = l->inst; /* read under mu: a reload may change them */
    int64_t timeout_ms = l->timeout_ms;
    bool poison = d->interrupted >= l->crash_limit;
    struct hk_gen *gen = hk_gen_acquire(l->gen);
    d->retry = l->retry;
    atomic_store(&slot->rowid, d->rowid);
    atomic_store(&slot->started_ms, hk_mono_ms());
    pthread_mutex_unlock(&l->mu);
    if (poison) {
        contain(l, d);
    } else {
        /* An isolated call cannot end hookd: only in-process ones are recorded. */
        bool record = !inst->conf->isolated;
        hk_inflight_set(l->inflight, inflight_slot, record ? d->rowid : 0);
        run(l, w, inst, timeout_ms, d);
        hk_inflight_set(l->inflight, inflight_slot, 0);
    }
    atomic_store(&slot->started_ms, 0);
    hk_gen_release(gen);
    hk_store_complete(l->store, d);
    pthread_mutex_lock(&l->mu);
}

static void *worker_cb(void *arg)
{
    struct worker_arg wa = *(struct worker_arg *)arg;
    struct hk_lane *l = wa.lane;
    struct hk_lane_slot *slot = &l->slots[wa.index];
    char name[16];
    free(arg);
    snprintf(name, sizeof name, "hk-%s", l->name); /* truncated to 15 bytes */
    pthread_setname_np(pthread_self(), name);
    uint32_t inflight_slot = hk_inflight_claim(l->inflight);
    struct hk_worker_slot w = {0}; /* this thread's worker process, if isolated */
    pthread_mutex_lock(&l->mu);
    struct hk_delivery *d;
    while ((d = take(l, wa.index))) {
        handle_one(l, slot, inflight_slot, &w, d);
        l->running--;
    }
    slot->exited = true;
    pthread_mutex_unlock(&l->mu);
    hk_worker_slot_end(&w);
    hk_inflight_release(l->inflight, inflight_slot);
    return NULL;
}

static void join_exited(struct hk_lane *l)
{
    for (unsigned i = 0; i < HK_LANE_THREADS_MAX; i++) {
        struct hk_lane_slot *s = &l->slots[i];
        pthread_mutex_lock(&l->mu);
        bool done = s->alive && s->exited;
        pthread_mutex_unlock(&l->mu);
        if (done) {
            pthread_join(s->thread, NULL);
            s->alive = s->exited = false;
        }
    }
}

static void start_workers(struct hk_lane *l)
{
    for (unsigned i = 0; i < l->want_threads; i++) {
        struct hk_lane_slot *s = &l->slots[i];
        if (s->alive)
            continue;
        struct worker_arg *wa = malloc(sizeof *wa);
        if (!wa) {
            hk_log(HK_LOG_ERROR, "out of memory: a worker thread was not started",
                   HK_S("instance", l->name), HK_I("running", i), HK_I("wanted", l->want_threads),
                   HK_S("fix", "the instance runs with fewer workers; free memory and reload"));
            break;
        }
        *wa = (struct worker_arg){l, i};
        s->exited = false;
        if (pthread_create(&s->thread, NULL, worker_cb, wa) != 0) {
            free(wa);
            hk_log(HK_LOG_ERROR, "cannot start a worker thread", HK_S("instance", l->name));
            break;
        }
        s->alive = true;
    }
}

struct hk_delivery *hk_lane_attach(struct hk_lane *l, struct hk_instance *inst, struct hk_gen *gen)
{
    struct hk_delivery *orphans = NULL;
    struct hk_gen *old;
    pthread_mutex_lock(&l->mu);
    old = l->gen;
    l->inst = inst;
    l->gen = inst ? hk_gen_acquire(gen) : NULL;
    l->want_threads = inst ? inst->concurrency : 0;
    if (inst) {
        l->capacity = inst->conf->queue_max;
        l->retry = inst->conf->retry;
        l->timeout_ms = inst->conf->timeout_ms;
        l->crash_limit = inst->conf->crash_limit;
    } else {
        orphans = l->head;
        l->head = l->tail = NULL;
        l->depth = 0;
    }
    pthread_cond_broadcast(&l->cond);
    pthread_mutex_unlock(&l->mu);
    if (old)
        hk_gen_release(old);
    join_exited(l);
    start_workers(l);
    return orphans;
}

bool hk_lane_push_planned(struct hk_lane *l, struct hk_delivery *d)
{
    pthread_mutex_lock(&l->mu);
    bool ok = l->inst && !l->stopping;
    if (ok) {
        d->lane = l;
        HK_FIFO_APPEND(l->head, l->tail, d);
        l->depth++;
        pthread_cond_signal(&l->cond);
    }
    pthread_mutex_unlock(&l->mu);
    return ok;
}

bool hk_lane_attached(struct hk_lane *l)
{
    pthread_mutex_lock(&l->mu);
    bool yes = l->inst != NULL;
    pthread_mutex_unlock(&l->mu);
    return yes;
}

uint32_t hk_lane_room(struct hk_lane *l)
{
    pthread_mutex_lock(&l->mu);
    uint32_t room = l->inst && !l->stopping && l->depth < l->capacity ? l->capacity - l->depth : 0;
    pthread_mutex_unlock(&l->mu);
    return room;
}

/* Waits for one worker until deadline (CLOCK_REALTIME, as pthread_timedjoin_np wants). */
static bool join_by(struct hk_lane_slot *s, const struct timespec *deadline)
{
    int rc = pthread_timedjoin_np(s->thread, NULL, deadline);
    if (rc == 0)
        return true;
    pthread_detach(s->thread); /* still inside handle(): left to the process exit */
    return false;
}

struct hk_delivery *hk_lane_stop(struct hk_lane *l, int64_t deadline_wall_ms, bool *abandoned)
{
    pthread_mutex_lock(&l->mu);
    l->stopping = true;
    struct hk_delivery *left = l->head;
    l->head = l->tail = NULL;
    l->depth = 0;
    pthread_cond_broadcast(&l->cond);
    pthread_mutex_unlock(&l->mu);
    struct timespec deadline = {.tv_sec = deadline_wall_ms / 1000,
                                .tv_nsec = (deadline_wall_ms % 1000) * 1000000};
    for (unsigned i = 0; i < HK_LANE_THREADS_MAX; i++) {
        if (l->slots[i].alive && !join_by(&l->slots[i], &deadline)) {
            *abandoned = true;
            hk_log(HK_LOG_WARN,
                   "a handler is still running after the shutdown timeout; hookd "
                   "exits without waiting for it (its delivery will be redone)",
                   HK_S("instance", l->name), HK_I("delivery", atomic_load(&l->slots[i].rowid)));
        }
        l->slots[i].alive = false;
    }
    return left;
}

void hk_lane_free(struct hk_lane *l)
{
    if (!l)
        return;
    if (l->gen)
        hk_gen_release(l->gen);
    pthread_mutex_destroy(&l->mu);
    pthread_cond_destroy(&l->cond);
    free(l->name);
    free(l);
}

void hk_lane_watchdog(struct hk_lane *l, int64_t now_ms)
{
    pthread_mutex_lock(&l->mu);
    int64_t timeout = l->timeout_ms;
    pthread_mutex_unlock(&l->mu);
    for (unsigned i = 0; i < HK_LANE_THREADS_MAX; i++) {
        struct hk_lane_slot *s = &l->slots[i];
        int64_t started = atomic_load(&s->started_ms);
        if (!started || s->warned_for == started || now_ms - started <= timeout)
            continue;
        s->warned_for = started;
        atomic_fetch_add(&l->overruns, 1);
        hk_log(HK_LOG_WARN,
               "handler overran its timeout_ms; its worker stays busy until it returns",
               HK_S("instance", l->name), HK_I("delivery", atomic_load(&s->rowid)),
               HK_I("running_ms", now_ms - started), HK_I("timeout_ms", timeout));
    }
}
