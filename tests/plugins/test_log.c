/* test_log.c -- the log plugin against the mock host: the JSON line, its file, write errors,
 * and reopening on SIGUSR1 without taking the signal from whoever had it. */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "line.h"

#include <errno.h>
#include <hookd/mock_host.h>
#include <jansson.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

extern const hookd_plugin hookd_plugin_v1;

static char dir[512];

static int setup(void **state)
{
    (void)state;
    snprintf(dir, sizeof dir, "%s/log", HK_TEST_TMP);
    char cmd[1200];
    snprintf(cmd, sizeof cmd, "rm -rf '%s' && mkdir -p '%s'", dir, dir);
    return system(cmd);
}

/* The "data" text of the line made for body. Caller frees. */
static char *data_of(const char *body, size_t len)
{
    hookd_event ev = {.struct_size = sizeof ev,
                      .attempt = 2,
                      .id = "id\"1",
                      .type = "CASE_CLOSED",
                      .source = "flagright",
                      .created_ms = 1764300000000,
                      .received_ms = 1764300000123,
                      .body = (const uint8_t *)body,
                      .body_len = len};
    size_t n;
    char *line = hklog_line(&ev, &n);
    assert_non_null(line);
    assert_int_equal(line[n - 1], '\n');
    assert_null(memchr(line, '\n', n - 1)); /* one line */
    line[n - 1] = 0;
    const char *prefix =
        "{\"id\":\"id\\\"1\",\"type\":\"CASE_CLOSED\",\"source\":\"flagright\",\"received_ms\":"
        "1764300000123,\"created_ms\":1764300000000,\"attempt\":2,\"data\":";
    assert_int_equal(strncmp(line, prefix, strlen(prefix)), 0);
    json_error_t e;
    json_t *parsed = json_loads(line, 0, &e);
    if (!parsed)
        fail_msg("not JSON: %s (%s)", line, e.text);
    json_decref(parsed);
    char *data = strdup(line + strlen(prefix));
    data[strlen(data) - 1] = 0; /* the closing brace */
    free(line);
    return data;
}

static void expect_data(const char *body, const char *want)
{
    char *data = data_of(body, strlen(body));
    assert_string_equal(data, want);
    free(data);
}

static void test_line_data(void **state)
{
    (void)state;
    expect_data("{\"id\":\"x\",\"data\":{\"a\":[1, 2.50],\"s\":\"x y\\\"}\"},\"type\":\"T\"}",
                "{\"a\":[1,2.50],\"s\":\"x y\\\"}\"}"); /* as sent, whitespace removed */
    expect_data("{\n  \"data\" : {\n    \"k\": \"v w\"\n  }\n}\n", "{\"k\":\"v w\"}");
    expect_data("{\"data\":1,\"data\":\"last\"}", "\"last\"");
    expect_data("{\"data\":true, \"x\":1}", "true");
    expect_data("{\"d\\u0061ta\":{\"k\":1}}", "{\"k\":1}"); /* escaped key: via jansson */
    expect_data("{\"id\":\"x\"}", "{\"id\":\"x\"}");        /* no data: the whole body */
    expect_data("[1, 2]", "[1,2]");
    expect_data("not json \"quoted\"\n", "\"not json \\\"quoted\\\"\\n\"");
    expect_data("", "\"\"");
    char *data = data_of("a\xff\x01z\xe2\x82\xac", 7); /* invalid UTF-8, control, euro sign */
    assert_string_equal(data, "\"a\\ufffd\\u0001z\xe2\x82\xac\"");
    free(data);
}

static char *read_all(const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return strdup("");
    char *text = calloc(1, 65536);
    size_t n = fread(text, 1, 65535, f);
    text[n] = 0;
    fclose(f);
    return text;
}

static hookd_result deliver(hookd_mock *m, const char *id, const char *body)
{
    hookd_mock_event *e = hookd_mock_event_new(id, "CASE_OPENED", body);
    hookd_result r = hookd_mock_handle(m, hookd_mock_event_get(e));
    hookd_mock_event_free(e);
    return r;
}

static void test_appends_lines(void **state)
{
    (void)state;
    char path[600];
    struct stat st;
    snprintf(path, sizeof path, "%s/events.jsonl", dir);
    hookd_mock *m = hookd_mock_new("audit");
    hookd_mock_conf_set(m, "path", path);
    hookd_mock_conf_set_bool(m, "fsync", 1);
    assert_int_equal(hookd_mock_start(m, &hookd_plugin_v1), 0);
    assert_int_equal(deliver(m, "e1", "{\"data\":{\"n\":1}}"), HOOKD_OK);
    assert_int_equal(deliver(m, "e2", "{\"data\":{\"n\":2}}"), HOOKD_OK);
    hookd_mock_free(m);
    char *text = read_all(path);
    assert_non_null(strstr(text, "\"id\":\"e1\""));
    assert_non_null(strstr(text, "\"data\":{\"n\":2}}\n"));
    assert_int_equal(strchr(strchr(text, '\n') + 1, '\n')[1], 0); /* two lines */
    free(text);
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0640 & ~umask(umask(0)));
}

