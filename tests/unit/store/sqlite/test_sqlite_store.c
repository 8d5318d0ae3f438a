/* test_sqlite_store.c -- the SQLite store with real SQLite files and in-process plugin instances:
 * dedup, the delivery state machine (done, retry with backoff, dead), backlog when a lane
 * is full, and recovery of deliveries a crash left running. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "base/clock.h"
#include "base/err.h"
#include "store/backoff.h"
#include "deliver/dispatch.h"
#include "plugin/instance.h"
#include "store/store.h"
#include "store/sqlite/internal.h"
#include "testutil.h"
#include "fakes.h"

#include <pthread.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define WAIT_LIMIT_MS 20000 /* a bound on waiting, never a speed requirement */

enum mode { OK_ALWAYS, RETRY_TWICE, PERMANENT_ALWAYS, RETRY_ALWAYS, GATED };

/* What one fake instance does and saw. */
struct behaviour {
    enum mode mode;
    pthread_mutex_t mu;
    pthread_cond_t cond;
    bool open; /* GATED: handle() waits until open */
    int calls;
    uint32_t max_attempt_seen;
};

struct fake {
    struct behaviour b;
    hookd_plugin desc;
    struct hk_plugin_lib lib;
    struct hk_instance_conf ic;
    struct hk_instance inst;
};

static const char *const star[] = {"*", NULL};

/* The SQLite store behind the interface's handle, for tests of its internals. */
static struct hk_sqlite *sq(struct hk_store *s)
{
    return (struct hk_sqlite *)s;
}

static hookd_result handle(void *state, hookd_ctx *ctx, const hookd_event *ev)
{
    struct behaviour *b = state;
    pthread_mutex_lock(&b->mu);
    b->calls++;
    if (ev->attempt > b->max_attempt_seen)
        b->max_attempt_seen = ev->attempt;
    while (b->mode == GATED && !b->open)
        pthread_cond_wait(&b->cond, &b->mu);
    pthread_mutex_unlock(&b->mu);
    switch (b->mode) {
    case RETRY_TWICE:
        return ev->attempt < 3 ? HOOKD_RETRY : HOOKD_OK;
    case RETRY_ALWAYS:
        hk_host_api()->log(ctx, HOOKD_LOG_WARN, "downstream is down"); /* becomes the reason */
        return HOOKD_RETRY;
    case PERMANENT_ALWAYS:
        hk_host_api()->log(ctx, HOOKD_LOG_WARN, "payload rejected by the CRM");
        return HOOKD_PERMANENT;
    default:
        return HOOKD_OK;
    }
}

static void fake_init(struct fake *f, const char *name, enum mode mode, uint32_t queue_max)
{
    memset(f, 0, sizeof *f);
    f->b.mode = mode;
    pthread_mutex_init(&f->b.mu, NULL);
    pthread_cond_init(&f->b.cond, NULL);
    f->desc = (hookd_plugin){.abi_major = 1, .name = "fake", .subscribe = star, .handle = handle};
    f->lib.desc = &f->desc;
    f->ic = (struct hk_instance_conf){
        .name = name,
        .concurrency = 2,
        .queue_max = queue_max,
        .timeout_ms = 30000,
        .crash_limit = 2,
        .retry = {.initial_ms = 5, .max_ms = 40, .max_attempts = 4, .max_age_ms = 3600000}};
    f->inst =
        (struct hk_instance){.conf = &f->ic, .lib = &f->lib, .state = &f->b, .concurrency = 2};
    f->inst.ctx = (struct hookd_ctx){.magic = HK_CTX_MAGIC, .inst = &f->inst};
}

/* A running store with its dispatch and a hand-made generation of fake instances. */
struct world {
    uv_loop_t loop;
    struct hk_task_queue replies;
    struct hk_store *store;
    struct hk_dispatch dispatch;
    struct hk_gen *gen;
    struct hk_instance *insts[4];
    struct hk_route_target targets[4];
    char db_path[512];
    int answered;
};

