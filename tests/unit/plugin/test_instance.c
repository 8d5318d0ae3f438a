/* test_instance.c -- plugin instances from real fixture .so files: patterns, config keys
 * against the plugin's declarations, "events" narrowing, init failures with the plugin's own
 * message, the host services (config getters, metrics, log, headers) and building every
 * instance of a configuration all or nothing. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "base/err.h"
#include "base/log.h"
#include "daemon/runtime_dir.h"
#include "plugin/instance.h"
#include "testutil.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* One instance file's worth of settings; owns what the conf borrows. */
struct tic {
    struct hk_instance_conf ic;
    char so_path[1024];
    json_t *config;
};

static void tic_init(struct tic *t, const char *fixture, const char *name, const char *config)
{
    json_error_t e;
    memset(t, 0, sizeof *t);
    snprintf(t->so_path, sizeof t->so_path, "%s/%s.so", HK_FIXTURE_DIR, fixture);
    t->config = config ? json_loads(config, 0, &e) : NULL;
    if (config && !t->config)
        fail_msg("bad test config %s: %s", config, e.text);
    t->ic = (struct hk_instance_conf){.file = "plugins.d/20-x.json",
                                      .plugin = fixture,
                                      .so_path = t->so_path,
                                      .name = name,
                                      .concurrency = 1,
                                      .timeout_ms = 30000,
                                      .config = t->config};
}

static void tic_free(struct tic *t)
{
    json_decref(t->config);
}

static struct hk_instance *create_ok(struct tic *t)
{
    char err[1024] = "";
    struct hk_instance *inst = NULL;
    if (hk_instance_create(&t->ic, &inst, err, sizeof err) != 0)
        fail_msg("cannot create %s: %s", t->ic.name, err);
    return inst;
}

static void expect_error(struct tic *t, int rc, const char *message)
{
    char err[1024] = "";
    struct hk_instance *inst = (void *)1;
    assert_int_equal(hk_instance_create(&t->ic, &inst, err, sizeof err), rc);
    assert_null(inst);
    if (!strstr(err, message))
        fail_msg("message \"%s\" lacks \"%s\"", err, message);
}

static int setup(void **state)
{
    (void)state;
    setenv("TMPDIR", tu_tmpdir("instance_runtime"), 1);
    return hk_runtime_dir_create();
}

static void test_pattern_match(void **state)
{
    (void)state;
    assert_true(hk_pattern_match("*", "CASE_CLOSED"));
    assert_true(hk_pattern_match("CASE_*", "CASE_CLOSED"));
    assert_true(hk_pattern_match("CASE_*", "CASE_"));
    assert_true(hk_pattern_match("CASE_CLOSED", "CASE_CLOSED"));
    assert_false(hk_pattern_match("CASE_*", "CAS"));
    assert_false(hk_pattern_match("CASE_*", "case_closed")); /* case-sensitive */
    assert_false(hk_pattern_match("CASE_CLOSED", "CASE_CLOSED_2"));
    assert_false(hk_pattern_match("CASE_CLOSED", "CASE_CLOSE"));
}

static void test_pattern_within(void **state)
{
    (void)state;
    assert_true(hk_pattern_within("CASE_CLOSED", "CASE_*"));
    assert_true(hk_pattern_within("CASE_*", "*"));
    assert_true(hk_pattern_within("CASE_*", "CASE_*"));
    assert_true(hk_pattern_within("CASE_ESC*", "CASE_*"));
    assert_true(hk_pattern_within("*", "*"));
    assert_true(hk_pattern_within("CASE_CLOSED", "CASE_CLOSED"));
    assert_false(hk_pattern_within("CA*", "CASE_*"));
    assert_false(hk_pattern_within("*", "CASE_*"));
    assert_false(hk_pattern_within("CASE_*", "CASE_CLOSED"));
    assert_false(hk_pattern_within("USER_*", "CASE_*"));
    assert_false(hk_pattern_within("CASE_CLOSED", "CASE_OPENED"));
}

