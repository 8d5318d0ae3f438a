/* dlq.c -- operators' queries (query.h) in SQL: dead letters, unrouted and invalid
 * events; list, show, replay, purge, counts. */
#include "store/sqlite/internal.h"

#include "base/clock.h"
#include "base/codec.h"
#include "base/link.h"
#include "base/log.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Every filter is optional: a NULL text or a 0 time matches everything. */
#define DEAD_FROM                                                                                  \
    " FROM deliveries d JOIN events e ON e.id = d.event WHERE d.state = 'dead'"                    \
    " AND (:source IS NULL OR e.source = :source) AND (:type IS NULL OR e.type = :type)"           \
    " AND (:instance IS NULL OR d.instance = :instance) AND (:id IS NULL OR e.event_id = :id)"     \
    " AND (:since = 0 OR e.received_ms >= :since) AND (:until = 0 OR e.received_ms < :until)"
#define EVENTS_FROM                                                                                \
    " FROM events e WHERE e.status = :what"                                                        \
    " AND (:source IS NULL OR e.source = :source) AND (:type IS NULL OR e.type = :type)"           \
    " AND (:id IS NULL OR e.event_id = :id)"                                                       \
    " AND (:since = 0 OR e.received_ms >= :since) AND (:until = 0 OR e.received_ms < :until)"

static void bind_filters(sqlite3_stmt *st, const struct hk_dlq_query *q, int64_t now)
{
    const struct {
        const char *name;
        const char *text;
    } texts[] = {{":source", q->source},
                 {":type", q->type},
                 {":instance", q->instance},
                 {":id", q->id},
                 {":what", hk_dlq_what_name(q->what)}};
    for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++) {
        int idx = sqlite3_bind_parameter_index(st, texts[i].name);
        if (idx)
            texts[i].text ? sqlite3_bind_text(st, idx, texts[i].text, -1, SQLITE_STATIC)
                          : sqlite3_bind_null(st, idx);
    }
    const struct {
        const char *name;
        int64_t v;
    } nums[] = {{":since", q->since_ms},
                {":until", q->until_ms},
                {":limit", q->limit},
                {":now", now},
                {":row", q->delivery}};
    for (size_t i = 0; i < sizeof nums / sizeof nums[0]; i++) {
        int idx = sqlite3_bind_parameter_index(st, nums[i].name);
        if (idx)
            sqlite3_bind_int64(st, idx, nums[i].v);
    }
}

static sqlite3_stmt *prepare(sqlite3 *db, const char *sql, const struct hk_dlq_query *q)
{
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) {
        hk_log(HK_LOG_ERROR, "dlq query failed", HK_S("error", sqlite3_errmsg(db)));
        return NULL;
    }
    bind_filters(st, q, hk_wall_ms());
    return st;
}

static json_t *column(sqlite3_stmt *st, int i)
{
    switch (sqlite3_column_type(st, i)) {
    case SQLITE_INTEGER:
        return json_integer(sqlite3_column_int64(st, i));
    case SQLITE_NULL:
        return json_null();
    case SQLITE_BLOB: {
        const char *p = sqlite3_column_blob(st, i);
        size_t n = (size_t)sqlite3_column_bytes(st, i);
        json_t *s = json_stringn(p ? p : "", n);
        if (s)
            return s; /* UTF-8 text, the usual case for a JSON body */
        char *b64 = malloc(4 * (n / 3 + 1) + 1);
        hk_base64_encode((const uint8_t *)p, n, b64);
        json_t *o = json_pack("{s:s}", "base64", b64);
        free(b64);
        return o;
    }
    default:
        return json_string((const char *)sqlite3_column_text(st, i));
    }
}

/* Runs a SELECT and returns its rows as objects keyed by the column names. */
static json_t *rows(sqlite3 *db, const char *sql, const struct hk_dlq_query *q)
{
    sqlite3_stmt *st = prepare(db, sql, q);
    if (!st)
        return NULL;
    json_t *arr = json_array();
    while (sqlite3_step(st) == SQLITE_ROW) {
        json_t *o = json_object();
        for (int i = 0; i < sqlite3_column_count(st); i++)
            json_object_set_new(o, sqlite3_column_name(st, i), column(st, i));
        json_array_append_new(arr, o);
    }
    sqlite3_finalize(st);
    return arr;
}

