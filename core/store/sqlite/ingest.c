/* ingest.c -- inserting accepted events and their deliveries, deduplicating on
 * (source, id). */
#include "store/sqlite/internal.h"

#include "base/err.h"
#include "base/log.h"

#include <stdio.h>
#include <stdlib.h>

static const char *status_of(const struct hk_ingest *op)
{
    if (op->ev->status == HK_EVENT_INVALID)
        return "invalid";
    return op->ntargets ? "routed" : "unrouted";
}

static int insert_event(struct hk_sqlite *s, struct hk_ingest *op, int64_t *rowid)
{
    struct hk_event_rec *e = op->ev;
    sqlite3_stmt *st = s->st[ST_INSERT_EVENT];
    sqlite3_reset(st);
    hk_sqlite_bind_text(st, 1, e->source);
    hk_sqlite_bind_text(st, 2, e->id[0] ? e->id : NULL);
    hk_sqlite_bind_text(st, 3, e->type[0] ? e->type : NULL);
    hk_sqlite_bind_text(st, 4, status_of(op));
    hk_sqlite_bind_text(st, 5, e->invalid_reason);
    sqlite3_bind_int64(st, 6, e->created_ms);
    sqlite3_bind_int64(st, 7, e->received_ms);
    hk_sqlite_bind_text(st, 8, e->headers_text);
    sqlite3_bind_blob64(st, 9, e->body, e->body_len, SQLITE_STATIC);
    int rc = sqlite3_step(st);
    if (rc != SQLITE_DONE)
        return rc;
    *rowid = sqlite3_changes(s->db) ? sqlite3_last_insert_rowid(s->db) : 0;
    return SQLITE_OK;
}

enum placement { TO_MEMORY, TO_STORE, TO_DEAD };

/* A new delivery goes straight to its lane's memory when the lane has room and nothing of
 * its instance waits in the store (first come, first served); otherwise it waits as 'ready'.
 * When the instance has just been removed by a reload (the request was routed by the
 * generation before), the delivery is a dead letter saying so, like the others the instance
 * left. */
static enum placement place(struct hk_sqlite *s, struct hk_lane *lane, struct hk_store_lane *at)
{
    if (!lane)
        return TO_DEAD;
    if (at->backlog)
        return TO_STORE;
    if (s->lanes.room(lane) > at->planned)
        return TO_MEMORY;
    at->backlog = true;
    return TO_STORE;
}

static const char *const state_names[] = {"running", "ready", "dead"};

static int insert_delivery(struct hk_sqlite *s, struct hk_ingest *op, int64_t event_row,
                           const char *instance, int64_t now)
{
    struct hk_store_lane *at = hk_sqlite_lane_get(s, instance);
    if (!at)
        return SQLITE_NOMEM;
    struct hk_lane *lane = s->lanes.find(s->lanes.self, instance);
    enum placement where = place(s, lane, at);
    char why[HK_WHY_MAX];
    if (where == TO_DEAD)
        hk_delivery_removed_error(instance, why, sizeof why);
    sqlite3_stmt *st = s->st[ST_INSERT_DELIVERY];
    sqlite3_reset(st);
    sqlite3_bind_int64(st, 1, event_row);
    hk_sqlite_bind_text(st, 2, instance);
    hk_sqlite_bind_text(st, 3, state_names[where]);
    sqlite3_bind_int(st, 4, where == TO_MEMORY ? 1 : 0);
    sqlite3_bind_int64(st, 5, now);
    hk_sqlite_bind_text(st, 6, where == TO_DEAD ? why : NULL);
    int rc = sqlite3_step(st);
    if (rc != SQLITE_DONE)
        return rc;
    if (where == TO_STORE)
        s->backlog = true;
    if (where != TO_MEMORY)
        return SQLITE_OK;
    struct hk_delivery *d = hk_delivery_new(op->ev, sqlite3_last_insert_rowid(s->db), 1);
    if (!d)
        return SQLITE_NOMEM;
    hk_sqlite_plan_push(s, d, at, lane);
    return SQLITE_OK;
}

/* A resend of an event committed before the table of recent events was last emptied (a
 * restart): the original's receive time, so that later resends are answered from memory. */
static void original_received(struct hk_sqlite *s, struct hk_ingest *op)
{
    sqlite3_stmt *st = s->st[ST_ORIGINAL_RECEIVED];
    sqlite3_reset(st);
    hk_sqlite_bind_text(st, 1, op->ev->source);
    hk_sqlite_bind_text(st, 2, op->ev->id[0] ? op->ev->id : NULL);
    op->original_received_ms = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
    sqlite3_reset(st);
}

int hk_sqlite_ingest_batch(struct hk_sqlite *s, struct hk_ingest *ops, int64_t now)
{
    for (struct hk_ingest *op = ops; op; op = op->next) {
        int64_t row = 0;
        int rc = insert_event(s, op, &row);
        if (rc != SQLITE_OK)
            return rc;
        if (row == 0) {
            op->result = HK_EEXIST;
            original_received(s, op);
            continue;
        }
        op->ev->rowid = row;
        op->result = 0;
        for (size_t i = 0; i < op->ntargets; i++)
            if ((rc = insert_delivery(s, op, row, op->targets[i], now)) != SQLITE_OK)
                return rc;
    }
    return SQLITE_OK;
}