static void test_config_errors(void **state)
{
    (void)state;
    hookd_mock *m = hookd_mock_new("audit");
    assert_int_equal(hookd_mock_start(m, &hookd_plugin_v1), -EINVAL);
    assert_non_null(hookd_mock_log_find(m, "config.path is missing or not a string"));
    hookd_mock_free(m);
    m = hookd_mock_new("audit");
    hookd_mock_conf_set(m, "path", "-");
    hookd_mock_conf_set(m, "fsync", "yes");
    assert_int_equal(hookd_mock_start(m, &hookd_plugin_v1), -EINVAL);
    assert_non_null(hookd_mock_log_find(m, "config.fsync is not a boolean"));
    hookd_mock_free(m);
    m = hookd_mock_new("audit");
    hookd_mock_conf_set(m, "path", "/nonexistent-dir/x.jsonl");
    assert_int_equal(hookd_mock_start(m, &hookd_plugin_v1), -ENOENT);
    assert_non_null(hookd_mock_log_find(m, "cannot open /nonexistent-dir/x.jsonl"));
    hookd_mock_free(m);
}

static void test_relative_path_warned(void **state)
{
    (void)state;
    char cwd[512];
    assert_non_null(getcwd(cwd, sizeof cwd));
    assert_int_equal(chdir(dir), 0);
    hookd_mock *m = hookd_mock_new("audit");
    hookd_mock_conf_set(m, "path", "relative.jsonl");
    assert_int_equal(hookd_mock_start(m, &hookd_plugin_v1), 0);
    assert_non_null(hookd_mock_log_find(m, "is relative: it is opened relative to hookd's "
                                           "working directory: give an absolute path"));
    hookd_mock_free(m);
    assert_int_equal(chdir(cwd), 0);
}

static void test_write_error_retries(void **state)
{
    (void)state;
    hookd_mock *m = hookd_mock_new("audit");
    hookd_mock_conf_set(m, "path", "/dev/full");
    assert_int_equal(hookd_mock_start(m, &hookd_plugin_v1), 0);
    assert_int_equal(deliver(m, "e1", "{}"), HOOKD_RETRY);
    assert_non_null(hookd_mock_log_find(m, "cannot write event e1 to /dev/full"));
    assert_int_equal(hookd_mock_metric(m, "log_write_errors"), 1);
    hookd_mock_free(m);
}

static volatile sig_atomic_t earlier_calls;

static void earlier_handler(int sig)
{
    (void)sig;
    earlier_calls++;
}

/* logrotate: rename, SIGUSR1, and the next line goes to a new file; whoever handled
 * SIGUSR1 before the plugin still gets it. */
static void test_reopen_on_sigusr1(void **state)
{
    (void)state;
    char path[600], rotated[600];
    snprintf(path, sizeof path, "%s/rotate.jsonl", dir);
    snprintf(rotated, sizeof rotated, "%s/rotate.jsonl.1", dir);
    /* the plugin installs its handler at its first start in this process: this one is it */
    hookd_mock *m = hookd_mock_new("audit");
    hookd_mock_conf_set(m, "path", path);
    assert_int_equal(hookd_mock_start(m, &hookd_plugin_v1), 0);
    assert_int_equal(deliver(m, "before", "{}"), HOOKD_OK);
    assert_int_equal(rename(path, rotated), 0);
    raise(SIGUSR1);
    assert_int_equal(earlier_calls, 1);
    assert_int_equal(deliver(m, "after", "{}"), HOOKD_OK);
    hookd_mock_free(m);
    char *old = read_all(rotated), *new = read_all(path);
    assert_non_null(strstr(old, "\"before\""));
    assert_null(strstr(old, "\"after\""));
    assert_non_null(strstr(new, "\"after\""));
    free(old);
    free(new);
}

int main(void)
{
    /* an earlier SIGUSR1 handler, there before the plugin's first start */
    struct sigaction sa = {.sa_handler = earlier_handler};
    sigemptyset(&sa.sa_mask);
    sigaction(SIGUSR1, &sa, NULL);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_reopen_on_sigusr1),    cmocka_unit_test(test_line_data),
        cmocka_unit_test(test_appends_lines),        cmocka_unit_test(test_config_errors),
        cmocka_unit_test(test_relative_path_warned), cmocka_unit_test(test_write_error_retries),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
