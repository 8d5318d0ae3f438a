/* test_lane.c -- one instance's lane against a fake store: deliveries run and come back with
 * the instance's retry policy, room follows the queue, a detached lane hands back what it
 * held, and a stopped lane returns what was never started. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "base/clock.h"
#include "deliver/lane.h"
#include "fakes.h"

#include <string.h>

static void test_deliveries_come_back_with_the_retry_policy(void **state)
{
    (void)state;
    struct fake_store fs;
    struct fake_instance f;
    fake_store_init(&fs);
    fake_instance_init(&f, "a", FAKE_RETRY, 2, 10);
    struct fake_instance *fi[] = {&f};
    struct hk_gen *g = fake_gen(fi, 1);
    struct hk_lane *l = hk_lane_create("a", &fs.base, NULL);
    assert_null(hk_lane_attach(l, &f.inst, g));
    assert_true(hk_lane_attached(l));
    for (int i = 1; i <= 3; i++) {
        char id[8];
        snprintf(id, sizeof id, "e%d", i);
        assert_true(hk_lane_push_planned(l, fake_delivery(id, i)));
    }
    fake_store_wait(&fs, 3);
    for (int i = 1; i <= 3; i++) {
        struct hk_delivery *d = fake_store_find(&fs, i);
        assert_non_null(d);
        assert_int_equal(d->result, HOOKD_RETRY);
        assert_ptr_equal(d->lane, l);
        /* The store decides the next attempt from the policy the outcome carries. */
        assert_int_equal(d->retry.max_attempts, 4);
        assert_int_equal(d->retry.initial_ms, 5);
        assert_int_equal(d->retry.max_ms, 40);
    }
    assert_int_equal(f.calls, 3);
    assert_int_equal(atomic_load(&l->handled[HOOKD_RETRY]), 3);
    bool abandoned = false;
    assert_null(hk_lane_stop(l, hk_wall_ms() + 10000, &abandoned));
    assert_false(abandoned);
    hk_lane_free(l);
    fake_gen_release(g);
    fake_instance_free(&f);
    fake_store_free(&fs);
}

static void test_room_and_orphans_on_detach(void **state)
{
    (void)state;
    struct fake_store fs;
    struct fake_instance f;
    fake_store_init(&fs);
    fake_instance_init(&f, "gated", FAKE_GATED, 1, 2);
    struct fake_instance *fi[] = {&f};
    struct hk_gen *g = fake_gen(fi, 1);
    struct hk_lane *l = hk_lane_create("gated", &fs.base, NULL);
    assert_int_equal(hk_lane_room(l), 0); /* no instance yet: takes nothing */
    hk_lane_attach(l, &f.inst, g);
    assert_int_equal(hk_lane_room(l), 2);
    assert_true(hk_lane_push_planned(l, fake_delivery("running", 1)));
    fake_instance_wait_calls(&f, 1); /* taken by the worker: no longer counted against the queue */
    assert_int_equal(hk_lane_room(l), 2);
    assert_true(hk_lane_push_planned(l, fake_delivery("q1", 2)));
    assert_true(hk_lane_push_planned(l, fake_delivery("q2", 3)));
    assert_int_equal(hk_lane_room(l), 0);
    /* A reload removes the instance: the queued deliveries come back, in order; the one
     * running finishes on its own. */
    struct hk_delivery *orphans = hk_lane_attach(l, NULL, NULL);
    assert_false(hk_lane_attached(l));
    assert_int_equal(hk_lane_room(l), 0);
    assert_non_null(orphans);
    assert_int_equal(orphans->rowid, 2);
    assert_non_null(orphans->next);
    assert_int_equal(orphans->next->rowid, 3);
    assert_null(orphans->next->next);
    struct hk_delivery *refused = fake_delivery("late", 4);
    assert_false(hk_lane_push_planned(l, refused)); /* still the caller's */
    hk_delivery_free(refused);
    fake_instance_open(&f);
    assert_int_equal(fake_store_wait(&fs, 1)->rowid, 1);
    bool abandoned = false;
    assert_null(hk_lane_stop(l, hk_wall_ms() + 10000, &abandoned));
    hk_delivery_free(orphans->next);
    hk_delivery_free(orphans);
    hk_lane_free(l);
    fake_gen_release(g);
    fake_instance_free(&f);
    fake_store_free(&fs);
}