static void test_unknown_config_key(void **state)
{
    (void)state;
    struct tic t;
    tic_init(&t, "keyed", "x", "{\"path\": \"/tmp/a\", \"pathh\": 1}");
    expect_error(&t, HK_ECONF,
                 "plugins.d/20-x.json: config.pathh: plugin \"keyed\" accepts no key \"pathh\": "
                 "use one of path");
    tic_free(&t);
    tic_init(&t, "case_only", "x", "{\"a\": 1}");
    expect_error(&t, HK_ECONF,
                 "plugins.d/20-x.json: config.a: plugin \"case_only\" accepts no configuration: "
                 "remove \"config\"");
    tic_free(&t);
    tic_init(&t, "case_only", "x", "{}"); /* an empty object is no key at all */
    hk_instance_destroy(create_ok(&t));
    tic_free(&t);
}

static void test_events_narrow_only(void **state)
{
    (void)state;
    struct tic t;
    const char *narrow[] = {"CASE_OPENED", "CASE_ESC*", NULL};
    const char *wide[] = {"CASE_OPENED", "*", NULL};
    tic_init(&t, "case_only", "x", NULL);
    struct hk_instance *inst = create_ok(&t);
    assert_string_equal(inst->patterns[0], "CASE_*"); /* the plugin's own */
    assert_null(inst->patterns[1]);
    hk_instance_destroy(inst);
    t.ic.events = narrow;
    inst = create_ok(&t);
    assert_true(hk_instance_wants(inst, "CASE_OPENED", "flagright"));
    assert_true(hk_instance_wants(inst, "CASE_ESCALATED", "flagright"));
    assert_false(hk_instance_wants(inst, "CASE_CLOSED", "flagright"));
    hk_instance_destroy(inst);
    t.ic.events = wide;
    expect_error(&t, HK_ECONF,
                 "plugins.d/20-x.json: events[1]: \"*\" is not among the events plugin "
                 "\"case_only\" subscribes to (CASE_*): remove it or narrow it");
    tic_free(&t);
}

static void test_sources(void **state)
{
    (void)state;
    struct tic t;
    const char *sources[] = {"stripe", "flagright", NULL};
    tic_init(&t, "recorder", "rec", NULL);
    struct hk_instance *inst = create_ok(&t);
    assert_true(hk_instance_wants(inst, "ANY", "whatever")); /* no "sources": all */
    hk_instance_destroy(inst);
    t.ic.sources = sources;
    inst = create_ok(&t);
    assert_true(hk_instance_wants(inst, "ANY", "flagright"));
    assert_false(hk_instance_wants(inst, "ANY", "github"));
    hk_instance_destroy(inst);
    tic_free(&t);
}

static void test_serial_concurrency(void **state)
{
    (void)state;
    struct tic t;
    char line[512];
    tic_init(&t, "serial", "ser", NULL);
    t.ic.concurrency = 8;
    struct hk_instance *inst = create_ok(&t);
    assert_int_equal(inst->concurrency, 1);
    hk_instance_describe(inst, line, sizeof line);
    assert_non_null(strstr(line, "instance ser: plugin serial 2.1 ("));
    assert_non_null(strstr(line, "/serial.so), events CASE_*,ALERT_*, sources *"));
    hk_instance_destroy(inst);
    tic_init(&t, "recorder", "rec", NULL);
    t.ic.concurrency = 8;
    inst = create_ok(&t);
    assert_int_equal(inst->concurrency, 8);
    hk_instance_destroy(inst);
}

static void test_init_failure_message(void **state)
{
    (void)state;
    struct tic t;
    tic_init(&t, "init_fail", "y", NULL);
    t.ic.file = "plugins.d/30-y.json";
    expect_error(&t, HK_EPLUGIN,
                 "plugins.d/30-y.json: plugin \"init_fail\" failed to start: cannot connect to "
                 "the audit database (init returned -5: Input/output error)");
    tic_free(&t);
    tic_init(&t, "getters", "g", "{\"fail\": true}");
    expect_error(&t, HK_EPLUGIN,
                 "plugin \"getters\" failed to start: told to fail by config.fail (init returned "
                 "-111: Connection refused)"); /* the last error logged */
    tic_free(&t);
}

static void test_missing_library(void **state)
{
    (void)state;
    struct tic t;
    tic_init(&t, "does_not_exist", "z", NULL);
    expect_error(&t, HK_ENOENT, "plugins.d/20-x.json: plugin file ");
    expect_error(&t, HK_ENOENT, "does_not_exist.so does not exist");
}

