/* prune.c -- retention: events older than the dedup window are deleted once nothing
 * of them is pending or dead-lettered, a few at a time so the writer is never held long.
 *
 * Rowids grow with the time events arrive, so the walk starts at the oldest rows and stops
 * at the first one younger than the window; no index on received_ms is needed. Dead letters
 * stay (until replayed or purged) and are stepped over. A pass that ends its steps before the
 * walk is over leaves the cursor where it stopped, so a long run of kept rows at the start
 * cannot keep every later pass from reaching the rows behind it. */
#include "store/sqlite/internal.h"

#include "base/log.h"

#define PRUNE_STEP      500
#define PRUNE_STEPS_MAX 20 /* per prune pass; the rest waits for the next one */

static const char *const walk_sql =
    "SELECT e.id, e.received_ms, EXISTS (SELECT 1 FROM deliveries d WHERE d.event = e.id AND "
    "d.state IN ('ready', 'running', 'retry', 'dead')) FROM events e WHERE e.id > ?1 "
    "ORDER BY e.id LIMIT ?2";

/* Deletes the prunable rows of one step; returns false when the walk is over. */
static bool step(sqlite3_stmt *walk, sqlite3_stmt *del, int64_t cutoff, int64_t *cursor,
                 int *deleted)
{
    int rows = 0;
    bool young = false;
    sqlite3_bind_int64(walk, 1, *cursor);
    sqlite3_bind_int(walk, 2, PRUNE_STEP);
    while (sqlite3_step(walk) == SQLITE_ROW) {
        rows++;
        if (sqlite3_column_int64(walk, 1) >= cutoff) {
            young = true; /* everything after it is younger still */
            break;
        }
        *cursor = sqlite3_column_int64(walk, 0);
        if (sqlite3_column_int(walk, 2))
            continue; /* pending or dead-lettered: kept */
        sqlite3_bind_int64(del, 1, *cursor);
        if (sqlite3_step(del) == SQLITE_DONE)
            ++*deleted;
        sqlite3_reset(del);
    }
    sqlite3_reset(walk);
    return !young && rows == PRUNE_STEP;
}

void hk_sqlite_prune(struct hk_sqlite *s, int64_t now)
{
    sqlite3_stmt *walk = NULL, *del = NULL;
    int deleted = 0;
    s->next_prune_ms = now + s->conf.prune_interval_ms;
    if (sqlite3_prepare_v2(s->db, walk_sql, -1, &walk, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(s->db, "DELETE FROM events WHERE id = ?1", -1, &del, NULL) !=
            SQLITE_OK) {
        hk_log(HK_LOG_WARN, "pruning old events failed; will try again",
               HK_S("error", sqlite3_errmsg(s->db)));
    } else if (sqlite3_exec(s->db, "BEGIN IMMEDIATE", NULL, NULL, NULL) == SQLITE_OK) {
        bool more = true;
        for (int i = 0; more && i < PRUNE_STEPS_MAX; i++)
            more = step(walk, del, now - s->conf.dedup_window_ms, &s->prune_cursor, &deleted);
        if (!more)
            s->prune_cursor = 0; /* the walk is over: the next pass starts at the oldest again */
        if (sqlite3_exec(s->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
            sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
    }
    sqlite3_finalize(walk);
    sqlite3_finalize(del);
    if (deleted)
        hk_log(HK_LOG_INFO, "pruned events older than the dedup window", HK_I("events", deleted));
}