static int64_t scalar(sqlite3 *db, const char *sql, const struct hk_dlq_query *q)
{
    sqlite3_stmt *st = prepare(db, sql, q);
    int64_t v = -1;
    if (st && sqlite3_step(st) == SQLITE_ROW)
        v = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return v;
}

static int64_t change(sqlite3 *db, const char *sql, const struct hk_dlq_query *q)
{
    sqlite3_stmt *st = prepare(db, sql, q);
    int64_t v = -1;
    if (st && sqlite3_step(st) == SQLITE_DONE)
        v = sqlite3_changes(db);
    sqlite3_finalize(st);
    return v;
}

static json_t *do_list(sqlite3 *db, const struct hk_dlq_query *q)
{
    if (q->what == HK_DLQ_DEAD)
        return rows(db,
                    "SELECT d.id AS delivery, d.instance, e.source, e.event_id AS id, e.type, "
                    "d.attempts, e.received_ms, d.updated_ms AS failed_ms, d.last_error" DEAD_FROM
                    " ORDER BY d.id LIMIT :limit",
                    q);
    return rows(db,
                "SELECT e.id AS event, e.source, e.event_id AS id, e.type, e.received_ms, "
                "e.invalid_reason" EVENTS_FROM " ORDER BY e.id LIMIT :limit",
                q);
}

static json_t *do_show(sqlite3 *db, const struct hk_dlq_query *q)
{
    json_t *r = q->what == HK_DLQ_DEAD
                    ? rows(db,
                           "SELECT d.id AS delivery, d.instance, d.state, d.attempts, d.next_ms, "
                           "d.updated_ms, d.last_error, e.source, e.event_id AS id, e.type, "
                           "e.status, e.created_ms, e.received_ms, e.headers, e.body FROM "
                           "deliveries d JOIN events e ON e.id = d.event WHERE d.id = :row",
                           q)
                    : rows(db,
                           "SELECT e.id AS event, e.source, e.event_id AS id, e.type, e.status, "
                           "e.invalid_reason, e.created_ms, e.received_ms, e.headers, e.body "
                           "FROM events e WHERE e.id = :row",
                           q);
    json_t *one = r && json_array_size(r) ? json_incref(json_array_get(r, 0)) : NULL;
    json_decref(r);
    return one;
}

/* Routes every matching unrouted event with the current generation: how many, or -1 when a
 * statement failed (the caller then rolls back what was done). */
static int64_t replay_unrouted(sqlite3 *db, const struct hk_store_query_job *j, bool dry_run)
{
    const struct hk_dlq_query *q = &j->q;
    sqlite3_stmt *sel =
        prepare(db, "SELECT e.id, e.source, e.type" EVENTS_FROM " ORDER BY e.id LIMIT :limit", q);
    sqlite3_stmt *ins = NULL, *upd = NULL;
    sqlite3_prepare_v2(db,
                       "INSERT OR IGNORE INTO deliveries (event, instance, state, "
                       "attempts, updated_ms) VALUES (?1, ?2, 'ready', 0, ?3)",
                       -1, &ins, NULL);
    sqlite3_prepare_v2(db, "UPDATE events SET status = 'routed' WHERE id = ?1", -1, &upd, NULL);
    int64_t routed = 0, now = hk_wall_ms();
    int rc = sel && ins && upd ? SQLITE_ROW : SQLITE_ERROR;
    while (rc == SQLITE_ROW && (rc = sqlite3_step(sel)) == SQLITE_ROW) {
        const char *names[HK_STORE_TARGETS_MAX];
        size_t n = j->route(j->route_ctx, (const char *)sqlite3_column_text(sel, 2),
                            (const char *)sqlite3_column_text(sel, 1), names);
        routed += n > 0;
        for (size_t i = 0; i < n && !dry_run && rc == SQLITE_ROW; i++) {
            sqlite3_reset(ins);
            sqlite3_bind_int64(ins, 1, sqlite3_column_int64(sel, 0));
            sqlite3_bind_text(ins, 2, names[i], -1, SQLITE_STATIC);
            sqlite3_bind_int64(ins, 3, now);
            rc = sqlite3_step(ins) == SQLITE_DONE ? SQLITE_ROW : SQLITE_ERROR;
        }
        if (n && !dry_run && rc == SQLITE_ROW) {
            sqlite3_reset(upd);
            sqlite3_bind_int64(upd, 1, sqlite3_column_int64(sel, 0));
            rc = sqlite3_step(upd) == SQLITE_DONE ? SQLITE_ROW : SQLITE_ERROR;
        }
    }
    sqlite3_finalize(sel);
    sqlite3_finalize(ins);
    sqlite3_finalize(upd);
    return rc == SQLITE_DONE ? routed : -1;
}