static void test_config_getters(void **state)
{
    (void)state;
    struct tic t;
    const hookd_host_api *api = hk_host_api();
    const char *const *list;
    int64_t n = 0;
    int b = -1;
    tic_init(&t, "getters", "getters-1",
             "{\"str\": \"hello\", \"num\": 42, \"flag\": true, \"list\": [\"a\", \"b\"], "
             "\"mixed\": [\"a\", 1]}");
    struct hk_instance *inst = create_ok(&t);
    hookd_ctx *ctx = &inst->ctx;
    assert_int_equal(api->abi_minor, HOOKD_PLUGIN_ABI_MINOR);
    assert_int_equal(api->struct_size, sizeof(hookd_host_api));
    assert_string_equal(api->conf_get(ctx, "str"), "hello");
    assert_null(api->conf_get(ctx, "num"));
    assert_null(api->conf_get(ctx, "absent"));
    assert_int_equal(api->conf_get_i64(ctx, "num", &n), 0);
    assert_int_equal(n, 42);
    assert_int_equal(api->conf_get_i64(ctx, "str", &n), -EINVAL);
    assert_int_equal(api->conf_get_i64(ctx, "absent", &n), -ENOENT);
    assert_int_equal(api->conf_get_bool(ctx, "flag", &b), 0);
    assert_int_equal(b, 1);
    assert_int_equal(api->conf_get_bool(ctx, "num", &b), -EINVAL);
    assert_int_equal(api->conf_get_bool(ctx, "absent", &b), -ENOENT);
    assert_int_equal(api->conf_get_strv(ctx, "list", &list), 0);
    assert_string_equal(list[0], "a");
    assert_string_equal(list[1], "b");
    assert_null(list[2]);
    assert_int_equal(api->conf_get_strv(ctx, "mixed", &list), -EINVAL);
    assert_int_equal(api->conf_get_strv(ctx, "str", &list), -EINVAL);
    assert_int_equal(api->conf_get_strv(ctx, "absent", &list), -ENOENT);
    assert_string_equal(api->instance_name(ctx), "getters-1");
    hk_instance_destroy(inst);
    tic_free(&t);
}

static int64_t metric(struct hk_instance *inst, const char *name, bool *is_gauge)
{
    for (unsigned i = 0; i < atomic_load(&inst->metrics->n); i++)
        if (strcmp(inst->metrics->metrics[i].name, name) == 0) {
            *is_gauge = inst->metrics->metrics[i].is_gauge;
            return atomic_load(&inst->metrics->metrics[i].value);
        }
    fail_msg("no metric %s", name);
    return 0;
}

static void test_metrics(void **state)
{
    (void)state;
    struct tic t;
    const hookd_host_api *api = hk_host_api();
    char name[32];
    bool gauge;
    tic_init(&t, "recorder", "rec", NULL);
    struct hk_instance *inst = create_ok(&t);
    api->counter_add(&inst->ctx, "events_seen", 2);
    api->counter_add(&inst->ctx, "events_seen", 3);
    api->gauge_set(&inst->ctx, "queue_depth", -7);
    assert_int_equal(metric(inst, "events_seen", &gauge), 5);
    assert_false(gauge);
    assert_int_equal(metric(inst, "queue_depth", &gauge), -7);
    assert_true(gauge);
    api->gauge_set(&inst->ctx, "events_seen", 100); /* a counter stays a counter */
    api->counter_add(&inst->ctx, "Bad-Name", 1);
    api->counter_add(&inst->ctx, NULL, 1);
    assert_int_equal(metric(inst, "events_seen", &gauge), 5);
    assert_int_equal(atomic_load(&inst->metrics->n), 2);
    for (int i = 0; i < HK_PLUGIN_METRICS_MAX + 5; i++) {
        snprintf(name, sizeof name, "m%d", i);
        api->counter_add(&inst->ctx, name, 1);
    }
    assert_int_equal(atomic_load(&inst->metrics->n), HK_PLUGIN_METRICS_MAX);
    hk_instance_destroy(inst);
    tic_free(&t);
}

/* A reload builds a new instance beside the old one: with the same name and plugin they count
 * into the same series, which outlives the old one; another name, another plugin, or a name
 * that was gone for a while starts from zero. */
