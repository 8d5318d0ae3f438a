/* fakes.c -- see fakes.h. */
#include "fakes.h"

#include "base/clock.h"
#include "store/sqlite/sqlite.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define WAIT_LIMIT_MS 20000 /* a bound on waiting, never a speed requirement */

static void fake_complete(struct hk_store *s, struct hk_delivery *d)
{
    struct fake_store *fs = (struct fake_store *)s;
    pthread_mutex_lock(&fs->mu);
    d->next = fs->done;
    fs->done = d;
    fs->ndone++;
    pthread_cond_broadcast(&fs->cond);
    pthread_mutex_unlock(&fs->mu);
}

static void fake_instance_removed(struct hk_store *s, const char *name,
                                  struct hk_task_queue *reply_to)
{
    struct fake_store *fs = (struct fake_store *)s;
    (void)reply_to;
    pthread_mutex_lock(&fs->mu);
    if (fs->nremoved < 8)
        snprintf(fs->removed[fs->nremoved++], sizeof fs->removed[0], "%s", name);
    pthread_mutex_unlock(&fs->mu);
}

static const struct hk_store_ops fake_ops = {
    .name = "fake", .complete = fake_complete, .instance_removed = fake_instance_removed};

void fake_store_init(struct fake_store *fs)
{
    memset(fs, 0, sizeof *fs);
    fs->base.ops = &fake_ops;
    pthread_mutex_init(&fs->mu, NULL);
    assert_int_equal(hk_cond_init_mono(&fs->cond), 0);
}

struct hk_delivery *fake_store_wait(struct fake_store *fs, unsigned n)
{
    pthread_mutex_lock(&fs->mu);
    struct timespec until = hk_mono_deadline(WAIT_LIMIT_MS);
    while (fs->ndone < n && pthread_cond_timedwait(&fs->cond, &fs->mu, &until) == 0)
        ;
    unsigned got = fs->ndone;
    struct hk_delivery *newest = fs->done;
    pthread_mutex_unlock(&fs->mu);
    if (got < n)
        fail_msg("%u outcomes came back, %u expected", got, n);
    return newest;
}

struct hk_delivery *fake_store_find(struct fake_store *fs, int64_t rowid)
{
    pthread_mutex_lock(&fs->mu);
    struct hk_delivery *d = fs->done;
    while (d && d->rowid != rowid)
        d = d->next;
    pthread_mutex_unlock(&fs->mu);
    return d;
}

void fake_store_free(struct fake_store *fs)
{
    while (fs->done) {
        struct hk_delivery *next = fs->done->next;
        hk_delivery_free(fs->done);
        fs->done = next;
    }
    pthread_mutex_destroy(&fs->mu);
    pthread_cond_destroy(&fs->cond);
}

static hookd_result fake_handle(void *state, hookd_ctx *ctx, const hookd_event *ev)
{
    struct fake_instance *f = state;
    (void)ctx;
    (void)ev;
    pthread_mutex_lock(&f->mu);
    f->calls++;
    while (f->mode == FAKE_GATED && !f->open)
        pthread_cond_wait(&f->cond, &f->mu);
    pthread_mutex_unlock(&f->mu);
    return f->mode == FAKE_RETRY ? HOOKD_RETRY : HOOKD_OK;
}

static const char *const star[] = {"*", NULL};

void fake_instance_init(struct fake_instance *f, const char *name, enum fake_mode mode,
                        uint32_t concurrency, uint32_t queue_max)
{
    memset(f, 0, sizeof *f);
    f->mode = mode;
    pthread_mutex_init(&f->mu, NULL);
    pthread_cond_init(&f->cond, NULL);
    f->desc =
        (hookd_plugin){.abi_major = 1, .name = "fake", .subscribe = star, .handle = fake_handle};
    f->lib.desc = &f->desc;
    f->ic = (struct hk_instance_conf){
        .name = name,
        .concurrency = concurrency,
        .queue_max = queue_max,
        .timeout_ms = 30000,
        .crash_limit = 2,
        .retry = {.initial_ms = 5, .max_ms = 40, .max_attempts = 4, .max_age_ms = 3600000}};
    f->inst = (struct hk_instance){
        .conf = &f->ic, .lib = &f->lib, .state = f, .concurrency = concurrency};
    f->inst.ctx = (struct hookd_ctx){.magic = HK_CTX_MAGIC, .inst = &f->inst};
}

void fake_instance_wait_calls(struct fake_instance *f, unsigned n)
{
    struct timespec pause = {0, 1000000};
    for (int waited = 0; waited < WAIT_LIMIT_MS; waited++) {
        pthread_mutex_lock(&f->mu);
        unsigned calls = f->calls;
        pthread_mutex_unlock(&f->mu);
        if (calls >= n)
            return;
        nanosleep(&pause, NULL);
    }
    fail_msg("handle() was called fewer than %u times", n);
}

void fake_instance_open(struct fake_instance *f)
{
    pthread_mutex_lock(&f->mu);
    f->open = true;
    pthread_cond_broadcast(&f->cond);
    pthread_mutex_unlock(&f->mu);
}

void fake_instance_free(struct fake_instance *f)
{
    pthread_mutex_destroy(&f->mu);
    pthread_cond_destroy(&f->cond);
}

struct hk_gen *fake_gen(struct fake_instance **insts, size_t n)
{
    struct hk_gen *g = calloc(1, sizeof *g);
    assert_non_null(g);
    atomic_init(&g->refs, 1);
    g->instances = calloc(n ? n : 1, sizeof *g->instances);
    assert_non_null(g->instances);
    for (size_t i = 0; i < n; i++)
        g->instances[i] = &insts[i]->inst;
    g->ninstances = n;
    return g;
}

void fake_gen_release(struct hk_gen *g)
{
    /* The fakes are not dlopen()ed instances: the generation must not destroy them, so the
     * test gives back the last reference, after every lane let go of it. */
    assert_int_equal(atomic_load(&g->refs), 1);
    free(g->instances);
    g->instances = NULL;
    g->ninstances = 0;
    hk_gen_release(g);
}

struct hk_event_rec *fake_event(const char *id)
{
    struct hk_envelope env = {.valid = true, .created_ms = 1};
    snprintf(env.id, sizeof env.id, "%s", id);
    env.id_len = strlen(env.id);
    snprintf(env.type, sizeof env.type, "CASE_CLOSED");
    env.type_len = strlen(env.type);
    char *body = strdup("{}");
    struct hk_event_rec *ev = hk_event_create("flagright", &env, (uint8_t *)body, strlen(body),
                                              NULL, 0, NULL, hk_wall_ms());
    assert_non_null(ev);
    return ev;
}

struct hk_delivery *fake_delivery(const char *id, int64_t rowid)
{
    struct hk_event_rec *ev = fake_event(id);
    struct hk_delivery *d = hk_delivery_new(ev, rowid, 1);
    hk_event_release(ev);
    assert_non_null(d);
    d->instance = "?";
    return d;
}

struct hk_store *sqlite_open_idle(char *path, enum hk_durability d)
{
    char err[512];
    struct hk_store_conf sc = {.path = path,
                               .durability = d,
                               .dedup_window_ms = 60000,
                               .queue_max = 2,
                               .batch_max = 64,
                               .prune_interval_ms = 3600000};
    struct hk_store *s;
    if (hk_sqlite_open(&sc, &s, err, sizeof err))
        fail_msg("%s", err);
    return s;
}