static void world_start(struct world *w, const char *dir, struct fake *fakes, size_t n, bool fresh)
{
    char err[512];
    if (fresh)
        memset(w, 0, sizeof *w);
    snprintf(w->db_path, sizeof w->db_path, "%s/hookd.db", dir);
    struct hk_store_conf sc = {.path = w->db_path,
                               .durability = HK_DURABLE_FSYNC,
                               .dedup_window_ms = 86400000,
                               .queue_max = 1000,
                               .batch_max = 64,
                               .prune_interval_ms = 3600000};
    assert_int_equal(uv_loop_init(&w->loop), 0);
    assert_int_equal(hk_task_queue_init(&w->replies, &w->loop), 0);
    if (hk_sqlite_open(&sc, &w->store, err, sizeof err))
        fail_msg("store: %s", err);
    assert_int_equal(hk_store_recover(w->store, NULL, 0), 0);
    assert_int_equal(hk_dispatch_init(&w->dispatch, w->store, NULL), 0);
    w->gen = calloc(1, sizeof *w->gen);
    atomic_init(&w->gen->refs, 1);
    for (size_t i = 0; i < n; i++) {
        w->insts[i] = &fakes[i].inst;
        w->targets[i] = (struct hk_route_target){fakes[i].ic.name, star, NULL};
    }
    w->gen->instances = w->insts;
    w->gen->ninstances = n;
    assert_int_equal(hk_dispatch_apply(&w->dispatch, w->gen), 0);
    struct hk_store_lanes lanes;
    hk_dispatch_store_lanes(&w->dispatch, &lanes);
    assert_int_equal(hk_store_start(w->store, &lanes), 0);
}

static void world_stop(struct world *w)
{
    hk_dispatch_stop(&w->dispatch, 10000);
    hk_store_stop(w->store);
    w->gen->instances = NULL; /* the fakes are not dlopen()ed instances */
    w->gen->ninstances = 0;
    hk_dispatch_free(&w->dispatch);
    hk_gen_release(w->gen);
    hk_store_close(w->store);
    hk_task_queue_close(&w->replies);
    uv_run(&w->loop, UV_RUN_DEFAULT);
    uv_loop_close(&w->loop);
}

static int last_result;

static void on_answer(struct hk_task *t)
{
    struct hk_ingest *op = (struct hk_ingest *)t;
    struct world *w = op->user;
    last_result = op->result;
    w->answered++;
    hk_event_release(op->ev);
    free(op);
}

/* Submits one event with id for the named instances and waits for the store's answer. */
static int ingest(struct world *w, const char *id, const char *const *names, size_t n)
{
    struct hk_ingest *op = calloc(1, sizeof *op + n * sizeof op->targets[0]);
    op->ev = fake_event(id);
    op->ntargets = n;
    if (n)
        memcpy(op->targets, names, n * sizeof *names);
    op->user = w;
    op->reply_to = &w->replies;
    op->task.run = on_answer;
    int before = w->answered;
    assert_int_equal(hk_store_submit(w->store, op), 0);
    while (w->answered == before)
        uv_run(&w->loop, UV_RUN_ONCE);
    return last_result;
}

