/* test_inflight.c -- the record of handle() calls in progress outlives the process that
 * wrote it: what a process that ended without closing it was handling is read back at the
 * next open, and a graceful close leaves nothing. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "deliver/inflight.h"
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

static void open_record(const char *path, struct hk_inflight **f, int64_t **prev, size_t *n)
{
    char err[512];
    if (hk_inflight_open(path, f, prev, n, err, sizeof err) != 0)
        fail_msg("%s", err);
}

/* A new record in a fresh directory named dir, at path (room for 600 bytes): it is empty. */
static struct hk_inflight *open_fresh(const char *dir, char *path)
{
    struct hk_inflight *f;
    int64_t *prev;
    size_t n;
    snprintf(path, 600, "%s/hookd.db.inflight", tu_tmpdir(dir));
    open_record(path, &f, &prev, &n);
    assert_int_equal(n, 0);
    free(prev);
    return f;
}

static void test_what_a_dead_process_was_handling_is_read_back(void **state)
{
    (void)state;
    char path[600];
    struct hk_inflight *f = open_fresh("inflight", path);
    int64_t *prev;
    size_t n;
    hk_inflight_close(f);
    pid_t child = fork();
    assert_true(child >= 0);
    if (child == 0) { /* a hookd that dies inside two calls, with a third one finished */
        struct hk_inflight *c;
        int64_t *none;
        size_t zero;
        open_record(path, &c, &none, &zero);
        uint32_t a = hk_inflight_claim(c), b = hk_inflight_claim(c), done = hk_inflight_claim(c);
        hk_inflight_set(c, a, 41);
        hk_inflight_set(c, b, 42);
        hk_inflight_set(c, done, 43);
        hk_inflight_set(c, done, 0);
        _exit(0); /* no close: as after a crash or a kill -9 */
    }
    int status;
    assert_int_equal(waitpid(child, &status, 0), child);
    open_record(path, &f, &prev, &n);
    assert_int_equal(n, 2);
    assert_true((prev[0] == 41 && prev[1] == 42) || (prev[0] == 42 && prev[1] == 41));
    free(prev);
    /* Read once: the record was cleared at open. A graceful close leaves it empty too. */
    uint32_t s = hk_inflight_claim(f);
    hk_inflight_set(f, s, 7);
    hk_inflight_close(f);
    open_record(path, &f, &prev, &n);
    assert_int_equal(n, 0);
    free(prev);
    hk_inflight_close(f);
}

static void test_slots_are_reused(void **state)
{
    (void)state;
    assert_int_equal(hk_inflight_claim(NULL), HK_INFLIGHT_NONE); /* no record: no slot */
    hk_inflight_set(NULL, HK_INFLIGHT_NONE, 5);                  /* and nothing breaks */
    char path[600];
    struct hk_inflight *f = open_fresh("inflight_slots", path);
    uint32_t first = hk_inflight_claim(f);
    hk_inflight_release(f, first);
    assert_int_equal(hk_inflight_claim(f), first);
    hk_inflight_close(f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_what_a_dead_process_was_handling_is_read_back),
        cmocka_unit_test(test_slots_are_reused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
