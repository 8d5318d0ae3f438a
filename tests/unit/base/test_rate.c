/* test_rate.c -- the rate limit at fixed times: the burst, the pace after it, Retry-After. */
#include "testutil.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "base/rate.h"

static void test_burst_then_pace(void **state)
{
    (void)state;
    struct hk_rate r;
    uint32_t after = 0;
    hk_rate_init(&r, 10, 3); /* 10 a second, 3 at once */
    int64_t t = 5000000;
    for (int i = 0; i < 3; i++)
        assert_true(hk_rate_take(&r, t, &after));
    assert_false(hk_rate_take(&r, t, &after));          /* the burst is spent */
    assert_int_equal(after, 1);                         /* rounded up to a whole second */
    assert_true(hk_rate_take(&r, t + 100000, &after));  /* one interval later: one more */
    assert_false(hk_rate_take(&r, t + 100000, &after)); /* and only one */
    assert_true(hk_rate_take(&r, t + 10000000, &after));
    for (int i = 0; i < 2; i++) /* after a quiet while the whole burst is back */
        assert_true(hk_rate_take(&r, t + 10000000, &after));
    assert_false(hk_rate_take(&r, t + 10000000, &after));
}

static void test_retry_after_counts_whole_seconds(void **state)
{
    (void)state;
    struct hk_rate r;
    uint32_t after = 0;
    hk_rate_init(&r, 1, 1); /* one a second */
    assert_true(hk_rate_take(&r, 0, &after));
    assert_false(hk_rate_take(&r, 1, &after));
    assert_int_equal(after, 1);
    assert_true(hk_rate_take(&r, 1000000, &after));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_burst_then_pace),
        cmocka_unit_test(test_retry_after_counts_whole_seconds),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
