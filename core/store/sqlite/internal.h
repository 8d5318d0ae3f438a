/* internal.h -- what the SQLite store's files share; nothing outside store/sqlite/ (and its
 * unit test) includes it. */
#ifndef HK_SQLITE_INTERNAL_H
#define HK_SQLITE_INTERNAL_H

#include "store/lanes.h"
#include "store/sqlite/sqlite.h"
#include "store/store.h"

#include <pthread.h>
#include <sqlite3.h>
#include <stdatomic.h>

enum store_stmt {
    ST_INSERT_EVENT,
    ST_INSERT_DELIVERY,
    ST_DONE,
    ST_RETRY,
    ST_DEAD,
    ST_LOAD_DUE,
    ST_LOAD_READY,
    ST_MARK_RUNNING,
    ST_NEXT_DUE,
    ST_KILL_INSTANCE,
    ST_INTERRUPTED,
    ST_ORIGINAL_RECEIVED,
    ST_COUNT
};

/* The store's record of one instance: what it promised the instance's queue. Writer thread
 * only (and the control thread before the writer starts). */
struct hk_store_lane {
    char *name;       /* owned */
    uint32_t planned; /* pushes promised and not made yet (rows waiting for their commit),
                       * counted against the queue's room */
    bool backlog;     /* deliveries of this instance wait in the store ('ready') */
};

struct hk_sqlite {
    struct hk_store base; /* first: the interface's handle is this store */
    sqlite3 *db;
    struct hk_store_conf conf; /* path is owned */
    struct hk_store_lanes lanes;
    struct hk_store_lane **at; /* records by instance name; only appended, never moved */
    size_t nat, capat;
    pthread_t thread;
    bool started;

    pthread_mutex_t mu; /* guards the queues and stop */
    pthread_cond_t cond;
    struct hk_ingest *in_head, *in_tail;
    size_t in_count;
    struct hk_delivery *out_head, *out_tail;
    struct hk_sqlite_job *job_head, *job_tail;
    bool stop;
    bool writer_waiting; /* the writer sleeps on cond: a submit must wake it */

    struct hk_recent *recent; /* events committed lately (written by the writer only) */
    struct hk_reader *reader; /* read-only operator queries; NULL for a store in memory */
    atomic_bool failed;       /* fsync failed: never acknowledge again */
    atomic_bool unhealthy;    /* the last commit failed */

    /* Writer thread only. */
    sqlite3_stmt *st[ST_COUNT];
    struct hk_delivery *push; /* to hand to lanes once the batch is durable */
    bool forget_recent;       /* set by a job that deleted events */
    int64_t next_due_ms;      /* earliest retry; INT64_MAX when none */
    int64_t next_prune_ms;
    int64_t prune_cursor; /* the last row the pruning walk looked at; 0: from the start */
    bool backlog;         /* some lane has deliveries waiting in the store */
    bool backlog_stuck;   /* ... and the last scan could move none of them (lanes full) */
    uint64_t rng;

    struct {
        _Atomic uint64_t batches, ingested, duplicates, rejected, completions, commit_us_total,
            commit_us_max, batch_max_seen, batch_hist[HK_STORE_HIST_BUCKETS],
            commit_hist[HK_STORE_HIST_BUCKETS];
    } stats;
};

/* One batch taken from the queues, then what its commit produced. */
struct batch {
    struct hk_ingest *ingests;
    size_t ningests;
    struct hk_delivery *outcomes;
    struct hk_sqlite_job *jobs;
    struct hk_delivery *push; /* deliveries for lanes, handed out once the batch is durable */
    bool forget_recent;       /* events were deleted: the table of recent commits is cleared */
    int64_t started_us;       /* CLOCK_MONOTONIC when the writer began it */
};

/* The operations of the interface implemented outside writer.c (scan.c, dlq.c). */
void hk_sqlite_count_pending(struct hk_store *store, struct hk_store_pending_job *job,
                             struct hk_task_queue *reply_to);
void hk_sqlite_instance_removed(struct hk_store *store, const char *name,
                                struct hk_task_queue *reply_to);
void hk_sqlite_query(struct hk_store *store, struct hk_store_query_job *job,
                     struct hk_task_queue *reply_to);
