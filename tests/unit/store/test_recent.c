/* test_recent.c -- the table of recently committed events: hits, misses, the window,
 * eviction of the oldest, clearing, and readers racing the writer (also run under TSan). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "store/recent.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>

static void test_hits_misses_and_window(void **state)
{
    (void)state;
    struct hk_recent *r = hk_recent_new(1024);
    struct hk_recent_key a, b, c;
    hk_recent_key("flagright", "evt-1", &a);
    hk_recent_key("flagright", "evt-2", &b);
    hk_recent_key("other", "evt-1", &c); /* same id, other source: another event */
    hk_recent_add(r, &a, 1000);
    assert_true(hk_recent_has(r, &a, 500));
    assert_false(hk_recent_has(r, &a, 1001)); /* older than the window */
    assert_false(hk_recent_has(r, &b, 0));
    assert_false(hk_recent_has(r, &c, 0));
    hk_recent_clear(r);
    assert_false(hk_recent_has(r, &a, 0));
    hk_recent_free(r);
}

static void test_oldest_evicted(void **state)
{
    (void)state;
    struct hk_recent *r = hk_recent_new(4); /* one bucket of four */
    struct hk_recent_key k[5];
    char id[16];
    for (int i = 0; i < 5; i++) {
        snprintf(id, sizeof id, "e%d", i);
        hk_recent_key("s", id, &k[i]);
        hk_recent_add(r, &k[i], 100 + i);
    }
    assert_false(hk_recent_has(r, &k[0], 0)); /* the oldest made room */
    for (int i = 1; i < 5; i++)
        assert_true(hk_recent_has(r, &k[i], 0));
    hk_recent_free(r);
}

struct race {
    struct hk_recent *r;
    atomic_bool done;
    atomic_long torn; /* a hit for a key never added */
};

static void *reader(void *arg)
{
    struct race *x = arg;
    struct hk_recent_key never;
    hk_recent_key("s", "never-added", &never);
    while (!atomic_load(&x->done))
        if (hk_recent_has(x->r, &never, 0))
            atomic_fetch_add(&x->torn, 1);
    return NULL;
}

static void test_readers_race_the_writer(void **state)
{
    (void)state;
    struct race x = {.r = hk_recent_new(64)};
    pthread_t t[2];
    for (int i = 0; i < 2; i++)
        pthread_create(&t[i], NULL, reader, &x);
    struct hk_recent_key k;
    char id[32];
    for (int i = 0; i < 200000; i++) {
        snprintf(id, sizeof id, "k%d", i);
        hk_recent_key("s", id, &k);
        hk_recent_add(x.r, &k, 1 + i);
    }
    atomic_store(&x.done, true);
    for (int i = 0; i < 2; i++)
        pthread_join(t[i], NULL);
    assert_int_equal(atomic_load(&x.torn), 0);
    assert_true(hk_recent_has(x.r, &k, 0)); /* the last one added */
    hk_recent_free(x.r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hits_misses_and_window),
        cmocka_unit_test(test_oldest_evicted),
        cmocka_unit_test(test_readers_race_the_writer),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
