/* writer.c -- the SQLite store's writer thread: queues, batches, commit, answers. */
#include "store/sqlite/internal.h"

#include "base/clock.h"
#include "base/err.h"
#include "base/link.h"
#include "base/log.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define FAILED_BACKOFF_MS 200 /* pause after a failed commit before trying again */
/* Full lanes with deliveries waiting are looked at again this soon even without an outcome
 * (which wakes the writer at once) */
#define BACKLOG_LOOK_AGAIN_MS 100
#define RECENT_EVENTS         131072 /* committed events whose duplicates are answered at once */
#define WAIT_MAX_MS           60000  /* the writer looks at its clocks at least this often */

static const double commit_bounds_ms[HK_STORE_HIST_BUCKETS - 1] = {0.1, 0.25, 0.5, 1, 2.5, 5, 10};

static void sqlite_close(struct hk_store *store);
static const struct hk_store_ops sqlite_ops;

/* Creates the directories above path (0750), like mkdir -p; errors show up at open. */
static void make_parents(const char *path)
{
    char dir[4096];
    snprintf(dir, sizeof dir, "%s", path);
    for (char *p = dir + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = 0;
        mkdir(dir, 0750);
        *p = '/';
    }
}

/* SQLite keeps memory statistics by default, behind one global mutex taken on every
 * allocation; hookd never reads them (bench/cost.sh measured them at ~4.4k instructions a
 * stored event). Must be set before SQLite initialises, i.e. before the first open. */
static void configure_sqlite(void)
{
    sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
}

static int open_db(struct hk_sqlite *s, char *err, size_t cap)
{
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    pthread_once(&once, configure_sqlite);
    if (s->conf.durability != HK_DURABLE_OFF)
        make_parents(s->conf.path);
    const char *path = s->conf.durability == HK_DURABLE_OFF ? ":memory:" : s->conf.path;
    int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX;
    int rc = sqlite3_open_v2(path, &s->db, flags, NULL);
    if (rc != SQLITE_OK) {
        snprintf(err, cap,
                 "store %s: cannot open: %s: check that its directory exists and is "
                 "writable by hookd",
                 s->conf.path, s->db ? sqlite3_errmsg(s->db) : sqlite3_errstr(rc));
        return HK_ESTORE;
    }
    sqlite3_extended_result_codes(s->db, 1);
    return 0;
}

/* With durability fsync, the directory entries of the database and its WAL are made durable
 * once: SQLite syncs a WAL's directory only when it creates the WAL, and a database file's
 * never, and a new store's events would otherwise depend on them. */
