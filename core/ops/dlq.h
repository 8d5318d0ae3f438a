/* dlq.h -- operator queries over the store: dead letters, unrouted and invalid events;
 * list, show, replay, purge. Replays and purges run as store jobs on the writer thread (the
 * one connection that writes), so a replay is atomic with respect to deliveries in flight;
 * what only reads (list, show, counts, dry runs) runs on the store's reader thread and never
 * holds up a commit. */
#ifndef HK_DLQ_H
#define HK_DLQ_H

#include "deliver/gen.h"
#include "store/store.h"

#include <stdbool.h>
#include <stdint.h>

#define HK_DLQ_LIMIT_DEFAULT 100
#define HK_DLQ_LIMIT_MAX     10000

enum hk_dlq_what { HK_DLQ_DEAD, HK_DLQ_UNROUTED, HK_DLQ_INVALID };
enum hk_dlq_action { HK_DLQ_LIST, HK_DLQ_SHOW, HK_DLQ_REPLAY, HK_DLQ_PURGE, HK_DLQ_COUNTS };

/* Which rows an operation applies to; strings are owned by the query. */
struct hk_dlq_query {
    enum hk_dlq_action action;
    enum hk_dlq_what what;
    char *source, *type, *instance, *id;
    int64_t since_ms, until_ms; /* received time; 0 = unbounded */
    int64_t delivery;           /* SHOW: deliveries.id (or events.id for unrouted/invalid) */
    int limit;
    bool dry_run;
};

/* Parses an URL query string ("source=flagright&since=1h&dry_run=1") into q. Times are Unix
 * ms or a duration meaning that long ago. 0, or HK_EINVAL with a message in err. */
int hk_dlq_parse(const char *query, size_t n, int64_t now_ms, struct hk_dlq_query *q, char *err,
                 size_t cap);
void hk_dlq_query_free(struct hk_dlq_query *q);

/* Runs q on the store's writer or reader thread; when it is done, done(job) runs on
 * reply_to's loop with job->json (malloc'd JSON text, or NULL) and job->status (an HTTP
 * status). gen is needed to replay unrouted events (one reference is taken). Ownership of
 * the query's strings passes to the job. */
struct hk_dlq_job {
    struct hk_store_job job;
    struct hk_dlq_query q;
    struct hk_gen *gen;
    void *user;
    void (*done)(struct hk_dlq_job *job);
    char *json;
    int status;
};
/* Allocates a job for q (moved in); NULL when out of memory. */
struct hk_dlq_job *hk_dlq_job_new(struct hk_dlq_query *q, struct hk_gen *gen);
void hk_dlq_submit(struct hk_store *s, struct hk_dlq_job *job, struct hk_task_queue *reply_to);
void hk_dlq_job_free(struct hk_dlq_job *job);

#endif
