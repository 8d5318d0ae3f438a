/* schema.c -- the tables, their indexes, and the prepared statements. */
#include "store/sqlite/internal.h"

#include "base/err.h"

#include <stdio.h>
#include <string.h>

/* 2: counts; 3: deliveries.interrupted; 4: the CHECKs without IN (...), tables rebuilt */
#define SCHEMA_VERSION  4
#define STRINGIFY(x)    #x
#define AS_TEXT(x)      STRINGIFY(x)
#define BUSY_TIMEOUT_MS 5000
/* The writer checkpoints the WAL into the database when it reaches this many pages (4 MB).
 * A checkpoint pauses the writer while it copies and syncs. With 32 clients sending distinct
 * events and the writer syncing its own commits (bench/store.sh): 28.7k req/s with p99 3.7 ms
 * at 500 pages, 31.5k and 4.8 ms at 1000 (SQLite's default), 32.8k and 7.9 ms at 2000;
 * 10000 was no faster (30.2k) and its p99 was 29 ms. */
#define WAL_CHECKPOINT_PAGES "1000"

/* The CHECKs are written with OR: as `status IN (...)`, SQLite 3.40 builds and drops an
 * ephemeral index on every insert to test one value (EXPLAIN shows OpenEphemeral), 25,000
 * instructions of the 170,000 a stored event cost (bench/cost.sh, "distinct"). */
#define EVENTS_COLUMNS                                                                             \
    "(id INTEGER PRIMARY KEY,"                                                                     \
    "  source TEXT NOT NULL,"                                                                      \
    "  event_id TEXT,"                                                                             \
    "  type TEXT,"                                                                                 \
    "  status TEXT NOT NULL"                                                                       \
    "    CHECK (status = 'routed' OR status = 'unrouted' OR status = 'invalid'),"                  \
    "  invalid_reason TEXT,"                                                                       \
    "  created_ms INTEGER NOT NULL,"                                                               \
    "  received_ms INTEGER NOT NULL,"                                                              \
    "  headers TEXT NOT NULL,"                                                                     \
    "  body BLOB NOT NULL)"
#define DELIVERIES_COLUMNS                                                                         \
    "(id INTEGER PRIMARY KEY,"                                                                     \
    "  event INTEGER NOT NULL REFERENCES events(id) ON DELETE CASCADE,"                            \
    "  instance TEXT NOT NULL,"                                                                    \
    "  state TEXT NOT NULL CHECK (state = 'ready' OR state = 'running' OR state = 'retry' OR"      \
    "    state = 'done' OR state = 'dead'),"                                                       \
    "  attempts INTEGER NOT NULL,"                                                                 \
    "  next_ms INTEGER NOT NULL DEFAULT 0,"                                                        \
    "  updated_ms INTEGER NOT NULL,"                                                               \
    "  last_error TEXT,"                                                                           \
    "  interrupted INTEGER NOT NULL DEFAULT 0,"                                                    \
    "  UNIQUE (event, instance))"

/* What a store made by an earlier version rebuilds, in this order. */
static const struct hk_sqlite_table tables[] = {
    {"events", EVENTS_COLUMNS},
    {"deliveries", DELIVERIES_COLUMNS},
};

static const char *const schema =
    "CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);"
    "CREATE TABLE IF NOT EXISTS events " EVENTS_COLUMNS ";"
    "CREATE UNIQUE INDEX IF NOT EXISTS events_dedup ON events(source, event_id)"
    "  WHERE status != 'invalid';"
    /* No index on received_ms: rowids grow with time, so retention walks the table from its
     * oldest rows (prune.c); one B-tree fewer to update per event. */
    "CREATE TABLE IF NOT EXISTS deliveries " DELIVERIES_COLUMNS ";"
    "CREATE INDEX IF NOT EXISTS deliveries_state ON deliveries(state, next_ms);"
    "CREATE INDEX IF NOT EXISTS deliveries_instance ON deliveries(instance, state, id);"
    "INSERT OR REPLACE INTO meta VALUES ('schema', '" AS_TEXT(SCHEMA_VERSION) "');";

/* How many rows each table has in each state, kept by triggers in the same transactions as
 * the rows themselves, so /metrics reads a few rows instead of counting millions on the
 * writer (a full scan of a store of 230k events held every commit up for 156 ms). The
 * triggers cost under a microsecond per row written. */
