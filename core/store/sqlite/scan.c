/* scan.c -- moving deliveries that wait in the store into lanes: retries that are due,
 * and deliveries that did not fit in their lane's queue ('ready'). Each one moved is marked
 * 'running' (attempts + 1) in the same transaction. */
#include "store/sqlite/internal.h"

#include "base/clock.h"
#include "base/err.h"
#include "base/link.h"
#include "base/log.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DUE_BATCH     256
#define RETRY_SOON_MS 100 /* a due retry whose lane is full is looked at again this soon */

/* Columns of ST_LOAD_DUE and ST_LOAD_READY. */
enum {
    C_DELIVERY,
    C_INSTANCE,
    C_ATTEMPTS,
    C_EVENT,
    C_SOURCE,
    C_ID,
    C_TYPE,
    C_CREATED,
    C_RECEIVED,
    C_BODY,
    C_HEADERS,
    C_INTERRUPTED
};

static const char *col_text(sqlite3_stmt *st, int c)
{
    return (const char *)sqlite3_column_text(st, c);
}

static struct hk_delivery *row_to_delivery(sqlite3_stmt *st)
{
    struct hk_event_rec *ev =
        hk_event_load(sqlite3_column_int64(st, C_EVENT), col_text(st, C_SOURCE), col_text(st, C_ID),
                      col_text(st, C_TYPE), sqlite3_column_int64(st, C_CREATED),
                      sqlite3_column_int64(st, C_RECEIVED), sqlite3_column_blob(st, C_BODY),
                      (size_t)sqlite3_column_bytes(st, C_BODY), col_text(st, C_HEADERS));
    if (!ev)
        return NULL;
    struct hk_delivery *d = hk_delivery_new(ev, sqlite3_column_int64(st, C_DELIVERY),
                                            (uint32_t)sqlite3_column_int(st, C_ATTEMPTS) + 1);
    hk_event_release(ev); /* d holds its own reference */
    if (d)
        d->interrupted = (uint32_t)sqlite3_column_int(st, C_INTERRUPTED);
    return d;
}

static int mark_running(struct hk_sqlite *s, int64_t row, int64_t now)
{
    sqlite3_stmt *st = s->st[ST_MARK_RUNNING];
    sqlite3_reset(st);
    sqlite3_bind_int64(st, 1, now);
    sqlite3_bind_int64(st, 2, row);
    return sqlite3_step(st) == SQLITE_DONE ? SQLITE_OK : sqlite3_errcode(s->db);
}

/* Moves the row st is on into lane, the queue of at's instance. *moved is false when the
 * lane had no room. */
static int move_row(struct hk_sqlite *s, sqlite3_stmt *st, struct hk_store_lane *at,
                    struct hk_lane *lane, int64_t now, bool *moved)
{
    *moved = false;
    if (s->lanes.room(lane) <= at->planned)
        return SQLITE_OK;
    struct hk_delivery *d = row_to_delivery(st);
    if (!d)
        return SQLITE_NOMEM;
    int rc = mark_running(s, d->rowid, now);
    if (rc != SQLITE_OK) {
        hk_delivery_free(d);
        return rc;
    }
    hk_sqlite_plan_push(s, d, at, lane);
    *moved = true;
    return SQLITE_OK;
}

static int next_due(struct hk_sqlite *s)
{
    sqlite3_stmt *st = s->st[ST_NEXT_DUE];
    sqlite3_reset(st);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
        s->next_due_ms =
            sqlite3_column_type(st, 0) == SQLITE_NULL ? INT64_MAX : sqlite3_column_int64(st, 0);
    rc = rc == SQLITE_ROW ? SQLITE_OK : sqlite3_errcode(s->db);
    /* Reset right away: a statement left on its row keeps a read transaction open, and with
     * it the WAL could never be checkpointed nor restarted -- it would grow without end. */
    sqlite3_reset(st);
    return rc;
}

static int load_due(struct hk_sqlite *s, int64_t now)
{
    sqlite3_stmt *st = s->st[ST_LOAD_DUE];
    bool skipped = false;
    int rc = SQLITE_OK;
    sqlite3_reset(st);
    sqlite3_bind_int64(st, 1, now);
    sqlite3_bind_int(st, 2, DUE_BATCH);
    while (rc == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW) {
        const char *name = col_text(st, C_INSTANCE);
        struct hk_lane *lane = s->lanes.find(s->lanes.self, name);
        struct hk_store_lane *at = lane ? hk_sqlite_lane_get(s, name) : NULL;
        bool moved = false;
        if (lane && !at)
            rc = SQLITE_NOMEM;
        else if (lane)
            rc = move_row(s, st, at, lane, now, &moved);
        skipped |= !moved; /* lane full, or the instance is gone (dead-lettered on removal) */
    }
    sqlite3_reset(st);
    if (rc == SQLITE_OK)
        rc = next_due(s);
    if (skipped && s->next_due_ms > now + RETRY_SOON_MS)
        s->next_due_ms = now + RETRY_SOON_MS;
    return rc;
}

/* Moves deliveries of at's instance that wait in the store into lane while it has room;
 * *got counts them. */
static int load_ready(struct hk_sqlite *s, struct hk_store_lane *at, struct hk_lane *lane,
                      int64_t now, uint32_t *got)
{
    uint32_t room = s->lanes.room(lane);
    if (room <= at->planned)
        return SQLITE_OK;
    room -= at->planned;
    sqlite3_stmt *st = s->st[ST_LOAD_READY];
    int rc = SQLITE_OK;
    bool moved = true;
    sqlite3_reset(st);
    hk_sqlite_bind_text(st, 1, at->name);
    sqlite3_bind_int(st, 2, (int)room);
    uint32_t before = *got;
    while (rc == SQLITE_OK && moved && sqlite3_step(st) == SQLITE_ROW) {
        rc = move_row(s, st, at, lane, now, &moved);
        *got += moved;
    }
    sqlite3_reset(st);
    if (rc == SQLITE_OK && *got - before < room)
        at->backlog = false; /* everything that waited is in memory now */
    return rc;
}