/* One dead delivery handed to instance: its own row back to ready when it is its own instance;
 * else a new delivery of the event to instance (or that one revived, if it is dead too), and
 * the dead row goes. SQLITE_ROW while all is well. */
static int hand_over(sqlite3_stmt *const st[4], int64_t row, int64_t event, const char *own,
                     const char *instance, int64_t now)
{
    enum { REVIVE, INSERT, REVIVE_OTHER, DROP };
    bool self = strcmp(own, instance) == 0;
    int which[2] = {self ? REVIVE : INSERT, self ? -1 : REVIVE_OTHER};
    for (int k = 0; k < 2 && which[k] >= 0; k++) {
        sqlite3_stmt *s = st[which[k]];
        sqlite3_reset(s);
        sqlite3_bind_int64(s, 1, which[k] == REVIVE ? row : event);
        sqlite3_bind_text(s, 2, instance, -1, SQLITE_STATIC);
        sqlite3_bind_int64(s, 3, now);
        if (sqlite3_step(s) != SQLITE_DONE)
            return SQLITE_ERROR;
    }
    return SQLITE_ROW;
}

/* --to INSTANCE / --reroute: every matching dead letter goes to other instances; how many
 * were handed on (those the configuration routes nowhere stay), or -1 when a statement
 * failed (the caller then rolls back). */
static int64_t replay_elsewhere(sqlite3 *db, const struct hk_store_query_job *j, bool dry_run)
{
    const struct hk_dlq_query *q = &j->q;
    sqlite3_stmt *sel = prepare(db,
                                "SELECT d.id, d.event, d.instance, e.type, e.source" DEAD_FROM
                                " ORDER BY d.id LIMIT :limit",
                                q);
    static const char *const sql[4] = {
        "UPDATE deliveries SET state = 'ready', next_ms = 0, interrupted = 0, attempts = 0, "
        "updated_ms = ?3 WHERE id = ?1 AND ?2 = ?2",
        "INSERT OR IGNORE INTO deliveries (event, instance, state, attempts, updated_ms) "
        "VALUES (?1, ?2, 'ready', 0, ?3)",
        "UPDATE deliveries SET state = 'ready', next_ms = 0, interrupted = 0, attempts = 0, "
        "updated_ms = ?3 WHERE event = ?1 AND instance = ?2 AND state = 'dead'",
        "DELETE FROM deliveries WHERE id = ?1",
    };
    sqlite3_stmt *st[4] = {0};
    int rc = sel ? SQLITE_ROW : SQLITE_ERROR;
    for (int i = 0; i < 4 && rc == SQLITE_ROW; i++)
        if (sqlite3_prepare_v2(db, sql[i], -1, &st[i], NULL) != SQLITE_OK)
            rc = SQLITE_ERROR;
    int64_t moved = 0, now = hk_wall_ms();
    while (rc == SQLITE_ROW && (rc = sqlite3_step(sel)) == SQLITE_ROW) {
        int64_t row = sqlite3_column_int64(sel, 0), event = sqlite3_column_int64(sel, 1);
        const char *own = (const char *)sqlite3_column_text(sel, 2);
        const char *names[HK_STORE_TARGETS_MAX];
        size_t n = 1;
        names[0] = q->to;
        if (q->reroute)
            n = j->route(j->route_ctx, (const char *)sqlite3_column_text(sel, 3),
                         (const char *)sqlite3_column_text(sel, 4), names);
        moved += n > 0;
        bool kept = false;
        for (size_t i = 0; i < n && !dry_run && rc == SQLITE_ROW; i++) {
            kept |= strcmp(own, names[i]) == 0;
            rc = hand_over(st, row, event, own, names[i], now);
        }
        if (n && !kept && !dry_run && rc == SQLITE_ROW) {
            sqlite3_reset(st[3]);
            sqlite3_bind_int64(st[3], 1, row);
            rc = sqlite3_step(st[3]) == SQLITE_DONE ? SQLITE_ROW : SQLITE_ERROR;
        }
    }
    sqlite3_finalize(sel);
    for (int i = 0; i < 4; i++)
        sqlite3_finalize(st[i]);
    return rc == SQLITE_DONE ? moved : -1;
}