#define COUNT_UP(tbl, state)                                                                       \
    "INSERT INTO counts VALUES ('" tbl "', " state ", 1) ON CONFLICT DO UPDATE SET n = n + 1;"
#define COUNT_DOWN(tbl, state)                                                                     \
    "UPDATE counts SET n = n - 1 WHERE tbl = '" tbl "' AND state = " state ";"
#define ON_INSERT(tbl, col)                                                                        \
    "CREATE TRIGGER IF NOT EXISTS " tbl "_count_insert AFTER INSERT ON " tbl                       \
    " BEGIN " COUNT_UP(tbl, "new." col) " END;"
#define ON_DELETE(tbl, col)                                                                        \
    "CREATE TRIGGER IF NOT EXISTS " tbl "_count_delete AFTER DELETE ON " tbl                       \
    " BEGIN " COUNT_DOWN(tbl, "old." col) " END;"
#define ON_UPDATE(tbl, col)                                                                        \
    "CREATE TRIGGER IF NOT EXISTS " tbl "_count_update AFTER UPDATE OF " col " ON " tbl            \
    " WHEN old." col " != new." col " BEGIN " COUNT_DOWN(tbl, "old." col)                          \
        COUNT_UP(tbl, "new." col) " END;"

static const char *const counts_schema =
    "CREATE TABLE counts (tbl TEXT NOT NULL, state TEXT NOT NULL, n INTEGER NOT NULL,"
    "  PRIMARY KEY (tbl, state)) WITHOUT ROWID;"
    /* A store made before the table existed is counted once, here. */
    "INSERT INTO counts SELECT 'events', status, count(*) FROM events GROUP BY status;"
    "INSERT INTO counts SELECT 'deliveries', state, count(*) FROM deliveries GROUP BY state;";

#define COUNTED(tbl, col) ON_INSERT(tbl, col) ON_DELETE(tbl, col) ON_UPDATE(tbl, col)

static const char *const counts_triggers =
    COUNTED("events", "status") COUNTED("deliveries", "state");

static const char *const statements[ST_COUNT] = {
    [ST_INSERT_EVENT] = "INSERT OR IGNORE INTO events (source, event_id, type, status, "
                        "invalid_reason, created_ms, received_ms, headers, body) "
                        "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
    [ST_INSERT_DELIVERY] = "INSERT INTO deliveries (event, instance, state, attempts, "
                           "updated_ms, last_error) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    [ST_DONE] = "UPDATE deliveries SET state = 'done', updated_ms = ?1, last_error = NULL "
                "WHERE id = ?2",
    [ST_RETRY] = "UPDATE deliveries SET state = 'retry', next_ms = ?1, updated_ms = ?2, "
                 "last_error = ?3 WHERE id = ?4",
    [ST_DEAD] = "UPDATE deliveries SET state = 'dead', updated_ms = ?1, last_error = ?2 "
                "WHERE id = ?3",
    [ST_LOAD_DUE] = "SELECT d.id, d.instance, d.attempts, e.id, e.source, e.event_id, e.type, "
                    "e.created_ms, e.received_ms, e.body, e.headers, d.interrupted "
                    "FROM deliveries d "
                    "JOIN events e ON e.id = d.event WHERE d.state = 'retry' AND d.next_ms <= ?1 "
                    "ORDER BY d.next_ms LIMIT ?2",
    [ST_LOAD_READY] = "SELECT d.id, d.instance, d.attempts, e.id, e.source, e.event_id, "
                      "e.type, e.created_ms, e.received_ms, e.body, e.headers, d.interrupted "
                      "FROM deliveries d "
                      "JOIN events e ON e.id = d.event WHERE d.instance = ?1 AND "
                      "d.state = 'ready' ORDER BY d.id LIMIT ?2",
    [ST_MARK_RUNNING] = "UPDATE deliveries SET state = 'running', attempts = attempts + 1, "
                        "updated_ms = ?1 WHERE id = ?2",
    [ST_NEXT_DUE] = "SELECT min(next_ms) FROM deliveries WHERE state = 'retry'",
    [ST_KILL_INSTANCE] = "UPDATE deliveries SET state = 'dead', updated_ms = ?1, "
                         "last_error = ?2 WHERE instance = ?3 AND state IN ('ready', 'retry')",
    [ST_INTERRUPTED] = "UPDATE deliveries SET interrupted = interrupted + 1 WHERE id = ?1",
    [ST_ORIGINAL_RECEIVED] = "SELECT received_ms FROM events WHERE source = ?1 AND "
                             "event_id = ?2 AND status != 'invalid'",
};

