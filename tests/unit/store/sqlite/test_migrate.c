/* test_migrate.c -- a store made by an earlier schema opens, is rebuilt to this version's
 * tables, and keeps every event, delivery and count. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "fakes.h"
#include "testutil.h"

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The tables as schema version 3 made them (hookd before #25), byte for byte what its
 * sqlite_master held, with rows in every state. */
static const char *const schema_3 =
    "CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);"
    "CREATE TABLE events (  id INTEGER PRIMARY KEY,  source TEXT NOT NULL,  event_id TEXT,"
    "  type TEXT,  status TEXT NOT NULL CHECK (status IN ('routed','unrouted','invalid')),"
    "  invalid_reason TEXT,  created_ms INTEGER NOT NULL,  received_ms INTEGER NOT NULL,"
    "  headers TEXT NOT NULL,  body BLOB NOT NULL);"
    "CREATE UNIQUE INDEX events_dedup ON events(source, event_id)  WHERE status != 'invalid';"
    "CREATE TABLE deliveries (  id INTEGER PRIMARY KEY,"
    "  event INTEGER NOT NULL REFERENCES events(id) ON DELETE CASCADE,  instance TEXT NOT NULL,"
    "  state TEXT NOT NULL CHECK (state IN ('ready','running','retry','done','dead')),"
    "  attempts INTEGER NOT NULL,  next_ms INTEGER NOT NULL DEFAULT 0,"
    "  updated_ms INTEGER NOT NULL,  last_error TEXT,  interrupted INTEGER NOT NULL DEFAULT 0,"
    "  UNIQUE (event, instance));"
    "CREATE INDEX deliveries_state ON deliveries(state, next_ms);"
    "CREATE INDEX deliveries_instance ON deliveries(instance, state, id);"
    "CREATE TABLE counts (tbl TEXT NOT NULL, state TEXT NOT NULL, n INTEGER NOT NULL,"
    "  PRIMARY KEY (tbl, state)) WITHOUT ROWID;"
    "CREATE TRIGGER events_count_insert AFTER INSERT ON events BEGIN INSERT INTO counts VALUES"
    " ('events', new.status, 1) ON CONFLICT DO UPDATE SET n = n + 1; END;"
    "CREATE TRIGGER events_count_delete AFTER DELETE ON events BEGIN UPDATE counts SET n = n - 1"
    " WHERE tbl = 'events' AND state = old.status; END;"
    "CREATE TRIGGER events_count_update AFTER UPDATE OF status ON events WHEN old.status !="
    " new.status BEGIN UPDATE counts SET n = n - 1 WHERE tbl = 'events' AND state ="
    " old.status;INSERT INTO counts VALUES ('events', new.status, 1) ON CONFLICT DO UPDATE SET"
    " n = n + 1; END;"
    "CREATE TRIGGER deliveries_count_insert AFTER INSERT ON deliveries BEGIN INSERT INTO counts"
    " VALUES ('deliveries', new.state, 1) ON CONFLICT DO UPDATE SET n = n + 1; END;"
    "CREATE TRIGGER deliveries_count_delete AFTER DELETE ON deliveries BEGIN UPDATE counts SET"
    " n = n - 1 WHERE tbl = 'deliveries' AND state = old.state; END;"
    "CREATE TRIGGER deliveries_count_update AFTER UPDATE OF state ON deliveries WHEN old.state"
    " != new.state BEGIN UPDATE counts SET n = n - 1 WHERE tbl = 'deliveries' AND state ="
    " old.state;INSERT INTO counts VALUES ('deliveries', new.state, 1) ON CONFLICT DO UPDATE"
    " SET n = n + 1; END;"
    "INSERT INTO meta VALUES ('schema', '3');"
    "INSERT INTO events VALUES"
    " (1, 'flagright', 'a', 'CASE_OPENED', 'routed', NULL, 10, 11, '{}', x'7b7d'),"
    " (2, 'flagright', 'b', 'CASE_CLOSED', 'unrouted', NULL, 20, 21, '{\"x\":\"y\"}', x'00ff'),"
    " (3, 'stripe', NULL, NULL, 'invalid', 'not JSON', 30, 31, '{}', x'41'),"
    " (7, 'stripe', 'c', 'charge.succeeded', 'routed', NULL, 40, 41, '{}', x'7b7d');"
    "INSERT INTO deliveries VALUES"
    " (1, 1, 'log', 'done', 1, 0, 12, NULL, 0),"
    " (2, 1, 'exec', 'dead', 5, 0, 13, 'exit status 1', 2),"
    " (3, 7, 'log', 'retry', 2, 99, 42, 'timed out', 0),"
    " (4, 7, 'exec', 'ready', 0, 0, 42, NULL, 0),"
    " (5, 2, 'log', 'running', 1, 0, 22, NULL, 1);";

/* Every row of the two tables, as one text. */
static const char *const all_rows =
    "SELECT (SELECT group_concat(quote(id) || quote(source) || quote(event_id) || quote(type) ||"
    " quote(status) || quote(invalid_reason) || quote(created_ms) || quote(received_ms) ||"
    " quote(headers) || quote(body), '|') FROM (SELECT * FROM events ORDER BY id)) || '/' ||"
    " (SELECT group_concat(quote(id) || quote(event) || quote(instance) || quote(state) ||"
    " quote(attempts) || quote(next_ms) || quote(updated_ms) || quote(last_error) ||"
    " quote(interrupted), '|') FROM (SELECT * FROM deliveries ORDER BY id))";