/* Waits until the query's single integer result equals want; fails after WAIT_LIMIT_MS. */
static void wait_count(struct world *w, const char *sql, long want)
{
    sqlite3 *db;
    assert_int_equal(sqlite3_open_v2(w->db_path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    sqlite3_busy_timeout(db, 1000);
    long got = -1;
    for (int waited = 0; waited < WAIT_LIMIT_MS; waited += 10) {
        sqlite3_stmt *st;
        assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
        got = sqlite3_step(st) == SQLITE_ROW ? (long)sqlite3_column_int64(st, 0) : -1;
        sqlite3_finalize(st);
        if (got == want)
            break;
        usleep(10000);
    }
    sqlite3_close(db);
    if (got != want)
        fail_msg("%s: got %ld, want %ld", sql, got, want);
}

static char *query_text(struct world *w, const char *sql)
{
    sqlite3 *db;
    sqlite3_stmt *st;
    sqlite3_open_v2(w->db_path, &db, SQLITE_OPEN_READONLY, NULL);
    assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
    char *out = sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0)
                    ? strdup((const char *)sqlite3_column_text(st, 0))
                    : strdup("");
    sqlite3_finalize(st);
    sqlite3_close(db);
    return out;
}

/* The counts table (kept by triggers) says what counting the rows says, state by state. */
static void assert_counts_exact(const char *db_path)
{
    static const char *const actual =
        "SELECT 'events', status, count(*) FROM events GROUP BY status UNION ALL "
        "SELECT 'deliveries', state, count(*) FROM deliveries GROUP BY state";
    static const char *const kept = "SELECT tbl, state, n FROM counts WHERE n != 0";
    char sql[512];
    sqlite3 *db;
    sqlite3_stmt *st;
    assert_int_equal(sqlite3_open_v2(db_path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    for (int way = 0; way < 2; way++) {
        snprintf(sql, sizeof sql,
                 "SELECT count(*) FROM (SELECT * FROM (%s) EXCEPT SELECT * FROM (%s))",
                 way ? kept : actual, way ? actual : kept);
        assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
        assert_int_equal(sqlite3_step(st), SQLITE_ROW);
        if (sqlite3_column_int(st, 0) != 0)
            fail_msg("counts and rows differ (%s)", way ? "counts has more" : "rows have more");
        sqlite3_finalize(st);
    }
    sqlite3_close(db);
}

static void test_deliver_and_dedup(void **state)
{
    (void)state;
    struct fake f[2];
    struct world w;
    fake_init(&f[0], "a", OK_ALWAYS, 100);
    fake_init(&f[1], "b", OK_ALWAYS, 100);
    world_start(&w, tu_tmpdir("store_dedup"), f, 2, true);
    const char *both[] = {"a", "b"};
    for (int i = 0; i < 20; i++) {
        char id[16];
        snprintf(id, sizeof id, "e%d", i);
        assert_int_equal(ingest(&w, id, both, 2), 0);
    }
    assert_int_equal(ingest(&w, "e3", both, 2), HK_EEXIST);
    assert_int_equal(ingest(&w, "nobody", NULL, 0), 0);
    wait_count(&w, "SELECT count(*) FROM deliveries WHERE state = 'done'", 40);
    wait_count(&w, "SELECT count(*) FROM events", 21);
    wait_count(&w, "SELECT count(*) FROM events WHERE status = 'unrouted'", 1);
    world_stop(&w);
    assert_counts_exact(w.db_path);
    assert_int_equal(f[0].b.calls, 20);
    assert_int_equal(f[1].b.calls, 20);
}

static void test_retry_then_ok_and_dead_letters(void **state)
{
    (void)state;
    struct fake f[3];
    struct world w;
    fake_init(&f[0], "flaky", RETRY_TWICE, 100);
    fake_init(&f[1], "broken", PERMANENT_ALWAYS, 100);
    fake_init(&f[2], "down", RETRY_ALWAYS, 100);
    world_start(&w, tu_tmpdir("store_retry"), f, 3, true);
    const char *all3[] = {"flaky", "broken", "down"};
    assert_int_equal(ingest(&w, "r1", all3, 3), 0);
    wait_count(&w, "SELECT attempts FROM deliveries WHERE instance = 'flaky' AND state = 'done'",
               3);
    wait_count(&w, "SELECT attempts FROM deliveries WHERE instance = 'broken' AND state = 'dead'",
               1);
    wait_count(&w, "SELECT attempts FROM deliveries WHERE instance = 'down' AND state = 'dead'", 4);
    char *why = query_text(&w, "SELECT last_error FROM deliveries WHERE instance = 'broken'");
    assert_string_equal(why, "payload rejected by the CRM");
    free(why);
    why = query_text(&w, "SELECT last_error FROM deliveries WHERE instance = 'down'");
    assert_non_null(strstr(why, "gave up after 4 attempts (max_attempts): downstream is down"));
    free(why);
    world_stop(&w);
    assert_counts_exact(w.db_path);
    assert_int_equal(f[0].b.max_attempt_seen, 3);
    assert_int_equal(f[2].b.calls, 4);
}

static void test_backlog_when_lane_full(void **state)
{
    (void)state;
    struct fake f[1];
    struct world w;
    fake_init(&f[0], "slow", GATED, 3); /* 3 queued at most, 2 workers */
    world_start(&w, tu_tmpdir("store_backlog"), f, 1, true);
    const char *slow[] = {"slow"};
    for (int i = 0; i < 30; i++) {
        char id[16];
        snprintf(id, sizeof id, "b%d", i);
        assert_int_equal(ingest(&w, id, slow, 1), 0); /* never refused: the store keeps them */
    }
    wait_count(&w, "SELECT count(*) FROM deliveries WHERE state = 'ready'", 25);
    /* The lane is full and nothing finishes: the writer sleeps instead of scanning again and
     * again (it used to commit empty batches in a loop). */
    bool sleeping = false;
    for (int waited = 0; !sleeping && waited < WAIT_LIMIT_MS; waited += 10) {
        pthread_mutex_lock(&sq(w.store)->mu);
        sleeping = sq(w.store)->writer_waiting;
        pthread_mutex_unlock(&sq(w.store)->mu);
        if (!sleeping)
            usleep(10000);
    }
    assert_true(sleeping);
    pthread_mutex_lock(&f[0].b.mu);
    f[0].b.open = true;
    pthread_cond_broadcast(&f[0].b.cond);
    pthread_mutex_unlock(&f[0].b.mu);
    wait_count(&w, "SELECT count(*) FROM deliveries WHERE state = 'done'", 30);
    world_stop(&w);
    assert_int_equal(f[0].b.calls, 30);
}

static void test_backoff_grows_with_full_jitter(void **state)
{
    (void)state;
    struct hk_retry_conf r = {.initial_ms = 100, .max_ms = 3000, .max_attempts = 10};
    uint64_t rng = 42;
    for (uint32_t attempt = 1; attempt <= 8; attempt++) {
        int64_t bound = 100LL << (attempt - 1), seen_max = 0;
        if (bound > 3000)
            bound = 3000;
        for (int i = 0; i < 2000; i++) {
            int64_t d = hk_backoff_ms(&r, attempt, &rng);
            assert_true(d >= 1 && d <= bound);
            if (d > seen_max)
                seen_max = d;
        }
        assert_true(seen_max > bound * 9 / 10); /* draws cover the whole range */
    }
}

static void test_recovery_of_running_deliveries(void **state)
{
    (void)state;
    struct fake f[1];
    struct world w;
    char dir[512];
    snprintf(dir, sizeof dir, "%s", tu_tmpdir("store_recovery"));
    fake_init(&f[0], "a", GATED, 100);
    world_start(&w, dir, f, 1, true);
    const char *a[] = {"a"};
    assert_int_equal(ingest(&w, "c1", a, 1), 0);
    assert_int_equal(ingest(&w, "c2", a, 1), 0);
    wait_count(&w, "SELECT count(*) FROM deliveries WHERE state = 'running'", 2);
    /* Crash: the store is abandoned with the deliveries running (a copy of the file stands in
     * for the process that died; the live store keeps its own). */
    char cmd[1200];
    char crashed[512];
    snprintf(crashed, sizeof crashed, "%s", tu_tmpdir("store_recovery_crashed"));
    snprintf(cmd, sizeof cmd, "cp %s/hookd.db* %s/", dir, crashed);
    assert_int_equal(system(cmd), 0);
    pthread_mutex_lock(&f[0].b.mu);
    f[0].b.open = true;
    pthread_cond_broadcast(&f[0].b.cond);
    pthread_mutex_unlock(&f[0].b.mu);
    world_stop(&w);

    struct fake g[1];
    fake_init(&g[0], "a", OK_ALWAYS, 100);
    world_start(&w, crashed, g, 1, true);
    wait_count(&w, "SELECT count(*) FROM deliveries WHERE state = 'done' AND attempts = 2", 2);
    world_stop(&w);
    assert_counts_exact(w.db_path);
    assert_int_equal(g[0].b.calls, 2);
    assert_int_equal(g[0].b.max_attempt_seen, 2); /* the plugin learns it may have seen them */
}

/* A read job that holds its read transaction open until the test lets it go. */
struct slow_read {
    struct hk_sqlite_job job;
    pthread_mutex_t mu;
    pthread_cond_t cond;
    bool started, let_go, timed_out, done;
    long events_seen;
};

static void slow_read_fn(struct hk_sqlite_job *job, sqlite3 *db, struct hk_sqlite *s)
{
    struct slow_read *r = (struct slow_read *)job;
    sqlite3_stmt *st;
    (void)s;
    sqlite3_exec(db, "BEGIN", NULL, NULL, NULL);
    sqlite3_prepare_v2(db, "SELECT count(*) FROM events", -1, &st, NULL);
    r->events_seen = sqlite3_step(st) == SQLITE_ROW ? (long)sqlite3_column_int64(st, 0) : -1;
    sqlite3_finalize(st);
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += WAIT_LIMIT_MS / 1000;
    pthread_mutex_lock(&r->mu);
    r->started = true;
    pthread_cond_broadcast(&r->cond);
    while (!r->let_go && !r->timed_out)
        r->timed_out = pthread_cond_timedwait(&r->cond, &r->mu, &until) != 0;
    pthread_mutex_unlock(&r->mu);
    sqlite3_exec(db, "COMMIT", NULL, NULL, NULL);
}

static void slow_read_done(struct hk_task *t)
{
    ((struct slow_read *)t)->done = true;
}

/* While an operator's query reads (here: holds its read transaction open), events are still
 * committed and answered: reads run on the reader's own connection, not on the writer. */
static void test_reads_do_not_hold_up_commits(void **state)
{
    (void)state;
    struct fake f[1];
    struct world w;
    fake_init(&f[0], "a", OK_ALWAYS, 100);
    world_start(&w, tu_tmpdir("store_reader"), f, 1, true);
    const char *a[] = {"a"};
    assert_int_equal(ingest(&w, "before", a, 1), 0);
    struct slow_read r = {
        .job = {.task.run = slow_read_done, .reply_to = &w.replies, .fn = slow_read_fn}};
    pthread_mutex_init(&r.mu, NULL);
    pthread_cond_init(&r.cond, NULL);
    hk_sqlite_run_read_job(sq(w.store), &r.job);
    pthread_mutex_lock(&r.mu);
    while (!r.started)
        pthread_cond_wait(&r.cond, &r.mu);
    pthread_mutex_unlock(&r.mu);
    assert_int_equal(ingest(&w, "during", a, 1), 0); /* committed while the read holds on */
    pthread_mutex_lock(&r.mu);
    r.let_go = true;
    pthread_cond_broadcast(&r.cond);
    pthread_mutex_unlock(&r.mu);
    while (!r.done)
        uv_run(&w.loop, UV_RUN_ONCE);
    assert_false(r.timed_out); /* on the writer, "during" would have waited for the read */
    assert_int_equal(r.events_seen, 1);
    wait_count(&w, "SELECT count(*) FROM events", 2);
    world_stop(&w);
    pthread_mutex_destroy(&r.mu);
    pthread_cond_destroy(&r.cond);
}

/* A store opened in a fresh directory named dir (at path, which has room for 600 bytes), its
 * writer not started. */
static struct hk_store *open_idle(const char *dir, enum hk_durability durability, char *path)
{
    snprintf(path, 600, "%s/hookd.db", tu_tmpdir(dir));
    return sqlite_open_idle(path, durability);
}

/* With the writer not started, the queue fills: the next request is refused at once (503)
 * instead of waiting for what cannot be stored soon. */
static void test_queue_full_refuses(void **state)
{
    (void)state;
    char path[600];
    struct hk_store *s = open_idle("store_full_queue", HK_DURABLE_OFF, path);
    struct hk_ingest *ops[3];
    for (int i = 0; i < 3; i++) {
        ops[i] = calloc(1, sizeof *ops[i]);
        int rc = hk_store_submit(s, ops[i]);
        assert_int_equal(rc, i < 2 ? 0 : HK_EFULL);
    }
    assert_int_equal(hk_store_retry_after(HK_EFULL), HK_STORE_RETRY_QUEUE_S);
    hk_store_close(s); /* never started: the queued requests were never taken */
    for (int i = 0; i < 3; i++)
        free(ops[i]);
}

/* More old dead letters at the start of the table than one pruning pass walks: the passes
 * after it still reach, and delete, the delivered events behind them. */
static void test_prune_reaches_past_kept_rows(void **state)
{
    (void)state;
    char path[600];
    struct hk_store *s = open_idle("store_prune", HK_DURABLE_OS, path);
    sqlite3 *db;
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    assert_int_equal(
        sqlite3_exec(
            db,
            "BEGIN;"
            "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 12005)"
            " INSERT INTO events (id, source, event_id, type, status, created_ms,"
            " received_ms, headers, body) SELECT i, 'src', 'e' || i, 'T', 'routed', 1, 1,"
            " '', x'7b7d' FROM n;"
            "INSERT INTO deliveries (event, instance, state, attempts, updated_ms)"
            " SELECT id, 'inst', CASE WHEN id <= 12000 THEN 'dead' ELSE 'done' END, 1, 1"
            " FROM events;"
            "COMMIT;",
            NULL, NULL, NULL),
        SQLITE_OK);
    int64_t now = 10 * 60000;
    for (int pass = 0; pass < 3; pass++)
        hk_sqlite_prune(sq(s), now);
    sqlite3_stmt *st;
    assert_int_equal(sqlite3_prepare_v2(db, "SELECT count(*) FROM events", -1, &st, NULL),
                     SQLITE_OK);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    assert_int_equal(sqlite3_column_int(st, 0), 12000); /* the 5 delivered ones are gone */
    sqlite3_finalize(st);
    sqlite3_close(db);
    hk_store_close(s);
    assert_counts_exact(path); /* deletes, and the deliveries they cascaded to, counted down */
}

/* A store made before the counts table existed gets it, counted from its rows, when it is
 * opened; from then on the triggers keep it. */
static void test_counts_added_to_an_older_store(void **state)
{
    (void)state;
    char path[600];
    struct hk_store *s = open_idle("store_counts_upgrade", HK_DURABLE_OS, path);
    hk_store_close(s);
    sqlite3 *db;
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    assert_int_equal(
        sqlite3_exec(db,
                     "DROP TABLE counts;"
                     "DROP TRIGGER events_count_insert; DROP TRIGGER events_count_delete;"
                     "DROP TRIGGER events_count_update; DROP TRIGGER deliveries_count_insert;"
                     "DROP TRIGGER deliveries_count_delete; DROP TRIGGER deliveries_count_update;"
                     "INSERT INTO events (id, source, event_id, type, status, created_ms,"
                     " received_ms, headers, body) VALUES"
                     " (1, 's', 'a', 'T', 'routed', 1, 1, '', x'7b7d'),"
                     " (2, 's', 'b', 'T', 'unrouted', 1, 1, '', x'7b7d'),"
                     " (3, 's', NULL, NULL, 'invalid', 1, 1, '', x'7b7d');"
                     "INSERT INTO deliveries (event, instance, state, attempts, updated_ms)"
                     " VALUES (1, 'x', 'dead', 1, 1), (1, 'y', 'running', 1, 1);",
                     NULL, NULL, NULL),
        SQLITE_OK);
    sqlite3_close(db);
    s = sqlite_open_idle(path, HK_DURABLE_OS);
    hk_store_close(s);
    assert_counts_exact(path); /* 'running' became 'ready' at open: counted by the trigger */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_deliver_and_dedup),
        cmocka_unit_test(test_retry_then_ok_and_dead_letters),
        cmocka_unit_test(test_backlog_when_lane_full),
        cmocka_unit_test(test_backoff_grows_with_full_jitter),
        cmocka_unit_test(test_recovery_of_running_deliveries),
        cmocka_unit_test(test_queue_full_refuses),
        cmocka_unit_test(test_prune_reaches_past_kept_rows),
        cmocka_unit_test(test_counts_added_to_an_older_store),
        cmocka_unit_test(test_reads_do_not_hold_up_commits),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
