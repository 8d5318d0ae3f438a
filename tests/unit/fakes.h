/* fakes.h -- a fake store and fake in-process instances for the delivery half's unit tests:
 * lanes and dispatch run for real against them, with nothing dlopen()ed and no database. */
#ifndef HK_TEST_FAKES_H
#define HK_TEST_FAKES_H

#include "deliver/gen.h"
#include "plugin/instance.h"
#include "store/store.h"

#include <pthread.h>
#include <stdbool.h>

/* A store that only records: every outcome handed back (complete) and every instance it is
 * told was removed. Other operations are not used by the delivery half. */
struct fake_store {
    struct hk_store base;
    pthread_mutex_t mu;
    pthread_cond_t cond;
    struct hk_delivery *done; /* outcomes, newest first; freed by fake_store_free */
    unsigned ndone;
    char removed[8][64];
    unsigned nremoved;
};
void fake_store_init(struct fake_store *fs);
/* Waits until n outcomes came back (fails the test after a bound); returns the newest. */
struct hk_delivery *fake_store_wait(struct fake_store *fs, unsigned n);
/* The outcome of the delivery with rowid, or NULL. */
struct hk_delivery *fake_store_find(struct fake_store *fs, int64_t rowid);
void fake_store_free(struct fake_store *fs);

/* What a fake instance's handle() does: answer at once, or wait until opened. */
enum fake_mode { FAKE_OK, FAKE_RETRY, FAKE_GATED };

struct fake_instance {
    enum fake_mode mode;
    pthread_mutex_t mu;
    pthread_cond_t cond;
    bool open;
    unsigned calls;
    hookd_plugin desc;
    struct hk_plugin_lib lib;
    struct hk_instance_conf ic;
    struct hk_instance inst;
};
void fake_instance_init(struct fake_instance *f, const char *name, enum fake_mode mode,
                        uint32_t concurrency, uint32_t queue_max);
/* Waits until handle() was called n times in all (fails the test after a bound). */
void fake_instance_wait_calls(struct fake_instance *f, unsigned n);
/* Lets every gated call return, now and from now on. */
void fake_instance_open(struct fake_instance *f);
void fake_instance_free(struct fake_instance *f);

/* A hand-made generation of fake instances (no reaper: the last release frees it). */
struct hk_gen *fake_gen(struct fake_instance **insts, size_t n);
/* A valid CASE_CLOSED event from source "flagright" with id and the body "{}" (one
 * reference). */
struct hk_event_rec *fake_event(const char *id);
/* Drops the caller's reference; the instances are the test's, not the generation's. */
void fake_gen_release(struct hk_gen *g);

/* A delivery of a fresh event with id, as the store would hand it out. */
struct hk_delivery *fake_delivery(const char *id, int64_t rowid);

/* A SQLite store at path (durability d, a one-minute dedup window, room for two queued
 * requests), its writer not started; fails the test when it cannot open. */
struct hk_store *sqlite_open_idle(char *path, enum hk_durability d);

#endif
