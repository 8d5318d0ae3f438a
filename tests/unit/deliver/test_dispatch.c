/* test_dispatch.c -- the lanes following generations, against a fake store: a lane per
 * instance, the table the store uses (find, each, room, push), and a reload that removes an
 * instance: its queued deliveries come back as dead letters saying so, and the store is told
 * to dead-letter what it still holds. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "deliver/dispatch.h"
#include "fakes.h"

#include <string.h>

struct seen {
    const char *names[4];
    int n;
};

static void collect(void *arg, struct hk_lane *lane, const char *name)
{
    struct seen *s = arg;
    (void)lane;
    s->names[s->n++] = name;
}

static void test_lanes_follow_generations(void **state)
{
    (void)state;
    struct fake_store fs;
    struct fake_instance a1, b1, a2;
    fake_store_init(&fs);
    fake_instance_init(&a1, "a", FAKE_OK, 1, 10);
    fake_instance_init(&b1, "b", FAKE_GATED, 1, 10);
    fake_instance_init(&a2, "a", FAKE_OK, 2, 20); /* "a" again, with other settings */
    struct fake_instance *first[] = {&a1, &b1}, *second[] = {&a2};
    struct hk_gen *g1 = fake_gen(first, 2), *g2 = fake_gen(second, 1);
    struct hk_dispatch d;
    struct hk_store_lanes t;
    assert_int_equal(hk_dispatch_init(&d, &fs.base, NULL), 0);
    hk_dispatch_store_lanes(&d, &t);

    assert_int_equal(hk_dispatch_apply(&d, g1), 0);
    struct hk_lane *la = t.find(t.self, "a"), *lb = t.find(t.self, "b");
    assert_non_null(la);
    assert_non_null(lb);
    assert_null(t.find(t.self, "c"));
    struct seen s = {0};
    t.each(t.self, collect, &s);
    assert_int_equal(s.n, 2);
    assert_string_equal(s.names[0], "a");
    assert_string_equal(s.names[1], "b");
    assert_int_equal(t.room(la), 10);

    /* b's worker is held inside handle(); two more wait in its queue. */
    assert_true(t.push(lb, fake_delivery("b-running", 1)));
    fake_instance_wait_calls(&b1, 1); /* taken by the worker */
    assert_true(t.push(lb, fake_delivery("b-q1", 2)));
    assert_true(t.push(lb, fake_delivery("b-q2", 3)));

    /* The reload keeps "a" (same lane, new instance and settings) and removes "b". */
    assert_int_equal(hk_dispatch_apply(&d, g2), 0);
    assert_ptr_equal(t.find(t.self, "a"), la);
    assert_int_equal(t.room(la), 20);
    assert_null(t.find(t.self, "b"));
    memset(&s, 0, sizeof s);
    t.each(t.self, collect, &s);
    assert_int_equal(s.n, 1);
    assert_int_equal(fs.nremoved, 1);
    assert_string_equal(fs.removed[0], "b");
    fake_store_wait(&fs, 2);
    for (int64_t row = 2; row <= 3; row++) {
        struct hk_delivery *dl = fake_store_find(&fs, row);
        assert_non_null(dl);
        assert_int_equal(dl->result, HOOKD_PERMANENT);
        assert_string_equal(dl->error, "instance \"b\" was removed from the configuration");
    }
    /* The call that was running when b left finishes and reports its own outcome. */
    fake_instance_open(&b1);
    assert_int_equal(fake_store_wait(&fs, 3)->rowid, 1);
    assert_int_equal(fake_store_find(&fs, 1)->result, HOOKD_OK);

    /* a's new instance serves. */
    assert_true(t.push(la, fake_delivery("a-1", 4)));
    fake_store_wait(&fs, 4);
    assert_int_equal(a2.calls, 1);
    assert_int_equal(a1.calls, 0);

    hk_dispatch_stop(&d, 10000);
    hk_dispatch_free(&d);
    fake_gen_release(g1);
    fake_gen_release(g2);
    fake_instance_free(&a1);
    fake_instance_free(&b1);
    fake_instance_free(&a2);
    fake_store_free(&fs);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_lanes_follow_generations),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
