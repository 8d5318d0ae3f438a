/* test_counters.c -- labelled counters: one entry per label pair, and a full table sending
 * new pairs to one "(other)" entry per kind without writing past its end. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "base/counters.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static uint64_t value_of(const struct hk_counters *t, enum hk_counter_kind kind, const char *l1,
                         const char *l2)
{
    for (unsigned i = 0; i < t->used; i++)
        if (t->c[i].kind == (int)kind && strcmp(t->c[i].l1, l1) == 0 && strcmp(t->c[i].l2, l2) == 0)
            return t->c[i].value;
    return 0;
}

static void test_same_labels_same_entry(void **state)
{
    (void)state;
    struct hk_counters *t = calloc(1, sizeof *t);
    hk_counter_add(t, HK_COUNT_EVENTS, "flagright", "accepted", 1);
    hk_counter_add(t, HK_COUNT_EVENTS, "flagright", "accepted", 2);
    hk_counter_add(t, HK_COUNT_HTTP_REQUESTS, "flagright", "accepted", 5);
    assert_int_equal(t->used, 2);
    assert_int_equal(value_of(t, HK_COUNT_EVENTS, "flagright", "accepted"), 3);
    assert_int_equal(value_of(t, HK_COUNT_HTTP_REQUESTS, "flagright", "accepted"), 5);
    free(t);
}

/* Both kinds overflow: each gets its own "(other)", and the table never grows past its end
 * (the entry after the last would be `used` itself). */
static void test_full_table_counts_the_rest_as_other(void **state)
{
    (void)state;
    struct hk_counters *t = calloc(1, sizeof *t);
    char label[32];
    for (int i = 0; i < HK_COUNTERS_MAX + 10; i++) {
        snprintf(label, sizeof label, "s%d", i);
        hk_counter_add(t, i % 2 ? HK_COUNT_EVENTS : HK_COUNT_HTTP_REQUESTS, label, "x", 1);
    }
    assert_true(t->used <= HK_COUNTERS_MAX);
    uint64_t total = 0;
    for (unsigned i = 0; i < t->used; i++)
        total += t->c[i].value;
    assert_int_equal(total, HK_COUNTERS_MAX + 10);
    assert_true(value_of(t, HK_COUNT_EVENTS, "(other)", "(other)") > 0);
    assert_true(value_of(t, HK_COUNT_HTTP_REQUESTS, "(other)", "(other)") > 0);
    free(t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_same_labels_same_entry),
        cmocka_unit_test(test_full_table_counts_the_rest_as_other),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
