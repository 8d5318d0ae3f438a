/* recover.c -- what a previous process left: deliveries it had taken into lanes ('running')
 * are ready again, and those it was handling when it ended count one interrupted attempt. */
#include "store/sqlite/internal.h"

#include "base/err.h"
#include "base/log.h"

static int step(sqlite3 *db, sqlite3_stmt *st)
{
    int rc = st ? sqlite3_step(st) : SQLITE_ERROR;
    if (rc != SQLITE_DONE)
        hk_log(HK_LOG_ERROR, "cannot recover the deliveries a previous run left",
               HK_S("error", sqlite3_errmsg(db)));
    return rc == SQLITE_DONE ? 0 : HK_ESTORE;
}

/* Control thread, before the writer starts: the connection is ours alone. */
int hk_sqlite_recover(struct hk_store *store, const int64_t *interrupted, size_t n)
{
    struct hk_sqlite *s = (struct hk_sqlite *)store;
    sqlite3_stmt *mark = NULL, *ready = NULL;
    sqlite3_prepare_v2(s->db,
                       "UPDATE deliveries SET interrupted = interrupted + 1 "
                       "WHERE id = ?1 AND state = 'running'",
                       -1, &mark, NULL);
    /* attempts keeps counting, so the plugin sees a higher attempt and knows it may have
     * seen the event */
    sqlite3_prepare_v2(s->db, "UPDATE deliveries SET state = 'ready' WHERE state = 'running'", -1,
                       &ready, NULL);
    int rc = sqlite3_exec(s->db, "BEGIN IMMEDIATE", NULL, NULL, NULL) == SQLITE_OK ? 0 : HK_ESTORE;
    size_t counted = 0;
    for (size_t i = 0; i < n && rc == 0; i++) {
        sqlite3_reset(mark);
        sqlite3_bind_int64(mark, 1, interrupted[i]);
        rc = step(s->db, mark);
        counted += rc == 0 && sqlite3_changes(s->db) > 0;
    }
    if (rc == 0)
        rc = step(s->db, ready);
    rc = rc ? rc : (sqlite3_exec(s->db, "COMMIT", NULL, NULL, NULL) == SQLITE_OK ? 0 : HK_ESTORE);
    if (rc)
        sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
    sqlite3_finalize(mark);
    sqlite3_finalize(ready);
    if (rc == 0 && counted)
        hk_log(HK_LOG_WARN,
               "hookd ended while plugins handled deliveries: each counts one interrupted "
               "attempt (see crash_limit)",
               HK_I("deliveries", (int64_t)counted));
    return rc;
}
