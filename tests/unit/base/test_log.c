/* test_log.c -- log lines byte for byte: the timestamp, logfmt's bare and quoted values, JSON,
 * escapes, integers at their limits, truncation of an overlong line; lines a thread holds. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "base/log.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define STAMP_LEN 24 /* 2026-12-07T07:24:09.778Z */

static int fds[2];

static int setup(void **state)
{
    (void)state;
    assert_int_equal(pipe(fds), 0);
    fcntl(fds[0], F_SETFL, O_NONBLOCK);
    hk_log_set_fd(fds[1]);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    hk_log_set_fd(STDERR_FILENO);
    hk_log_configure(HK_LOG_INFO, HK_LOG_LOGFMT);
    close(fds[0]);
    close(fds[1]);
    return 0;
}

/* What was written since the last call (one read: the test's lines fit the pipe). */
static char *written(void)
{
    static char buf[65536];
    ssize_t n = read(fds[0], buf, sizeof buf - 1);
    buf[n > 0 ? n : 0] = 0;
    return buf;
}

/* The timestamp at the start of line (after prefix) is well formed and between the
 * seconds before and after the call; returns what follows it. */
static const char *after_stamp(const char *line, const char *prefix, time_t before, time_t after)
{
    size_t np = strlen(prefix);
    assert_memory_equal(line, prefix, np);
    const char *ts = line + np;
    struct tm tm = {0};
    const char *rest = strptime(ts, "%Y-%m-%dT%H:%M:%S", &tm);
    assert_non_null(rest);
    assert_int_equal(rest - ts, 19);
    assert_true(rest[0] == '.' && rest[1] >= '0' && rest[1] <= '9' && rest[2] >= '0' &&
                rest[2] <= '9' && rest[3] >= '0' && rest[3] <= '9' && rest[4] == 'Z');
    time_t t = timegm(&tm);
    assert_true(t >= before && t <= after);
    return ts + STAMP_LEN;
}

static void log_the_cases(void)
{
    hk_log(HK_LOG_INFO, "access", HK_S("peer", "127.0.0.1:50412"), HK_S("method", "POST"),
           HK_SN("path", "/hooks/flagrightXX", 16), HK_I("status", 200), HK_I("bytes", 1024),
           HK_I("ms", 0), HK_S("source", "flagright"));
    hk_log(HK_LOG_WARN, "two words", HK_S("empty", ""), HK_S("null", NULL),
           HK_S("quote", "say \"hi\""), HK_S("eq", "a=b"), HK_S("back", "c:\\d"),
           HK_S("ctl", "a\nb\tc\x01\x7f"), HK_S("utf8", "caf\xc3\xa9"), HK_I("neg", -42),
           HK_I("min", INT64_MIN), HK_I("max", INT64_MAX));
}

/* Logs the cases in format and checks both lines: their timestamps (after prefix) and, byte
 * for byte, what follows them. */
static void assert_the_cases(enum hk_log_format format, const char *prefix, const char *first,
                             const char *second)
{
    hk_log_configure(HK_LOG_INFO, format);
    time_t before = time(NULL);
    log_the_cases();
    time_t after = time(NULL);
    char *out = written();
    char *next = strchr(out, '\n');
    assert_non_null(next);
    *next++ = 0;
    assert_string_equal(after_stamp(out, prefix, before, after), first);
    assert_string_equal(after_stamp(next, prefix, before, after), second);
}

static void test_logfmt_lines_byte_for_byte(void **state)
{
    (void)state;
    assert_the_cases(HK_LOG_LOGFMT, "ts=",
                     " level=info msg=access peer=127.0.0.1:50412 method=POST "
                     "path=/hooks/flagright status=200 bytes=1024 ms=0 source=flagright",
                     " level=warn msg=\"two words\" empty=\"\" null=\"\" "
                     "quote=\"say \\\"hi\\\"\" eq=\"a=b\" back=\"c:\\\\d\" "
                     "ctl=\"a\\nb\\u0009c\\u0001\\u007f\" utf8=\"caf\xc3\xa9\" neg=-42 "
                     "min=-9223372036854775808 max=9223372036854775807\n");
}

