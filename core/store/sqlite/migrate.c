/* migrate.c -- a store made by an earlier hookd brought to this version's tables.
 *
 * SQLite cannot change a column's CHECK in place, so a table whose definition changed is
 * rebuilt, SQLite's documented way: a new table made with today's definition, the rows copied
 * into it, the old table dropped and the new one renamed to its name. Foreign keys must be off
 * meanwhile (dropping events would otherwise delete every delivery with it); the caller turns
 * them off before its transaction and the indexes and triggers, dropped with the old tables,
 * come back from the schema it runs next in the same transaction, so a store is either wholly
 * old or wholly new, whatever stops the process. */
#include "store/sqlite/internal.h"

#include "base/clock.h"
#include "base/err.h"
#include "base/log.h"

#include <stdio.h>
#include <stdlib.h>

#define NEW_PREFIX "hk_new_"

int hk_sqlite_exec(sqlite3 *db, const char *sql, char *err, size_t cap)
{
    char *msg = NULL;
    int rc = sqlite3_exec(db, sql, NULL, NULL, &msg);
    if (rc != SQLITE_OK)
        snprintf(err, cap, "%s", msg ? msg : sqlite3_errstr(rc));
    sqlite3_free(msg);
    return rc == SQLITE_OK ? 0 : HK_ESTORE;
}

/* The columns the old table and its replacement share, as "a, b, c" (sqlite3_free it). A
 * column the old table lacks takes its default in the new one. */
static char *shared_columns(sqlite3 *db, const char *table)
{
    sqlite3_stmt *st;
    char *list = NULL;
    if (sqlite3_prepare_v2(db,
                           "SELECT group_concat(name, ', ') FROM pragma_table_info(?1) WHERE name "
                           "IN (SELECT name FROM pragma_table_info(?2))",
                           -1, &st, NULL) != SQLITE_OK)
        return NULL;
    char *new_table = sqlite3_mprintf(NEW_PREFIX "%s", table);
    sqlite3_bind_text(st, 1, new_table, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, table, -1, SQLITE_STATIC);
    if (new_table && sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0))
        list = sqlite3_mprintf("%s", (const char *)sqlite3_column_text(st, 0));
    sqlite3_finalize(st);
    sqlite3_free(new_table);
    return list;
}

static int rebuild(sqlite3 *db, const struct hk_sqlite_table *t, char *err, size_t cap)
{
    char *sql = sqlite3_mprintf("CREATE TABLE " NEW_PREFIX "%s %s;", t->name, t->columns);
    int rc = sql ? hk_sqlite_exec(db, sql, err, cap) : HK_ENOMEM;
    sqlite3_free(sql);
    char *columns = rc ? NULL : shared_columns(db, t->name);
    if (rc == 0 && !columns) {
        snprintf(err, cap, "table %s: cannot list its columns: %s", t->name, sqlite3_errmsg(db));
        rc = HK_ESTORE;
    }
    if (rc == 0) {
        sql = sqlite3_mprintf("INSERT INTO " NEW_PREFIX "%s (%s) SELECT %s FROM %s;"
                              "DROP TABLE %s;"
                              "ALTER TABLE " NEW_PREFIX "%s RENAME TO %s;",
                              t->name, columns, columns, t->name, t->name, t->name, t->name);
        rc = sql ? hk_sqlite_exec(db, sql, err, cap) : HK_ENOMEM;
        sqlite3_free(sql);
    }
    sqlite3_free(columns);
    return rc;
}

int hk_sqlite_migrate(sqlite3 *db, int from, const struct hk_sqlite_table *tables, size_t n,
                      char *err, size_t cap)
{
    hk_log(HK_LOG_INFO,
           "upgrading the store's tables to this version's schema, once; a large store takes a "
           "while",
           HK_I("from_schema", from));
    int64_t start = hk_mono_ms();
    for (size_t i = 0; i < n; i++) {
        int rc = rebuild(db, &tables[i], err, cap);
        if (rc)
            return rc;
    }
    hk_log(HK_LOG_INFO, "store's tables upgraded", HK_I("from_schema", from),
           HK_I("ms", hk_mono_ms() - start));
    return 0;
}