static bool has_table(sqlite3 *db, const char *name)
{
    sqlite3_stmt *st;
    bool found = false;
    if (sqlite3_prepare_v2(db, "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?1", -1,
                           &st, NULL) == SQLITE_OK) {
        sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
        found = sqlite3_step(st) == SQLITE_ROW;
        sqlite3_finalize(st);
    }
    return found;
}

/* The schema version of the store db holds: 0 for a new store, 1 for one from before the
 * version was kept. */
static int stored_version(sqlite3 *db)
{
    if (!has_table(db, "events"))
        return 0;
    sqlite3_stmt *st;
    int version = 1;
    if (has_table(db, "meta") &&
        sqlite3_prepare_v2(db, "SELECT CAST(value AS INTEGER) FROM meta WHERE key = 'schema'", -1,
                           &st, NULL) == SQLITE_OK) {
        if (sqlite3_step(st) == SQLITE_ROW)
            version = sqlite3_column_int(st, 0);
        sqlite3_finalize(st);
    }
    return version;
}

int hk_sqlite_schema(sqlite3 *db, enum hk_durability d, char *err, size_t cap)
{
    static const char *const pragmas[] = {
        /* Every commit fdatasync()s the WAL before the writer answers its batch: one fsync
         * for all the events the batch holds (group commit). A separate syncer thread that
         * let the writer commit the next batch meanwhile was slower on two cores: 24.6k
         * against 31.5k req/s, one more thread hand-off per batch and smaller commits. */
        [HK_DURABLE_FSYNC] = "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; "
                             "PRAGMA wal_autocheckpoint = " WAL_CHECKPOINT_PAGES ";",
        [HK_DURABLE_OS] = "PRAGMA journal_mode = WAL; PRAGMA synchronous = OFF; "
                          "PRAGMA wal_autocheckpoint = " WAL_CHECKPOINT_PAGES ";",
        [HK_DURABLE_OFF] = "PRAGMA journal_mode = MEMORY; PRAGMA synchronous = OFF;",
    };
    sqlite3_busy_timeout(db, BUSY_TIMEOUT_MS);
    int rc = hk_sqlite_exec(db, pragmas[d], err, cap);
    /* Off while the tables are made or rebuilt (it cannot change inside a transaction). */
    if (rc == 0)
        rc = hk_sqlite_exec(db, "PRAGMA foreign_keys = OFF;", err, cap);
    if (rc == 0)
        rc = hk_sqlite_exec(db, "BEGIN IMMEDIATE;", err, cap);
    if (rc == 0) {
        int from = stored_version(db);
        if (from > 0 && from < SCHEMA_VERSION)
            rc = hk_sqlite_migrate(db, from, tables, sizeof tables / sizeof tables[0], err, cap);
        if (rc == 0)
            rc = hk_sqlite_exec(db, schema, err, cap);
        if (rc == 0 && !has_table(db, "counts"))
            rc = hk_sqlite_exec(db, counts_schema, err, cap);
        if (rc == 0)
            rc = hk_sqlite_exec(db, counts_triggers, err, cap);
        rc = rc ? rc : hk_sqlite_exec(db, "COMMIT;", err, cap);
        if (rc)
            sqlite3_exec(db, "ROLLBACK;", NULL, NULL, NULL);
    }
    if (rc == 0)
        rc = hk_sqlite_exec(db, "PRAGMA foreign_keys = ON;", err, cap);
    return rc;
}

int hk_sqlite_prepare(struct hk_sqlite *s, char *err, size_t cap)
{
    for (int i = 0; i < ST_COUNT; i++) {
        int rc = sqlite3_prepare_v3(s->db, statements[i], -1, SQLITE_PREPARE_PERSISTENT, &s->st[i],
                                    NULL);
        if (rc != SQLITE_OK) {
            snprintf(err, cap, "preparing statement %d: %s", i, sqlite3_errmsg(s->db));
            return HK_ESTORE;
        }
    }
    return 0;
}

int hk_sqlite_bind_text(sqlite3_stmt *st, int i, const char *text)
{
    return text ? sqlite3_bind_text(st, i, text, -1, SQLITE_STATIC) : sqlite3_bind_null(st, i);
}