static char *text_of(sqlite3 *db, const char *sql)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
        fail_msg("%s: %s", sql, sqlite3_errmsg(db));
    char *out = strdup(sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0)
                           ? (const char *)sqlite3_column_text(st, 0)
                           : "");
    sqlite3_finalize(st);
    return out;
}

static void assert_text(sqlite3 *db, const char *sql, const char *want)
{
    char *got = text_of(db, sql);
    if (strcmp(got, want) != 0)
        fail_msg("%s: got \"%s\", want \"%s\"", sql, got, want);
    free(got);
}

static void open_and_close(char *path)
{
    hk_store_close(sqlite_open_idle(path, HK_DURABLE_OS));
}

static void test_a_store_of_schema_3_is_rebuilt_keeping_every_row(void **state)
{
    (void)state;
    char path[600];
    snprintf(path, sizeof path, "%s/hookd.db", tu_tmpdir("store_migrate_3"));
    sqlite3 *db;
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    assert_int_equal(sqlite3_exec(db, schema_3, NULL, NULL, NULL), SQLITE_OK);
    char *before = text_of(db, all_rows);
    char *counts_before = text_of(db, "SELECT group_concat(tbl || state || n) FROM counts");
    sqlite3_close(db);

    open_and_close(path);
    open_and_close(path); /* a second open finds nothing to do */

    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    assert_text(db, all_rows, before);
    assert_text(db, "SELECT group_concat(tbl || state || n) FROM counts", counts_before);
    assert_text(db, "SELECT value FROM meta WHERE key = 'schema'", "4");
    assert_text(db, "SELECT count(*) FROM sqlite_master WHERE sql LIKE '% IN (''%'", "0");
    assert_text(db,
                "SELECT group_concat(name) FROM (SELECT name FROM sqlite_master WHERE type IN "
                "('index', 'trigger') AND sql IS NOT NULL ORDER BY name)",
                "deliveries_count_delete,deliveries_count_insert,deliveries_count_update,"
                "deliveries_instance,deliveries_state,events_count_delete,events_count_insert,"
                "events_count_update,events_dedup");
    /* What the rewrite is for: storing an event no longer builds an ephemeral index. */
    sqlite3_stmt *st;
    assert_int_equal(sqlite3_prepare_v2(db,
                                        "EXPLAIN INSERT INTO events (source, event_id, type, "
                                        "status, created_ms, received_ms, headers, body) VALUES "
                                        "('s', 'n', 'T', 'routed', 1, 1, '', x'00')",
                                        -1, &st, NULL),
                     SQLITE_OK);
    while (sqlite3_step(st) == SQLITE_ROW)
        assert_string_not_equal((const char *)sqlite3_column_text(st, 1), "OpenEphemeral");
    sqlite3_finalize(st);

    /* The constraints hold as before: a state outside the list is refused, and deleting an
     * event deletes its deliveries and counts them down. */
    assert_int_not_equal(sqlite3_exec(db,
                                      "INSERT INTO deliveries (event, instance, state, attempts, "
                                      "updated_ms) VALUES (1, 'z', 'lost', 0, 1)",
                                      NULL, NULL, NULL),
                         SQLITE_OK);
    assert_int_equal(sqlite3_exec(db, "PRAGMA foreign_keys = ON; DELETE FROM events WHERE id = 7",
                                  NULL, NULL, NULL),
                     SQLITE_OK);
    assert_text(db, "SELECT count(*) FROM deliveries", "3");
    assert_text(db, "SELECT n FROM counts WHERE tbl = 'deliveries' AND state = 'retry'", "0");
    sqlite3_close(db);
    free(before);
    free(counts_before);
}

/* A store from before schema 3 lacks deliveries.interrupted: the rebuild copies the columns
 * both tables have and gives the missing one its default. */
static void test_a_column_the_old_table_lacks_takes_its_default(void **state)
{
    (void)state;
    char path[600];
    snprintf(path, sizeof path, "%s/hookd.db", tu_tmpdir("store_migrate_2"));
    open_and_close(path);
    sqlite3 *db;
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    assert_int_equal(sqlite3_exec(db,
                                  "ALTER TABLE deliveries DROP COLUMN interrupted;"
                                  "UPDATE meta SET value = '2' WHERE key = 'schema';"
                                  "INSERT INTO events (id, source, event_id, type, status, "
                                  "created_ms, received_ms, headers, body) VALUES "
                                  "(1, 's', 'a', 'T', 'routed', 1, 1, '', x'7b7d');"
                                  "INSERT INTO deliveries (event, instance, state, attempts, "
                                  "updated_ms, last_error) VALUES (1, 'x', 'retry', 3, 5, 'e');",
                                  NULL, NULL, NULL),
                     SQLITE_OK);
    sqlite3_close(db);

    open_and_close(path);

    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    assert_text(db, "SELECT value FROM meta WHERE key = 'schema'", "4");
    assert_text(db,
                "SELECT event || instance || state || attempts || updated_ms || last_error || "
                "interrupted FROM deliveries",
                "1xretry35e0");
    sqlite3_close(db);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_a_store_of_schema_3_is_rebuilt_keeping_every_row),
        cmocka_unit_test(test_a_column_the_old_table_lacks_takes_its_default),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