static int sync_dir(const char *path, char *err, size_t cap)
{
    char dir[4096];
    snprintf(dir, sizeof dir, "%s", path);
    int fd = open(dirname(dir), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    int rc = fd < 0 || fsync(fd) != 0 ? -errno : 0;
    if (fd >= 0)
        close(fd);
    if (rc)
        snprintf(err, cap, "store %s: cannot sync its directory: %s: check the disk", path,
                 strerror(-rc));
    return rc;
}

int hk_sqlite_open(const struct hk_store_conf *c, struct hk_store **out, char *err, size_t cap)
{
    char why[512] = "";
    struct hk_sqlite *s = calloc(1, sizeof *s);
    if (!s)
        return HK_ENOMEM;
    s->base.ops = &sqlite_ops;
    s->conf = *c;
    s->conf.path = strdup(c->path);
    s->next_due_ms = 0; /* look for due retries at once: a restart may have some */
    s->rng = (uint64_t)time(NULL) ^ (uint64_t)(uintptr_t)s;
    pthread_mutex_init(&s->mu, NULL);
    s->recent = hk_recent_new(RECENT_EVENTS);
    int rc = s->conf.path && s->recent && hk_cond_init_mono(&s->cond) == 0 ? open_db(s, err, cap)
                                                                           : HK_ENOMEM;
    if (rc == 0 && (rc = hk_sqlite_schema(s->db, c->durability, why, sizeof why)) != 0)
        snprintf(err, cap, "store %s: %s", c->path, why);
    if (rc == 0 && (rc = hk_sqlite_prepare(s, why, sizeof why)) != 0)
        snprintf(err, cap, "store %s: %s", c->path, why);
    if (rc == 0 && c->durability == HK_DURABLE_FSYNC)
        rc = sync_dir(c->path, err, cap);
    if (rc) {
        sqlite_close(&s->base);
        return rc;
    }
    *out = &s->base;
    return 0;
}

void hk_sqlite_plan_push(struct hk_sqlite *s, struct hk_delivery *d, struct hk_store_lane *at,
                         struct hk_lane *lane)
{
    d->at = at;
    d->instance = at->name;
    d->lane = lane;
    at->planned++;
    d->next = s->push;
    s->push = d;
}

/* ---- queues (any thread) ---- */

static int sqlite_submit(struct hk_store *store, struct hk_ingest *op)
{
    struct hk_sqlite *s = (struct hk_sqlite *)store;
    if (atomic_load(&s->failed))
        return HK_ESTORE;
    pthread_mutex_lock(&s->mu);
    if (s->in_count >= s->conf.queue_max || s->stop) {
        pthread_mutex_unlock(&s->mu);
        atomic_fetch_add(&s->stats.rejected, 1);
        return HK_EFULL;
    }
    HK_FIFO_APPEND(s->in_head, s->in_tail, op);
    s->in_count++;
    if (s->writer_waiting) /* a busy writer looks at the queue again after its batch */
        pthread_cond_signal(&s->cond);
    pthread_mutex_unlock(&s->mu);
    return 0;
}

static void sqlite_complete(struct hk_store *store, struct hk_delivery *d)
{
    struct hk_sqlite *s = (struct hk_sqlite *)store;
    pthread_mutex_lock(&s->mu);
    HK_FIFO_APPEND(s->out_head, s->out_tail, d);
    if (s->writer_waiting)
        pthread_cond_signal(&s->cond);
    pthread_mutex_unlock(&s->mu);
}

void hk_sqlite_run_job(struct hk_sqlite *s, struct hk_sqlite_job *job)
{
    pthread_mutex_lock(&s->mu);
    HK_FIFO_APPEND(s->job_head, s->job_tail, job);
    pthread_cond_signal(&s->cond);
    pthread_mutex_unlock(&s->mu);
}

static bool sqlite_ready(const struct hk_store *store)
{
    const struct hk_sqlite *s = (const struct hk_sqlite *)store;
    return !atomic_load(&s->failed) && !atomic_load(&s->unhealthy);
}

/* ---- the writer thread ---- */

static int64_t wait_ms(const struct hk_sqlite *s, int64_t now)
{
    int64_t until = s->next_due_ms < s->next_prune_ms ? s->next_due_ms : s->next_prune_ms;
    if (s->backlog && !s->backlog_stuck)
        return 0;
    if (s->backlog && until > now + BACKLOG_LOOK_AGAIN_MS)
        until = now + BACKLOG_LOOK_AGAIN_MS;
    return until <= now ? 0 : until - now;
}

static bool queues_empty(const struct hk_sqlite *s)
{
    return !s->in_head && !s->out_head && !s->job_head;
}

/* Takes the next batch: up to batch_max requests, every outcome and job. Returns false
 * when the store is stopping and nothing is left. */
static bool take(struct hk_sqlite *s, struct batch *b, int64_t delay_ms)
{
    pthread_mutex_lock(&s->mu);
    int64_t ms = delay_ms ? delay_ms : wait_ms(s, hk_wall_ms());
    if (queues_empty(s) && !s->stop && ms > 0) {
        struct timespec ts = hk_mono_deadline(ms > WAIT_MAX_MS ? WAIT_MAX_MS : ms);
        s->writer_waiting = true;
        pthread_cond_timedwait(&s->cond, &s->mu, &ts);
        s->writer_waiting = false;
    }
    b->ingests = s->in_head;
    struct hk_ingest **tail = &s->in_head;
    for (b->ningests = 0; *tail && b->ningests < s->conf.batch_max; b->ningests++)
        tail = &(*tail)->next;
    s->in_head = *tail;
    *tail = NULL;
    if (!s->in_head)
        s->in_tail = NULL;
    s->in_count -= b->ningests;
    b->outcomes = s->out_head;
    s->out_head = s->out_tail = NULL;
    b->jobs = s->job_head;
    s->job_head = s->job_tail = NULL;
    bool go_on = !s->stop || b->ingests || b->outcomes || b->jobs;
    pthread_mutex_unlock(&s->mu);
    return go_on;
}

static int exec(struct hk_sqlite *s, const char *sql)
{
    int rc = sqlite3_exec(s->db, sql, NULL, NULL, NULL);
    return rc == SQLITE_OK ? SQLITE_OK : sqlite3_extended_errcode(s->db);
}

static int write_batch(struct hk_sqlite *s, struct batch *b, int64_t now)
{
    int rc = exec(s, "BEGIN IMMEDIATE");
    if (rc == SQLITE_OK)
        rc = hk_sqlite_ingest_batch(s, b->ingests, now);
    if (rc == SQLITE_OK)
        rc = hk_sqlite_outcomes(s, b->outcomes, now);
    for (struct hk_sqlite_job *j = b->jobs; j && rc == SQLITE_OK; j = j->next)
        j->fn(j, s->db, s);
    if (rc == SQLITE_OK)
        rc = hk_sqlite_scan(s, now);
    if (rc == SQLITE_OK)
        rc = exec(s, "COMMIT");
    return rc;
}

static void record_commit(struct hk_sqlite *s, size_t n, int64_t us)
{
    size_t bucket = 0, size = n;
    while (size > 1 && bucket < HK_STORE_HIST_BUCKETS - 1) {
        size >>= 1;
        bucket++;
    }
    atomic_fetch_add(&s->stats.batch_hist[bucket], 1);
    for (bucket = 0; bucket < HK_STORE_HIST_BUCKETS - 1 && us / 1000.0 >= commit_bounds_ms[bucket];)
        bucket++;
    atomic_fetch_add(&s->stats.commit_hist[bucket], 1);
    atomic_fetch_add(&s->stats.batches, 1);
    atomic_fetch_add(&s->stats.commit_us_total, (uint64_t)us);
    if ((uint64_t)us > atomic_load(&s->stats.commit_us_max))
        atomic_store(&s->stats.commit_us_max, (uint64_t)us);
    if (n > atomic_load(&s->stats.batch_max_seen))
        atomic_store(&s->stats.batch_max_seen, n);
}

/* Hands the batch's deliveries to their lanes (room was planned when they were written). */
static void push_deliveries(struct hk_sqlite *s, struct hk_delivery *d)
{
    for (struct hk_delivery *next; d; d = next) {
        next = d->next;
        struct hk_store_lane *at = d->at;
        if (!s->lanes.push(d->lane, d)) { /* its instance was removed by a reload meanwhile */
            d->result = HOOKD_PERMANENT;
            hk_delivery_removed_error(d->instance, d->error, sizeof d->error);
            sqlite_complete(&s->base, d);
        }
        at->planned--;
    }
}

/* Answers go back to the loops that asked, one list (and one wake-up) per loop. */
static void answer(struct hk_sqlite *s, struct batch *b)
{
    struct hk_ingest *op = b->ingests, *next;
    while (op) {
        struct hk_task_queue *q = op->reply_to;
        struct hk_task *head = NULL, **tail = &head;
        struct hk_ingest *rest = NULL, **rtail = &rest;
        for (; op; op = next) {
            next = op->next;
            if (op->reply_to != q) { /* another loop's: keep for a later round */
                *rtail = op;
                rtail = &op->next;
                continue;
            }
            if (op->result == 0)
                atomic_fetch_add(&s->stats.ingested, 1);
            else if (op->result == HK_EEXIST)
                atomic_fetch_add(&s->stats.duplicates, 1);
            *tail = &op->task;
            tail = &op->task.next;
        }
        *rtail = NULL;
        *tail = NULL;
        hk_task_post_list(q, head);
        op = rest;
    }
    struct hk_sqlite_job *j = b->jobs, *jn;
    for (; j; j = jn) {
        jn = j->next;
        hk_task_post(j->reply_to, &j->task);
    }
}

void hk_sqlite_finish_batch(struct hk_sqlite *s, struct batch *b)
{
    record_commit(s, b->ningests, hk_mono_us() - b->started_us);
    if (b->forget_recent)
        hk_recent_clear(s->recent);
    for (struct hk_ingest *op = b->ingests; op; op = op->next)
        /* A new event, or a resend found in the store, with the original's receive time: a
         * resend's own would extend the original's window. */
        if (op->result == 0 && op->ev->status != HK_EVENT_INVALID)
            hk_recent_add(s->recent, &op->key, op->ev->received_ms);
        else if (op->result == HK_EEXIST && op->original_received_ms > 0)
            hk_recent_add(s->recent, &op->key, op->original_received_ms);
    push_deliveries(s, b->push);
    for (struct hk_delivery *o = b->outcomes, *next; o; o = next) {
        next = o->next;
        hk_delivery_free(o);
        atomic_fetch_add(&s->stats.completions, 1);
    }
    answer(s, b);
}

void hk_sqlite_refuse_batch(struct hk_sqlite *s, struct batch *b, int code)
{
    for (struct hk_ingest *op = b->ingests; op; op = op->next)
        op->result = code;
    for (struct hk_delivery *d = b->push, *next; d; d = next) {
        next = d->next;
        d->at->planned--;
        hk_delivery_free(d); /* the store still has it and loads it again */
    }
    for (struct hk_delivery *d = b->outcomes, *next; d; d = next) {
        next = d->next;
        sqlite_complete(&s->base, d); /* tried again with a later batch */
    }
    for (struct hk_sqlite_job *j = b->jobs; j; j = j->next)
        j->failed = true;
    answer(s, b);
}

static const char *describe_failure(int rc)
{
    if ((rc & 0xff) == SQLITE_FULL)
        return "the disk is full: events are refused with 503 until there is space";
    return "the commit failed: events are refused with 503 while it does";
}

/* A failed batch: nothing of it happened. */
static void after_failure(struct hk_sqlite *s, struct batch *b, int rc)
{
    exec(s, "ROLLBACK");
    int code = (rc & 0xff) == SQLITE_FULL ? HK_ENOSPC : HK_ESTORE;
    bool fsync_failed = rc == SQLITE_IOERR_FSYNC || rc == SQLITE_IOERR_DIR_FSYNC;
    bool was_unhealthy = atomic_exchange(&s->unhealthy, true);
    if (fsync_failed && !atomic_exchange(&s->failed, true))
        hk_log(HK_LOG_ERROR,
               "fsync of the store's WAL failed: hookd no longer acknowledges events; check "
               "the disk and restart hookd",
               HK_S("path", s->conf.path), HK_S("error", sqlite3_errstr(rc)));
    else if (!was_unhealthy)
        hk_log(HK_LOG_ERROR, "store write failed", HK_S("path", s->conf.path),
               HK_S("error", sqlite3_errstr(rc)), HK_S("effect", describe_failure(rc)));
    s->next_due_ms = 0;
    s->backlog = true;
    hk_sqlite_refuse_batch(s, b, code);
}

static void *writer_cb(void *arg)
{
    struct hk_sqlite *s = arg;
    struct batch b;
    int64_t delay = 0;
    pthread_setname_np(pthread_self(), "hookd-store"); /* for top -H, perf, gdb */
    while (take(s, &b, delay)) {
        int64_t now = hk_wall_ms();
        b.started_us = hk_mono_us();
        int rc = atomic_load(&s->failed) ? SQLITE_IOERR_FSYNC : write_batch(s, &b, now);
        b.push = s->push;
        s->push = NULL;
        b.forget_recent = s->forget_recent;
        s->forget_recent = false;
        delay = 0;
        if (rc != SQLITE_OK) {
            after_failure(s, &b, rc);
            delay = FAILED_BACKOFF_MS;
        } else {
            if (atomic_exchange(&s->unhealthy, false))
                hk_log(HK_LOG_INFO, "store writes again", HK_S("path", s->conf.path));
            hk_sqlite_finish_batch(s, &b);
        }
        if (now >= s->next_prune_ms)
            hk_sqlite_prune(s, now);
    }
    return NULL;
}

struct hk_store_lane *hk_sqlite_lane_get(struct hk_sqlite *s, const char *name)
{
    for (size_t i = 0; i < s->nat; i++)
        if (strcmp(s->at[i]->name, name) == 0)
            return s->at[i];
    if (s->nat == s->capat) {
        size_t cap = s->capat ? 2 * s->capat : 16;
        struct hk_store_lane **v = realloc(s->at, cap * sizeof *v);
        if (!v)
            return NULL;
        s->at = v;
        s->capat = cap;
    }
    struct hk_store_lane *at = calloc(1, sizeof *at);
    if (at && !(at->name = strdup(name))) {
        free(at);
        at = NULL;
    }
    if (at)
        s->at[s->nat++] = at;
    return at;
}

static void mark_backlog_cb(void *arg, struct hk_lane *lane, const char *name)
{
    (void)lane;
    struct hk_store_lane *at = hk_sqlite_lane_get(arg, name);
    if (at)
        at->backlog = true;
    else
        hk_log(HK_LOG_ERROR, "out of memory: deliveries waiting in the store are not looked for",
               HK_S("instance", name), HK_S("fix", "restart hookd with more memory"));
}

void hk_sqlite_backlog_all(struct hk_sqlite *s)
{
    s->lanes.each(s->lanes.self, mark_backlog_cb, s);
    s->backlog = true;
}

static int sqlite_start(struct hk_store *store, const struct hk_store_lanes *lanes)
{
    struct hk_sqlite *s = (struct hk_sqlite *)store;
    s->lanes = *lanes;
    hk_sqlite_backlog_all(s); /* a restart may have left ready deliveries */
    int rc = hk_sqlite_reader_start(s);
    if (rc)
        return rc;
    if ((rc = pthread_create(&s->thread, NULL, writer_cb, s)) != 0) {
        hk_sqlite_reader_stop(s);
        return -rc;
    }
    s->started = true;
    return 0;
}

static void sqlite_stop(struct hk_store *store)
{
    struct hk_sqlite *s = (struct hk_sqlite *)store;
    if (!s->started)
        return;
    pthread_mutex_lock(&s->mu);
    s->stop = true;
    pthread_cond_signal(&s->cond);
    pthread_mutex_unlock(&s->mu);
    pthread_join(s->thread, NULL);
    hk_sqlite_reader_stop(s); /* reads queued before the stop are still answered */
    s->started = false;
}

static void sqlite_close(struct hk_store *store)
{
    struct hk_sqlite *s = (struct hk_sqlite *)store;
    if (!s)
        return;
    sqlite_stop(&s->base);
    for (int i = 0; i < ST_COUNT; i++)
        sqlite3_finalize(s->st[i]);
    sqlite3_close(s->db);
    pthread_mutex_destroy(&s->mu);
    pthread_cond_destroy(&s->cond);
    free(s->conf.path);
    hk_recent_free(s->recent);
    for (size_t i = 0; i < s->nat; i++) {
        free(s->at[i]->name);
        free(s->at[i]);
    }
    free(s->at);
    free(s);
}

static bool sqlite_seen(const struct hk_store *store, const struct hk_recent_key *key,
                        int64_t now_ms)
{
    const struct hk_sqlite *s = (const struct hk_sqlite *)store;
    return hk_recent_has(s->recent, key, now_ms - s->conf.dedup_window_ms);
}

void hk_sqlite_forget_recent(struct hk_sqlite *s)
{
    s->forget_recent = true; /* cleared with the batch, by whoever finishes it */
}

static void sqlite_get_stats(const struct hk_store *store, struct hk_store_stats *o)
{
    const struct hk_sqlite *s = (const struct hk_sqlite *)store;
    struct hk_sqlite *m = (struct hk_sqlite *)s; /* atomics are read, not changed */
    memset(o, 0, sizeof *o);
    o->batches = atomic_load(&m->stats.batches);
    o->ingested = atomic_load(&m->stats.ingested);
    o->duplicates = atomic_load(&m->stats.duplicates);
    o->rejected = atomic_load(&m->stats.rejected);
    o->completions = atomic_load(&m->stats.completions);
    o->commit_us_total = atomic_load(&m->stats.commit_us_total);
    o->commit_us_max = atomic_load(&m->stats.commit_us_max);
    o->batch_max_seen = atomic_load(&m->stats.batch_max_seen);
    for (int i = 0; i < HK_STORE_HIST_BUCKETS; i++) {
        o->batch_hist[i] = atomic_load(&m->stats.batch_hist[i]);
        o->commit_hist[i] = atomic_load(&m->stats.commit_hist[i]);
    }
    pthread_mutex_lock(&m->mu);
    o->queue_depth = m->in_count;
    pthread_mutex_unlock(&m->mu);
}

static const struct hk_store_ops sqlite_ops = {
    .name = "sqlite",
    .recover = hk_sqlite_recover,
    .start = sqlite_start,
    .submit = sqlite_submit,
    .seen = sqlite_seen,
    .complete = sqlite_complete,
    .instance_removed = hk_sqlite_instance_removed,
    .query = hk_sqlite_query,
    .count_pending = hk_sqlite_count_pending,
    .get_stats = sqlite_get_stats,
    .ready = sqlite_ready,
    .stop = sqlite_stop,
    .close = sqlite_close,
};
