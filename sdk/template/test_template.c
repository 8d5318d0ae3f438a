/* test_template.c -- the template plugin against the mock host (<hookd/mock_host.h>). */
#include <hookd/mock_host.h>

#include <assert.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

extern const hookd_plugin hookd_plugin_v1; /* template.c, linked in */

static void test_logs_and_counts(void)
{
    hookd_mock *m = hookd_mock_new("cases");
    assert(hookd_mock_conf_set(m, "prefix", "seen") == 0);
    assert(hookd_mock_start(m, &hookd_plugin_v1) == 0);
    hookd_mock_event *e = hookd_mock_event_new("evt-1", "CASE_CLOSED", "{\"data\":{}}");
    hookd_mock_event_get(e)->attempt = 2;
    assert(hookd_mock_handle(m, hookd_mock_event_get(e)) == HOOKD_OK);
    assert(hookd_mock_log_find(m, "seen CASE_CLOSED evt-1 (attempt 2)"));
    assert(hookd_mock_metric(m, "template_events") == 1);
    hookd_mock_event_free(e);
    hookd_mock_stop(m);
    hookd_mock_free(m);
}

static void test_empty_body_is_permanent(void)
{
    hookd_mock *m = hookd_mock_new("cases");
    assert(hookd_mock_start(m, &hookd_plugin_v1) == 0);
    hookd_mock_event *e = hookd_mock_event_new("evt-2", "CASE_OPENED", "");
    assert(hookd_mock_handle(m, hookd_mock_event_get(e)) == HOOKD_PERMANENT);
    assert(hookd_mock_metric(m, "template_events") == 0);
    hookd_mock_event_free(e);
    hookd_mock_free(m); /* stops the plugin too */
}

static void test_bad_config_refused(void)
{
    hookd_mock *m = hookd_mock_new("cases");
    assert(hookd_mock_conf_set(m, "prefx", "typo") == 0);
    assert(hookd_mock_start(m, &hookd_plugin_v1) == -EINVAL); /* as hookd would refuse it */
    assert(hookd_mock_log_find(m, "\"prefx\" is not in the plugin's conf_keys"));
    hookd_mock_free(m);

    m = hookd_mock_new("cases");
    assert(hookd_mock_conf_set(m, "prefix", "a prefix far longer than thirty-two chars") == 0);
    assert(hookd_mock_start(m, &hookd_plugin_v1) == -EINVAL);
    assert(hookd_mock_log_find(m, "config.prefix is longer than 32 characters"));
    hookd_mock_free(m);
}

int main(void)
{
    test_logs_and_counts();
    test_empty_body_is_permanent();
    test_bad_config_refused();
    puts("test_template: all passed");
    return 0;
}