int hk_sqlite_recover(struct hk_store *store, const int64_t *interrupted, size_t n);
/* schema.c */
int hk_sqlite_schema(sqlite3 *db, enum hk_durability d, char *err, size_t cap);

/* A table of this version: its name and its definition, the part of CREATE TABLE after it. */
struct hk_sqlite_table {
    const char *name;
    const char *columns;
};

/* Rebuilds each of tables (foreign keys off, inside the caller's transaction) to today's
 * definition, keeping every row; from is the schema version the store had (migrate.c). */
int hk_sqlite_migrate(sqlite3 *db, int from, const struct hk_sqlite_table *tables, size_t n,
                      char *err, size_t cap);

/* Runs sql, its error (if any) in err. */
int hk_sqlite_exec(sqlite3 *db, const char *sql, char *err, size_t cap);
int hk_sqlite_prepare(struct hk_sqlite *s, char *err, size_t cap);
/* ingest.c: inserts a batch's events and deliveries; SQLite code on failure. */
int hk_sqlite_ingest_batch(struct hk_sqlite *s, struct hk_ingest *ops, int64_t now);
/* outcome.c: applies delivery outcomes; SQLite code on failure. */
int hk_sqlite_outcomes(struct hk_sqlite *s, struct hk_delivery *list, int64_t now);
/* scan.c: loads due retries and waiting deliveries into lanes with room. */
int hk_sqlite_scan(struct hk_sqlite *s, int64_t now);
/* Dead-letters every waiting delivery of an instance that left the configuration. */
int hk_sqlite_kill_instance(struct hk_sqlite *s, const char *name, int64_t now);
/* prune.c: deletes finished events older than the dedup window, in small steps. */
void hk_sqlite_prune(struct hk_sqlite *s, int64_t now);
/* Work for the writer thread: fn runs on it with the database, inside the batch it is taken
 * with, then task runs on reply_to. */
struct hk_sqlite_job {
    struct hk_task task;
    struct hk_sqlite_job *next;
    struct hk_task_queue *reply_to;
    void (*fn)(struct hk_sqlite_job *job, sqlite3 *db, struct hk_sqlite *s);
    bool failed; /* set when the batch that ran fn could not be committed */
};
void hk_sqlite_run_job(struct hk_sqlite *s, struct hk_sqlite_job *job);
/* The same for a job whose fn only reads: it runs on the reader thread with a read-only
 * connection (a store in memory runs it on the writer), so it never holds up commits. */
void hk_sqlite_run_read_job(struct hk_sqlite *s, struct hk_sqlite_job *job);
/* After deliveries were put back to 'ready' by a job: every lane looks for them again.
 * Writer thread only (from a job's fn). */
void hk_sqlite_backlog_all(struct hk_sqlite *s);
/* After a job deleted events: forget the recent commits (writer thread, from a job). */
void hk_sqlite_forget_recent(struct hk_sqlite *s);
/* The record of instance name, made (without backlog) when there is none yet; NULL when
 * out of memory. Writer thread. */
struct hk_store_lane *hk_sqlite_lane_get(struct hk_sqlite *s, const char *name);
/* Promises d to lane, the queue of at's instance: it is handed over after the commit, and
 * counts against the queue's room until then (writer thread). */
void hk_sqlite_plan_push(struct hk_sqlite *s, struct hk_delivery *d, struct hk_store_lane *at,
                         struct hk_lane *lane);
/* After the commit (with durability fsync, the commit's fsync): lanes get their deliveries,
 * requests their answers, committed events enter the recent table. Frees nothing of b itself. */
void hk_sqlite_finish_batch(struct hk_sqlite *s, struct batch *b);
/* After a failed commit: requests are refused with code, the batch's deliveries and
 * outcomes are given back or dropped (the store still has them), jobs are marked failed. */
void hk_sqlite_refuse_batch(struct hk_sqlite *s, struct batch *b, int code);
/* reader.c: the reader thread and its read-only connection. */
int hk_sqlite_reader_start(struct hk_sqlite *s);
void hk_sqlite_reader_stop(struct hk_sqlite *s);
/* Binds text that may be NULL. */
int hk_sqlite_bind_text(sqlite3_stmt *st, int i, const char *text);

#endif