static void test_metrics_survive_a_reload(void **state)
{
    (void)state;
    struct tic t, other_name, other_plugin;
    const hookd_host_api *api = hk_host_api();
    bool gauge;
    tic_init(&t, "recorder", "audit", NULL);
    tic_init(&other_name, "recorder", "audit-2", NULL);
    tic_init(&other_plugin, "getters", "audit", NULL);
    struct hk_instance *old = create_ok(&t);
    api->counter_add(&old->ctx, "seen", 3);
    struct hk_instance *next = create_ok(&t); /* the next generation's */
    api->counter_add(&old->ctx, "seen", 1);   /* a call the old generation still finishes */
    api->counter_add(&next->ctx, "seen", 2);
    hk_instance_destroy(old);
    assert_int_equal(metric(next, "seen", &gauge), 6);
    struct hk_instance *renamed = create_ok(&other_name);
    struct hk_instance *replaced = create_ok(&other_plugin);
    assert_int_equal(atomic_load(&renamed->metrics->n), 0);
    assert_int_equal(atomic_load(&replaced->metrics->n), 0);
    hk_instance_destroy(renamed);
    hk_instance_destroy(replaced);
    hk_instance_destroy(next);
    struct hk_instance *again = create_ok(&t); /* removed, then configured again */
    assert_int_equal(atomic_load(&again->metrics->n), 0);
    hk_instance_destroy(again);
    tic_free(&t);
    tic_free(&other_name);
    tic_free(&other_plugin);
}

static void test_log_tags_instance(void **state)
{
    (void)state;
    struct tic t;
    char buf[4096] = "";
    int fds[2];
    assert_int_equal(pipe(fds), 0);
    tic_init(&t, "recorder", "audit-1", NULL);
    struct hk_instance *inst = create_ok(&t);
    hk_log_set_fd(fds[1]);
    hk_host_api()->log(&inst->ctx, HOOKD_LOG_WARN, "disk %d%% full", 93);
    hk_host_api()->log(&inst->ctx, HOOKD_LOG_DEBUG, "not shown at info");
    hk_log_set_fd(STDERR_FILENO);
    close(fds[1]);
    assert_true(read(fds[0], buf, sizeof buf - 1) > 0);
    close(fds[0]);
    assert_non_null(strstr(buf, "level=warn msg=\"disk 93% full\" instance=audit-1 "
                                "plugin=recorder"));
    assert_null(strstr(buf, "not shown"));
    hk_instance_destroy(inst);
}

/* What the handle() of test_event_header saw. */
struct header_probe {
    const char *sig, *auth, *missing, *of_copy;
    size_t len;
    bool upper_found;
};

static hookd_result probe_handle(void *state, hookd_ctx *ctx, const hookd_event *ev)
{
    struct header_probe *p = state;
    const hookd_host_api *api = hk_host_api();
    hookd_event copy = *ev; /* a plugin that keeps its own copy of the event */
    (void)ctx;
    p->sig = api->event_header(ev, "x-flagright-signature", &p->len);
    p->upper_found = api->event_header(ev, "X-FLAGRIGHT-SIGNATURE", NULL) != NULL;
    p->auth = api->event_header(ev, "authorization", NULL); /* never handed out */
    p->missing = api->event_header(ev, "x-missing", NULL);
    p->of_copy = api->event_header(&copy, "x-flagright-signature", NULL);
    return HOOKD_OK;
}

/* event_header() answers for the exact event handle() was given, on its thread, during the
 * call; a copy of the event, or a call after handle() returned, gets NULL and is counted. */
static void test_event_header(void **state)
{
    (void)state;
    static char sig[] = "abc123", auth[] = "Bearer secret";
    const struct hk_header headers[] = {
        {"X-Flagright-Signature", 21, sig, 6},
        {"Authorization", 13, auth, 13},
    };
    struct hk_plugin_event pe = {
        .ev = {.struct_size = sizeof(hookd_event), .id = "e1"}, .headers = headers, .nheaders = 2};
    struct header_probe probe = {0};
    hookd_plugin desc = {.abi_major = 1, .name = "probe", .handle = probe_handle};
    struct hk_plugin_lib lib = {.desc = &desc};
    struct hk_instance_conf ic = {.name = "probe-1"};
    struct hk_instance inst = {.conf = &ic, .lib = &lib, .state = &probe};
    inst.ctx = (struct hookd_ctx){.magic = HK_CTX_MAGIC, .inst = &inst};
    uint64_t misuses = hk_instance_misuses();

    assert_int_equal(hk_instance_handle(&inst, &pe, NULL, 0), HOOKD_OK);
    assert_string_equal(probe.sig, "abc123");
    assert_int_equal(probe.len, 6);
    assert_true(probe.upper_found);
    assert_null(probe.auth);
    assert_null(probe.missing);
    assert_null(probe.of_copy);
    assert_int_equal(hk_instance_misuses(), misuses + 1);
    /* After the call, even the right pointer is refused: its memory is no longer lent. */
    assert_null(hk_host_api()->event_header(&pe.ev, "x-flagright-signature", NULL));
    assert_int_equal(hk_instance_misuses(), misuses + 2);
}