struct scan {
    struct hk_sqlite *s;
    int64_t now;
    uint32_t got;
    int rc;
};

static void scan_lane_cb(void *arg, struct hk_lane *lane, const char *name)
{
    struct scan *sc = arg;
    struct hk_store_lane *at = sc->rc == SQLITE_OK ? hk_sqlite_lane_get(sc->s, name) : NULL;
    if (sc->rc == SQLITE_OK && !at)
        sc->rc = SQLITE_NOMEM;
    if (!at || !at->backlog)
        return;
    sc->rc = load_ready(sc->s, at, lane, sc->now, &sc->got);
    sc->s->backlog |= at->backlog;
}

int hk_sqlite_scan(struct hk_sqlite *s, int64_t now)
{
    int rc = SQLITE_OK;
    if (now >= s->next_due_ms)
        rc = load_due(s, now);
    if (rc != SQLITE_OK || !s->backlog)
        return rc;
    s->backlog = false;
    struct scan sc = {.s = s, .now = now};
    s->lanes.each(s->lanes.self, scan_lane_cb, &sc);
    /* Lanes that are full make room by finishing deliveries, and every outcome wakes the
     * writer: until then there is no point in looking again at once. */
    s->backlog_stuck = s->backlog && sc.got == 0;
    return sc.rc;
}

int hk_sqlite_kill_instance(struct hk_sqlite *s, const char *name, int64_t now)
{
    char why[HK_WHY_MAX];
    hk_delivery_removed_error(name, why, sizeof why);
    sqlite3_stmt *st = s->st[ST_KILL_INSTANCE];
    sqlite3_reset(st);
    sqlite3_bind_int64(st, 1, now);
    hk_sqlite_bind_text(st, 2, why);
    hk_sqlite_bind_text(st, 3, name);
    int rc = sqlite3_step(st) == SQLITE_DONE ? SQLITE_OK : sqlite3_errcode(s->db);
    if (rc == SQLITE_OK && sqlite3_changes(s->db))
        hk_log(HK_LOG_WARN, "pending deliveries dead-lettered: their instance was removed",
               HK_S("instance", name), HK_I("count", sqlite3_changes(s->db)));
    return rc;
}

struct removal_job {
    struct hk_sqlite_job job;
    char name[];
};

static void removal_cb(struct hk_sqlite_job *job, struct sqlite3 *db, struct hk_sqlite *s)
{
    (void)db;
    hk_sqlite_kill_instance(s, HK_CONTAINER_OF(job, struct removal_job, job)->name, hk_wall_ms());
}

static void removal_done_cb(struct hk_task *t)
{
    free(HK_CONTAINER_OF(t, struct removal_job, job.task));
}

void hk_sqlite_instance_removed(struct hk_store *store, const char *name,
                                struct hk_task_queue *reply_to)
{
    struct hk_sqlite *s = (struct hk_sqlite *)store;
    struct removal_job *k = calloc(1, sizeof *k + strlen(name) + 1);
    if (!k) {
        hk_log(HK_LOG_ERROR,
               "out of memory: the deliveries a removed instance left waiting in the store "
               "were not dead-lettered",
               HK_S("instance", name),
               HK_S("fix", "they stay waiting; free memory, then reload or restart hookd"));
        return;
    }
    strcpy(k->name, name);
    k->job.fn = removal_cb;
    k->job.task.run = removal_done_cb;
    k->job.reply_to = reply_to;
    hk_sqlite_run_job(s, &k->job);
}

/* ---- how much a removed instance still has to do ---- */

struct pending_job {
    struct hk_sqlite_job job;
    struct hk_store_pending_job *ask;
};

static void pending_cb(struct hk_sqlite_job *job, struct sqlite3 *db, struct hk_sqlite *s)
{
    (void)s;
    struct pending_job *k = HK_CONTAINER_OF(job, struct pending_job, job);
    sqlite3_stmt *st = NULL;
    k->ask->count = -1;
    if (sqlite3_prepare_v2(db,
                           "SELECT count(*) FROM deliveries WHERE instance = ?1 AND "
                           "state IN ('ready', 'running', 'retry')",
                           -1, &st, NULL) == SQLITE_OK) {
        sqlite3_bind_text(st, 1, k->ask->name, -1, SQLITE_STATIC);
        if (sqlite3_step(st) == SQLITE_ROW)
            k->ask->count = sqlite3_column_int64(st, 0);
    }
    sqlite3_finalize(st);
}

/* Hands the answer to the asker's task on the same queue, and frees the job. */
static void pending_done_cb(struct hk_task *t)
{
    struct pending_job *k = HK_CONTAINER_OF(t, struct pending_job, job.task);
    struct hk_store_pending_job *ask = k->ask;
    free(k);
    ask->task.run(&ask->task);
}

void hk_sqlite_count_pending(struct hk_store *store, struct hk_store_pending_job *ask,
                             struct hk_task_queue *reply_to)
{
    struct hk_sqlite *s = (struct hk_sqlite *)store;
    struct pending_job *k = calloc(1, sizeof *k);
    if (!k) {
        ask->count = -1;
        hk_task_post(reply_to, &ask->task);
        return;
    }
    k->ask = ask;
    k->job.fn = pending_cb;
    k->job.task.run = pending_done_cb;
    k->job.reply_to = reply_to;
    hk_sqlite_run_read_job(s, &k->job);
}