static void test_stop_returns_what_never_started(void **state)
{
    (void)state;
    struct fake_store fs;
    struct fake_instance f;
    fake_store_init(&fs);
    fake_instance_init(&f, "gated", FAKE_GATED, 1, 10);
    struct fake_instance *fi[] = {&f};
    struct hk_gen *g = fake_gen(fi, 1);
    struct hk_lane *l = hk_lane_create("gated", &fs.base, NULL);
    hk_lane_attach(l, &f.inst, g);
    assert_true(hk_lane_push_planned(l, fake_delivery("running", 1)));
    fake_instance_wait_calls(&f, 1);
    assert_true(hk_lane_push_planned(l, fake_delivery("queued", 2)));
    fake_instance_open(&f); /* the running call returns; the stop keeps the queued one */
    bool abandoned = false;
    struct hk_delivery *left = hk_lane_stop(l, hk_wall_ms() + 10000, &abandoned);
    assert_false(abandoned);
    /* The queued delivery never ran: the store still has it as running and redoes it at the
     * next start. Either the worker took it before the stop or the stop returned it. */
    if (left) {
        assert_int_equal(left->rowid, 2);
        assert_null(left->next);
        assert_int_equal(fs.ndone, 1);
        hk_delivery_free(left);
    } else {
        assert_int_equal(fs.ndone, 2);
    }
    assert_int_equal(hk_lane_room(l), 0); /* stopping: takes nothing more */
    hk_lane_free(l);
    fake_gen_release(g);
    fake_instance_free(&f);
    fake_store_free(&fs);
}

/* A delivery hookd ended in the middle of crash_limit times never reaches handle(). */
static void test_interrupted_deliveries_are_contained(void **state)
{
    (void)state;
    struct fake_store fs;
    struct fake_instance f;
    fake_store_init(&fs);
    fake_instance_init(&f, "p", FAKE_OK, 1, 10); /* crash_limit 2 */
    struct fake_instance *fi[] = {&f};
    struct hk_gen *g = fake_gen(fi, 1);
    struct hk_lane *l = hk_lane_create("p", &fs.base, NULL);
    hk_lane_attach(l, &f.inst, g);
    struct hk_delivery *once = fake_delivery("once", 1), *twice = fake_delivery("twice", 2);
    once->interrupted = 1;
    twice->interrupted = 2;
    assert_true(hk_lane_push_planned(l, once));
    assert_true(hk_lane_push_planned(l, twice));
    fake_store_wait(&fs, 2);
    assert_int_equal(fake_store_find(&fs, 1)->result, HOOKD_OK); /* under the limit: runs */
    struct hk_delivery *poison = fake_store_find(&fs, 2);
    assert_int_equal(poison->result, HOOKD_PERMANENT);
    assert_string_equal(poison->error,
                        "hookd ended 2 times while instance \"p\" handled this event: the plugin "
                        "may crash on it; fix the plugin, then `hookd dlq replay`");
    assert_int_equal(f.calls, 1);
    assert_int_equal(atomic_load(&l->contained), 1);
    bool abandoned = false;
    hk_lane_stop(l, hk_wall_ms() + 10000, &abandoned);
    hk_lane_free(l);
    fake_gen_release(g);
    fake_instance_free(&f);
    fake_store_free(&fs);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_deliveries_come_back_with_the_retry_policy),
        cmocka_unit_test(test_room_and_orphans_on_detach),
        cmocka_unit_test(test_stop_returns_what_never_started),
        cmocka_unit_test(test_interrupted_deliveries_are_contained),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