static void test_stale_ctx_ignored(void **state)
{
    (void)state;
#ifdef NDEBUG /* debug builds assert instead */
    hookd_ctx stale = {.magic = 0, .inst = NULL};
    const hookd_host_api *api = hk_host_api();
    int64_t n;
    api->log(&stale, HOOKD_LOG_ERROR, "ignored");
    api->counter_add(&stale, "x", 1);
    assert_null(api->conf_get(&stale, "str"));
    assert_int_equal(api->conf_get_i64(&stale, "num", &n), -ENOENT);
    assert_null(api->instance_name(&stale));
#endif
}

/* A configuration of three instances whose last fails: nothing is kept, the first two were
 * finalised, and the problem is listed. */
static void test_instances_all_or_nothing(void **state)
{
    (void)state;
    struct tic t[3];
    struct hk_instance_conf ics[3];
    struct hk_diags d = {0};
    struct hk_instance **v = (void *)1;
    char path[1024], *text;
    const char *dir = tu_tmpdir("instances");
    snprintf(path, sizeof path, "%s/rec.txt", dir);
    char config[1200];
    snprintf(config, sizeof config, "{\"path\": \"%s\"}", path);
    tic_init(&t[0], "recorder", "a", config);
    tic_init(&t[1], "case_only", "b", NULL);
    tic_init(&t[2], "init_fail", "c", NULL);
    for (int i = 0; i < 3; i++)
        ics[i] = t[i].ic;
    struct hk_conf c = {.instances = ics, .ninstances = 3};
    snprintf(path, sizeof path, "%s/log.txt", dir);
    int log_fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    hk_log_set_fd(log_fd);
    assert_int_equal(hk_instances_create(&c, &v, &d), HK_EPLUGIN);
    hk_log_set_fd(STDERR_FILENO);
    close(log_fd);
    text = tu_read_file(path, NULL);
    assert_non_null(strstr(text, "msg=\"recorder fini\" instance=a")); /* undone */
    free(text);
    snprintf(path, sizeof path, "%s/rec.txt", dir);
    assert_null(v);
    assert_int_equal(d.n, 1);
    assert_non_null(hk_diags_find(&d, "cannot connect to the audit database"));
    hk_diags_free(&d);

    c.ninstances = 2;
    assert_int_equal(hk_instances_create(&c, &v, &d), 0);
    assert_int_equal(d.n, 0);
    assert_string_equal(v[0]->lib->desc->name, "recorder");
    assert_string_equal(v[1]->lib->desc->name, "case_only");
    hookd_event ev = {.struct_size = sizeof ev, .attempt = 2, .id = "id-1", .type = "T"};
    assert_int_equal(v[0]->lib->desc->handle(v[0]->state, &v[0]->ctx, &ev), HOOKD_OK);
    hk_instances_destroy(v, 2);
    text = tu_read_file(path, NULL);
    assert_string_equal(text, "a id-1 T 2\n");
    free(text);

    c.ninstances = 0;
    assert_int_equal(hk_instances_create(&c, &v, &d), 0);
    assert_null(v);
    hk_instances_destroy(NULL, 0);
    for (int i = 0; i < 3; i++)
        tic_free(&t[i]);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pattern_match),
        cmocka_unit_test(test_pattern_within),
        cmocka_unit_test(test_unknown_config_key),
        cmocka_unit_test(test_events_narrow_only),
        cmocka_unit_test(test_sources),
        cmocka_unit_test(test_serial_concurrency),
        cmocka_unit_test(test_init_failure_message),
        cmocka_unit_test(test_missing_library),
        cmocka_unit_test(test_config_getters),
        cmocka_unit_test(test_metrics),
        cmocka_unit_test(test_metrics_survive_a_reload),
        cmocka_unit_test(test_log_tags_instance),
        cmocka_unit_test(test_event_header),
        cmocka_unit_test(test_stale_ctx_ignored),
        cmocka_unit_test(test_instances_all_or_nothing),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