static json_t *do_replay(sqlite3 *db, struct hk_sqlite *s, const struct hk_store_query_job *j)
{
    const struct hk_dlq_query *q = &j->q;
    int64_t n;
    if (q->what == HK_DLQ_DEAD && (q->to || q->reroute))
        n = replay_elsewhere(db, j, q->dry_run);
    else if (q->what == HK_DLQ_UNROUTED)
        n = replay_unrouted(db, j, q->dry_run);
    else if (q->what != HK_DLQ_DEAD)
        return json_pack("{s:s}", "error",
                         "invalid events cannot be replayed: no instance can "
                         "read them; purge them or fix the sender");
    else if (q->dry_run)
        n = scalar(db, "SELECT count(*) FROM (SELECT d.id" DEAD_FROM " LIMIT :limit)", q);
    else
        n = change(db,
                   "UPDATE deliveries SET state = 'ready', next_ms = 0, interrupted = 0, "
                   "updated_ms = :now "
                   "WHERE id IN (SELECT d.id" DEAD_FROM " ORDER BY d.id LIMIT :limit)",
                   q);
    if (n < 0)
        return NULL; /* a statement failed: 500, and job_fn rolls back */
    if (!q->dry_run && n > 0)
        hk_sqlite_backlog_all(s);
    return json_pack("{s:s,s:I,s:b}", "action", "replay", "count", (json_int_t)n, "dry_run",
                     q->dry_run);
}

static json_t *do_purge(sqlite3 *db, struct hk_sqlite *s, const struct hk_dlq_query *q)
{
    int64_t n;
    if (q->dry_run && q->what == HK_DLQ_DEAD)
        n = scalar(db, "SELECT count(*) FROM (SELECT d.id" DEAD_FROM " LIMIT :limit)", q);
    else if (q->what == HK_DLQ_DEAD)
        n = change(db,
                   "DELETE FROM deliveries WHERE id IN (SELECT d.id" DEAD_FROM
                   " ORDER BY d.id LIMIT :limit)",
                   q);
    else if (q->dry_run)
        n = scalar(db, "SELECT count(*) FROM (SELECT e.id" EVENTS_FROM " LIMIT :limit)", q);
    else if ((n = change(db,
                         "DELETE FROM events WHERE id IN (SELECT e.id" EVENTS_FROM
                         " ORDER BY e.id LIMIT :limit)",
                         q)) > 0)
        hk_sqlite_forget_recent(s); /* deleted events must not be taken for duplicates */
    if (n < 0)
        return NULL; /* a statement failed: 500, and job_fn rolls back */
    return json_pack("{s:s,s:I,s:b}", "action", "purge", "count", (json_int_t)n, "dry_run",
                     q->dry_run);
}