static void test_json_lines_byte_for_byte(void **state)
{
    (void)state;
    assert_the_cases(HK_LOG_JSON, "{\"ts\":\"",
                     "\",\"level\":\"info\",\"msg\":\"access\",\"peer\":\"127.0.0.1:50412\","
                     "\"method\":\"POST\",\"path\":\"/hooks/flagright\",\"status\":200,"
                     "\"bytes\":1024,\"ms\":0,\"source\":\"flagright\"}",
                     "\",\"level\":\"warn\",\"msg\":\"two words\",\"empty\":\"\",\"null\":\"\","
                     "\"quote\":\"say \\\"hi\\\"\",\"eq\":\"a=b\",\"back\":\"c:\\\\d\","
                     "\"ctl\":\"a\\nb\\u0009c\\u0001\\u007f\",\"utf8\":\"caf\xc3\xa9\","
                     "\"neg\":-42,\"min\":-9223372036854775808,"
                     "\"max\":9223372036854775807}\n");
}

/* A line longer than the limit is cut to 4,096 bytes, newline included; nothing else goes. */
static void test_an_overlong_line_is_cut(void **state)
{
    (void)state;
    hk_log_configure(HK_LOG_INFO, HK_LOG_LOGFMT);
    static char big[6000];
    memset(big, 'x', sizeof big - 1);
    hk_log(HK_LOG_INFO, "big", HK_S("v", big));
    char *out = written();
    assert_int_equal(strlen(out), 4096);
    assert_int_equal(out[4095], '\n');
    assert_int_equal(out[4094], 'x');
}

static void test_a_level_below_the_setting_writes_nothing(void **state)
{
    (void)state;
    hk_log_configure(HK_LOG_WARN, HK_LOG_LOGFMT);
    hk_log(HK_LOG_INFO, "access", HK_I("status", 200));
    assert_string_equal(written(), "");
    hk_log(HK_LOG_ERROR, "e");
    assert_non_null(strstr(written(), " level=error msg=e\n"));
}

/* Held lines wait for the flush, a warning, or the buffer's end, and keep their order. */
static void test_held_lines_go_out_together(void **state)
{
    (void)state;
    hk_log_configure(HK_LOG_INFO, HK_LOG_LOGFMT);
    hk_log_hold(true);
    hk_log(HK_LOG_INFO, "one");
    hk_log(HK_LOG_INFO, "two");
    assert_string_equal(written(), "");
    hk_log_flush();
    char *out = written();
    assert_non_null(strstr(out, " msg=one\n"));
    assert_true(strstr(out, " msg=two\n") > strstr(out, " msg=one\n"));

    hk_log(HK_LOG_INFO, "three");
    hk_log(HK_LOG_WARN, "four");
    out = written();
    assert_true(strstr(out, " msg=four\n") > strstr(out, " msg=three\n"));
    assert_non_null(strstr(out, " msg=three\n"));

    size_t total = 0; /* 4 KiB at most are held: the rest is written as they come */
    for (int i = 0; i < 100; i++)
        hk_log(HK_LOG_INFO, "many", HK_I("i", i));
    for (char *got; *(got = written());)
        total += strlen(got);
    assert_true(total > 0 && total <= 4096);
    hk_log_hold(false); /* flushes */
    out = written();
    assert_non_null(strstr(out, " msg=many i=99\n"));
    hk_log(HK_LOG_INFO, "five");
    assert_non_null(strstr(written(), " msg=five\n"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_logfmt_lines_byte_for_byte),
        cmocka_unit_test(test_json_lines_byte_for_byte),
        cmocka_unit_test(test_an_overlong_line_is_cut),
        cmocka_unit_test(test_a_level_below_the_setting_writes_nothing),
        cmocka_unit_test(test_held_lines_go_out_together),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
