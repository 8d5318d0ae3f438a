/* test_ip_count.c -- connections per client address, shared by the loops: the cap per
 * address, dropping back, distinct addresses, and threads taking and dropping at once. */
#include "testutil.h"

#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "net/ip_count.h"

static struct hk_addr addr(const char *text)
{
    struct hk_addr a;
    assert_int_equal(hk_addr_parse(text, strlen(text), &a), 0);
    return a;
}

static void test_cap_per_address(void **state)
{
    (void)state;
    struct hk_ip_count *t = hk_ip_count_new();
    struct hk_addr a = addr("192.0.2.1"), b = addr("2001:db8::1");
    for (int i = 0; i < 3; i++)
        assert_true(hk_ip_count_take(t, &a, 3));
    assert_false(hk_ip_count_take(t, &a, 3)); /* the fourth of one address */
    assert_true(hk_ip_count_take(t, &b, 3));  /* another address is not affected */
    assert_int_equal(hk_ip_count_of(t, &a), 3);
    hk_ip_count_drop(t, &a);
    assert_true(hk_ip_count_take(t, &a, 3)); /* room again once one closed */
    assert_true(hk_ip_count_take(t, &a, 0)); /* 0: no cap */
    assert_int_equal(hk_ip_count_of(t, &a), 4);
    for (int i = 0; i < 4; i++)
        hk_ip_count_drop(t, &a);
    hk_ip_count_drop(t, &b);
    assert_int_equal(hk_ip_count_of(t, &a), 0);
    hk_ip_count_free(t);
}

struct churn {
    struct hk_ip_count *t;
    struct hk_addr a;
    int taken;
};

static void *churn_main(void *arg)
{
    struct churn *c = arg;
    for (int i = 0; i < 20000; i++)
        if (hk_ip_count_take(c->t, &c->a, 1000000)) {
            c->taken++;
            hk_ip_count_drop(c->t, &c->a);
        }
    return NULL;
}

static void test_threads_take_and_drop(void **state)
{
    (void)state;
    struct hk_ip_count *t = hk_ip_count_new();
    struct churn c[4];
    pthread_t th[4];
    for (int i = 0; i < 4; i++) {
        c[i] = (struct churn){t, addr(i % 2 ? "198.51.100.7" : "203.0.113.9"), 0};
        pthread_create(&th[i], NULL, churn_main, &c[i]);
    }
    for (int i = 0; i < 4; i++) {
        pthread_join(th[i], NULL);
        assert_int_equal(c[i].taken, 20000);
    }
    assert_int_equal(hk_ip_count_of(t, &c[0].a), 0);
    assert_int_equal(hk_ip_count_of(t, &c[1].a), 0);
    hk_ip_count_free(t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cap_per_address),
        cmocka_unit_test(test_threads_take_and_drop),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
