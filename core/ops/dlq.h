/* dlq.h -- operator queries over the store from the admin API: a query parsed from a URL,
 * run by the store (store/query.h), with replays of unrouted events routed by the
 * generation the request was served by. */
#ifndef HK_DLQ_H
#define HK_DLQ_H

#include "deliver/gen.h"
#include "store/query.h"
#include "store/store.h"

#include <stddef.h>

/* Parses an URL query string ("source=flagright&since=1h&dry_run=1") into q. Times are Unix
 * ms or a duration meaning that long ago. 0, or HK_EINVAL with a message in err. */
int hk_dlq_parse(const char *query, size_t n, int64_t now_ms, struct hk_dlq_query *q, char *err,
                 size_t cap);

/* Runs q on the store; when it is done, done(job) runs on reply_to's loop with
 * job->query.json (JSON text, or NULL) and job->query.status (an HTTP status). gen routes
 * replayed unrouted events (one reference is taken). */
/* What q asks that the running configuration gen cannot do: --to or --reroute on anything
 * but a replay of dead letters, both at once, or --to an instance gen does not have. 0, or
 * HK_EINVAL with the reason (and the fix) in err. */
int hk_dlq_check(const struct hk_dlq_query *q, const struct hk_gen *gen, char *err, size_t cap);

struct hk_dlq_job {
    struct hk_store_query_job query; /* first: its task is the job's */
    struct hk_gen *gen;
    void *user;
    void (*done)(struct hk_dlq_job *job);
};
/* Allocates a job for q (moved in); NULL when out of memory. */
struct hk_dlq_job *hk_dlq_job_new(struct hk_dlq_query *q, struct hk_gen *gen);
void hk_dlq_submit(struct hk_store *s, struct hk_dlq_job *job, struct hk_task_queue *reply_to);
void hk_dlq_job_free(struct hk_dlq_job *job);
/* Masks credentials and signatures in a SHOW answer's "headers" (dlq_redact.c); on failure the
 * answer becomes a 500 without them. */
void hk_dlq_redact_show(struct hk_dlq_job *job);

#endif
