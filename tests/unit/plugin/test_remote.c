/* test_remote.c -- hookd's side of a worker process, with the real hookd binary and real
 * fixture plugins: calls answered, a plugin that cannot start, a crash, a handler killed at
 * its timeout, and a stop that leaves no process behind. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "plugin/remote.h"
#include "testutil.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#define HELLO_WAIT_MS 20000

static struct hk_remote *start(const char *plugin, const char *config, struct hk_wire_hello *h)
{
    char so[600], err[1024];
    snprintf(so, sizeof so, "%s/%s.so", HK_FIXTURE_DIR, plugin);
    struct hk_wire_init init = {hk_wire_cstr("inst"), hk_wire_cstr(so), hk_wire_cstr(config)};
    struct hk_remote *r = NULL;
    if (hk_remote_start(HK_HOOKD_BIN, &init, HELLO_WAIT_MS, &r, h, err, sizeof err) != 0)
        fail_msg("%s", err);
    return r;
}

static enum hk_remote_end call(struct hk_remote *r, const char *id, const char *type,
                               int64_t timeout_ms, hookd_result *res, char *error)
{
    static char value[] = "t-1";
    const struct hk_header headers[] = {{"x-trace", 7, value, 3}};
    struct hk_plugin_event pe = {.ev = {.struct_size = sizeof(hookd_event),
                                        .attempt = 1,
                                        .id = id,
                                        .type = type,
                                        .source = "flagright",
                                        .body = (const uint8_t *)"{}",
                                        .body_len = 2},
                                 .headers = headers,
                                 .nheaders = 1,
                                 .delivery = 99,
                                 .headers_text = "x-trace: t-1\n"};
    return hk_remote_call(r, &pe, timeout_ms, res, error, 512);
}

static bool gone(pid_t pid)
{
    return kill(pid, 0) != 0 && errno == ESRCH;
}

static void test_calls_are_answered(void **state)
{
    (void)state;
    char config[700], error[512], *text;
    const char *dir = tu_tmpdir("remote_calls");
    snprintf(config, sizeof config, "{\"path\": \"%s/seen.txt\", \"header\": \"x-trace\"}", dir);
    static struct hk_wire_hello h;
    struct hk_remote *r = start("recorder", config, &h);
    assert_int_equal(h.nsubscribe, 1);
    assert_memory_equal(h.subscribe[0].p, "*", 1);
    hookd_result res = HOOKD_PERMANENT;
    for (int i = 0; i < 3; i++) {
        assert_int_equal(call(r, "e1", "CASE_CLOSED", 10000, &res, error), HK_REMOTE_ANSWERED);
        assert_int_equal(res, HOOKD_OK);
    }
    pid_t pid = hk_remote_pid(r);
    hk_remote_stop(r, 10000);
    assert_true(gone(pid));
    char path[700];
    snprintf(path, sizeof path, "%s/seen.txt", dir);
    text = tu_read_file(path, NULL);
    assert_string_equal(text, "inst e1 CASE_CLOSED 1 x-trace=t-1\ninst e1 CASE_CLOSED 1 "
                              "x-trace=t-1\ninst e1 CASE_CLOSED 1 x-trace=t-1\n");
    free(text);
}

static void test_a_plugin_that_cannot_start(void **state)
{
    (void)state;
    char err[1024];
    static struct hk_wire_hello h;
    struct hk_wire_init init = {hk_wire_cstr("inst"), hk_wire_cstr("/nowhere/x.so"),
                                hk_wire_cstr("")};
    struct hk_remote *r = NULL;
    assert_int_not_equal(
        hk_remote_start(HK_HOOKD_BIN, &init, HELLO_WAIT_MS, &r, &h, err, sizeof err), 0);
    assert_null(r);
    assert_non_null(strstr(err, "/nowhere/x.so"));
}

static void test_a_crash_and_a_timeout_end_the_worker(void **state)
{
    (void)state;
    char error[512];
    hookd_result res;
    static struct hk_wire_hello h;
    struct hk_remote *r = start("poison", "{}", &h);
    assert_int_equal(call(r, "ok", "CASE_CLOSED", 10000, &res, error), HK_REMOTE_ANSWERED);
    assert_int_equal(call(r, "bad", "POISON", 10000, &res, error), HK_REMOTE_CRASHED);
    assert_string_equal(error, "the worker was killed by signal 11 while it handled this event");
    assert_true(gone(hk_remote_pid(r)));
    hk_remote_stop(r, 0);

    r = start("slow", "{\"sleep_ms\": 60000}", &h);
    pid_t pid = hk_remote_pid(r);
    assert_int_equal(call(r, "stuck", "CASE_CLOSED", 200, &res, error), HK_REMOTE_TIMED_OUT);
    assert_string_equal(error, "handle() ran past timeout_ms (200 ms): its worker was killed");
    assert_true(gone(pid));
    hk_remote_stop(r, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_calls_are_answered),
        cmocka_unit_test(test_a_plugin_that_cannot_start),
        cmocka_unit_test(test_a_crash_and_a_timeout_end_the_worker),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