static json_t *do_counts(sqlite3 *db, const struct hk_dlq_query *q)
{
    json_t *o = json_object();
    /* Kept by triggers (store_schema.c): a few rows, however big the store. */
    json_t *d = rows(db, "SELECT state, n FROM counts WHERE tbl = 'deliveries'", q);
    json_t *e = rows(db,
                     "SELECT state, n FROM counts WHERE tbl = 'events' AND state IN "
                     "('unrouted', 'invalid')",
                     q);
    size_t i;
    json_t *row;
    json_array_foreach(d, i, row) json_object_set(
        o, json_string_value(json_object_get(row, "state")), json_object_get(row, "n"));
    json_array_foreach(e, i, row) json_object_set(
        o, json_string_value(json_object_get(row, "state")), json_object_get(row, "n"));
    json_decref(d);
    json_decref(e);
    return o;
}

/* The store's own job that carries a query job through its queue. */
struct query_run {
    struct hk_sqlite_job job;
    struct hk_store_query_job *qj;
};

static void run_cb(struct hk_sqlite_job *sj, sqlite3 *db, struct hk_sqlite *s)
{
    struct hk_store_query_job *j = HK_CONTAINER_OF(sj, struct query_run, job)->qj;
    json_t *r = NULL;
    /* The job runs inside the writer's batch: a savepoint undoes a half-done job alone. */
    bool saved = sqlite3_exec(db, "SAVEPOINT dlq_job", NULL, NULL, NULL) == SQLITE_OK;
    switch (j->q.action) {
    case HK_DLQ_LIST:
        r = do_list(db, &j->q);
        if (r)
            r = json_pack("{s:s,s:I,s:o}", "what", hk_dlq_what_name(j->q.what), "count",
                          (json_int_t)json_array_size(r), "items", r);
        break;
    case HK_DLQ_SHOW:
        r = do_show(db, &j->q);
        break;
    case HK_DLQ_REPLAY:
        r = do_replay(db, s, j);
        break;
    case HK_DLQ_PURGE:
        r = do_purge(db, s, &j->q);
        break;
    case HK_DLQ_COUNTS:
        r = do_counts(db, &j->q);
        break;
    }
    if (saved && !r && j->q.action != HK_DLQ_SHOW)
        sqlite3_exec(db, "ROLLBACK TO dlq_job", NULL, NULL, NULL);
    if (saved)
        sqlite3_exec(db, "RELEASE dlq_job", NULL, NULL, NULL);
    j->status = r                            ? (json_object_get(r, "error") ? 400 : 200)
                : j->q.action == HK_DLQ_SHOW ? 404
                                             : 500;
    j->json = r ? json_dumps(r, JSON_COMPACT) : NULL;
    json_decref(r);
}

static void run_done_cb(struct hk_task *t)
{
    struct query_run *r = HK_CONTAINER_OF(t, struct query_run, job.task);
    struct hk_store_query_job *j = r->qj;
    if (r->job.failed) {
        free(j->json);
        j->json = NULL;
        j->status = 503; /* the batch it ran in could not be committed */
    }
    free(r);
    j->task.run(&j->task);
}

void hk_sqlite_query(struct hk_store *store, struct hk_store_query_job *j,
                     struct hk_task_queue *reply_to)
{
    struct hk_sqlite *s = (struct hk_sqlite *)store;
    struct query_run *r = calloc(1, sizeof *r);
    if (!r) {
        j->status = 500;
        hk_task_post(reply_to, &j->task);
        return;
    }
    r->qj = j;
    r->job.fn = run_cb;
    r->job.task.run = run_done_cb;
    r->job.reply_to = reply_to;
    bool reads_only = j->q.action == HK_DLQ_LIST || j->q.action == HK_DLQ_SHOW ||
                      j->q.action == HK_DLQ_COUNTS || j->q.dry_run;
    if (reads_only)
        hk_sqlite_run_read_job(s, &r->job);
    else
        hk_sqlite_run_job(s, &r->job);
}
