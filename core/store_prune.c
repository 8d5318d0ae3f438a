/* store_prune.c -- retention: events older than the dedup window are deleted once nothing
 * of them is pending or dead-lettered, a few at a time so the writer is never held long. */
#include "store_internal.h"

#include "log.h"

#define PRUNE_STEP      500
#define PRUNE_STEPS_MAX 20 /* per prune pass; the rest waits for the next one */

static const char *const prune_sql =
    "DELETE FROM events WHERE id IN (SELECT e.id FROM events e WHERE e.received_ms < ?1 AND "
    "NOT EXISTS (SELECT 1 FROM deliveries d WHERE d.event = e.id AND d.state IN "
    "('ready', 'running', 'retry', 'dead')) LIMIT ?2)";

void hk_store_prune(struct hk_store *s, int64_t now)
{
    sqlite3_stmt *st = NULL;
    int total = 0;
    s->next_prune_ms = now + s->conf.prune_interval_ms;
    if (sqlite3_prepare_v2(s->db, prune_sql, -1, &st, NULL) != SQLITE_OK)
        return;
    for (int i = 0; i < PRUNE_STEPS_MAX; i++) {
        sqlite3_bind_int64(st, 1, now - s->conf.dedup_window_ms);
        sqlite3_bind_int(st, 2, PRUNE_STEP);
        int rc = sqlite3_step(st);
        int n = sqlite3_changes(s->db);
        sqlite3_reset(st);
        if (rc != SQLITE_DONE) {
            hk_log(HK_LOG_WARN, "pruning old events failed; will try again",
                   HK_S("error", sqlite3_errmsg(s->db)));
            break;
        }
        total += n;
        if (n < PRUNE_STEP)
            break;
    }
    sqlite3_finalize(st);
    if (total)
        hk_log(HK_LOG_INFO, "pruned events older than the dedup window", HK_I("events", total));
}
