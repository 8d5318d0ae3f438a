/* outcome.c -- the delivery state machine after a plugin call:
 *   OK -> done;  PERMANENT -> dead;  RETRY -> retry (backoff) or dead when attempts or age
 *   run out. */
#include "store/sqlite/internal.h"

#include "base/log.h"
#include "store/backoff.h"

#include <stdio.h>
#include <stdlib.h>

static int step_dead(struct hk_sqlite *s, int64_t row, int64_t now, const char *why)
{
    sqlite3_stmt *st = s->st[ST_DEAD];
    sqlite3_reset(st);
    sqlite3_bind_int64(st, 1, now);
    hk_sqlite_bind_text(st, 2, why);
    sqlite3_bind_int64(st, 3, row);
    return sqlite3_step(st) == SQLITE_DONE ? SQLITE_OK : sqlite3_errcode(s->db);
}

static int step_done(struct hk_sqlite *s, int64_t row, int64_t now)
{
    sqlite3_stmt *st = s->st[ST_DONE];
    sqlite3_reset(st);
    sqlite3_bind_int64(st, 1, now);
    sqlite3_bind_int64(st, 2, row);
    return sqlite3_step(st) == SQLITE_DONE ? SQLITE_OK : sqlite3_errcode(s->db);
}

static int step_retry(struct hk_sqlite *s, int64_t row, int64_t next, int64_t now, const char *why)
{
    sqlite3_stmt *st = s->st[ST_RETRY];
    sqlite3_reset(st);
    sqlite3_bind_int64(st, 1, next);
    sqlite3_bind_int64(st, 2, now);
    hk_sqlite_bind_text(st, 3, why);
    sqlite3_bind_int64(st, 4, row);
    return sqlite3_step(st) == SQLITE_DONE ? SQLITE_OK : sqlite3_errcode(s->db);
}

static int retry_or_give_up(struct hk_sqlite *s, struct hk_delivery *d, int64_t now)
{
    const struct hk_retry_conf r = d->retry;
    char why[HK_ERROR_TEXT_MAX + 64];
    const char *err = d->error[0] ? d->error : "the plugin asked for a retry";
    if (d->attempt >= r.max_attempts || now - d->ev->received_ms >= r.max_age_ms) {
        snprintf(why, sizeof why, "gave up after %u attempts (%s): %s", d->attempt,
                 d->attempt >= r.max_attempts ? "max_attempts" : "max_age", err);
        hk_log(HK_LOG_WARN, "delivery dead-lettered", HK_S("instance", d->instance),
               HK_S("id", d->ev->id), HK_I("attempts", d->attempt), HK_S("reason", why));
        return step_dead(s, d->rowid, now, why);
    }
    int64_t delay = hk_backoff_ms(&r, d->attempt, &s->rng);
    int64_t next = now + delay;
    hk_log(HK_LOG_DEBUG, "retry scheduled", HK_S("instance", d->instance), HK_S("id", d->ev->id),
           HK_I("attempt", d->attempt), HK_I("delay_ms", delay),
           HK_I("bound_ms", hk_backoff_bound_ms(&r, d->attempt)));
    if (next < s->next_due_ms)
        s->next_due_ms = next;
    return step_retry(s, d->rowid, next, now, err);
}

/* A worker died inside handle() (isolation): one more interrupted attempt, kept. */
static int count_interrupted(struct hk_sqlite *s, int64_t row)
{
    sqlite3_stmt *st = s->st[ST_INTERRUPTED];
    sqlite3_reset(st);
    sqlite3_bind_int64(st, 1, row);
    return sqlite3_step(st) == SQLITE_DONE ? SQLITE_OK : sqlite3_errcode(s->db);
}

static int apply_one(struct hk_sqlite *s, struct hk_delivery *d, int64_t now)
{
    if (d->crashed) {
        int rc = count_interrupted(s, d->rowid);
        if (rc != SQLITE_OK)
            return rc;
    }
    switch (d->result) {
    case HOOKD_OK:
        return step_done(s, d->rowid, now);
    case HOOKD_RETRY:
        return retry_or_give_up(s, d, now);
    default:
        hk_log(HK_LOG_WARN, "delivery dead-lettered", HK_S("instance", d->instance),
               HK_S("id", d->ev->id), HK_I("attempts", d->attempt),
               HK_S("reason", d->error[0] ? d->error : "the plugin said it can never succeed"));
        return step_dead(s, d->rowid, now,
                         d->error[0] ? d->error : "the plugin said it can never succeed");
    }
}

int hk_sqlite_outcomes(struct hk_sqlite *s, struct hk_delivery *list, int64_t now)
{
    for (struct hk_delivery *d = list; d; d = d->next) {
        int rc = apply_one(s, d, now);
        if (rc != SQLITE_OK)
            return rc;
        if (d->at->backlog)
            s->backlog = true; /* a slot freed: waiting deliveries can move up */
    }
    return SQLITE_OK;
}
