/* query.h -- what operators ask of the store: dead letters, unrouted and invalid events;
 * list, show, replay, purge, counts. The store runs a query on its own threads (what only
 * reads never holds up a commit; a replay or purge is atomic with respect to deliveries in
 * flight) and answers with JSON text and an HTTP status. Parsing a query from a URL and
 * routing replayed events belong to the caller (ops/dlq.c). */
#ifndef HK_STORE_QUERY_H
#define HK_STORE_QUERY_H

#include "base/task.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define HK_DLQ_LIMIT_DEFAULT 100
#define HK_DLQ_LIMIT_MAX     10000
#define HK_STORE_TARGETS_MAX 256 /* instances one replayed event may be routed to */

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
    /* REPLAY of dead letters: hand them to this instance instead of their own (to), or to
     * the instances the current configuration routes their events to (reroute). */
    char *to;
    bool reroute;
};

/* "dead", "unrouted", "invalid": as the API and the store spell them. */
const char *hk_dlq_what_name(enum hk_dlq_what w);
void hk_dlq_query_free(struct hk_dlq_query *q);

/* Names the instances an unrouted event goes to now: fills names (room for
 * HK_STORE_TARGETS_MAX), returns how many. Called on one of the store's threads. */
typedef size_t hk_store_route_fn(void *ctx, const char *type, const char *source,
                                 const char **names);

/* One query on its way through the store. The caller fills q, route and route_ctx (for
 * replays of unrouted events), task.run; the store sets json and status, then runs task on
 * reply_to. */
struct hk_store_query_job {
    struct hk_task task;
    struct hk_dlq_query q;
    hk_store_route_fn *route;
    void *route_ctx;
    char *json; /* malloc'd answer (the caller frees), or NULL */
    int status; /* HTTP: 200, 400 (a question the store cannot answer), 404 (no such entry),
                 * 500 (the store failed), 503 (its batch could not be committed) */
};

#endif
