/* test_gen.c -- a generation built from a real configuration with a real plugin: it lives
 * while any thread holds a reference, and is finalised on the control loop once the last
 * reference is gone, never before and never twice. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "base/task.h"
#include "daemon/runtime_dir.h"
#include "deliver/gen.h"
#include "testutil.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

#define HOLDERS 4

static struct hk_gen *build(struct hk_task_queue *reaper)
{
    const char *dir = tu_tmpdir("gen");
    char plugin[600];
    tu_write_file(dir, "hookd.json",
                  "{\"listen\": [{\"address\": \"127.0.0.1:0\"}],\n"
                  " \"sources\": [{\"name\": \"s\", \"path\": \"/s\", \"verify\": {\"scheme\": "
                  "\"flagright\", \"secrets\": [{\"file\": \"secret\"}]}}]}");
    tu_write_file(dir, "secret", "a-secret\n");
    snprintf(plugin, sizeof plugin, "{\"plugin\": \"%s/recorder.so\", \"name\": \"rec\"}",
             HK_FIXTURE_DIR);
    tu_write_file(dir, "plugins.d/10-rec.json", plugin);
    struct hk_diags d = {0};
    struct hk_conf *conf = NULL;
    if (hk_conf_load(dir, &d, &conf) != 0) {
        for (size_t i = 0; i < d.n; i++)
            print_message("  %s\n", d.lines[i]);
        fail_msg("the configuration does not load");
    }
    struct hk_gen *g = NULL;
    if (hk_gen_build(conf, 7, reaper, &d, &g) != 0) {
        for (size_t i = 0; i < d.n; i++)
            print_message("  %s\n", d.lines[i]);
        fail_msg("the generation cannot be built");
    }
    hk_diags_free(&d);
    return g;
}

static void *hold_and_release(void *arg)
{
    struct hk_gen *g = arg; /* one reference, taken for this thread by the test */
    const char *names[HK_ROUTE_MAX];
    size_t n = hk_gen_route(g, "CASE_CLOSED", "s", names);
    hk_gen_release(g);
    return (void *)n;
}

static void test_reaped_once_the_last_reference_is_gone(void **state)
{
    (void)state;
    uv_loop_t loop;
    struct hk_task_queue reaper;
    assert_int_equal(uv_loop_init(&loop), 0);
    assert_int_equal(hk_task_queue_init(&reaper, &loop), 0);
    unsigned before = hk_gen_live();
    struct hk_gen *g = build(&reaper);
    assert_int_equal(g->number, 7);
    assert_int_equal(g->ninstances, 1);
    assert_int_equal(hk_gen_live(), before + 1);

    /* Threads hold references while the builder lets go of its own: nothing is reaped. */
    pthread_t t[HOLDERS];
    struct hk_gen *last = hk_gen_acquire(g);
    for (int i = 0; i < HOLDERS; i++)
        assert_int_equal(pthread_create(&t[i], NULL, hold_and_release, hk_gen_acquire(g)), 0);
    hk_gen_release(g);
    for (int i = 0; i < HOLDERS; i++) {
        void *routed;
        pthread_join(t[i], &routed);
        assert_int_equal((size_t)routed, 1); /* "rec" takes every type */
    }
    uv_run(&loop, UV_RUN_NOWAIT);
    assert_int_equal(hk_gen_live(), before + 1);

    /* The last release only hands the generation to the control loop... */
    hk_gen_release(last);
    assert_int_equal(hk_gen_live(), before + 1);
    /* ...which finalises its instances there. */
    for (int i = 0; i < 100 && hk_gen_live() != before; i++)
        uv_run(&loop, UV_RUN_NOWAIT);
    assert_int_equal(hk_gen_live(), before);
    hk_task_queue_close(&reaper);
    uv_run(&loop, UV_RUN_DEFAULT);
    assert_int_equal(uv_loop_close(&loop), 0);
}

/* Plugins are loaded from copies in a runtime directory, as the daemon does. */
static int setup(void **state)
{
    (void)state;
    setenv("TMPDIR", tu_tmpdir("gen_runtime"), 1);
    return hk_runtime_dir_create();
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_reaped_once_the_last_reference_is_gone),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
