/* test_envelope.c -- reading id, type and creation time from every Flagright event, and the
 * reasons given for broken ones. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "conf/conf.h"
#include "event/envelope.h"
#include "testutil.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

static struct hk_conf *conf;

static int setup(void **state)
{
    (void)state;
    const char *dir = tu_tmpdir("envelope");
    tu_write_file(
        dir, "hookd.json",
        "{\"listen\": [{\"address\": \"127.0.0.1:0\"}],\n"
        " \"sources\": [{\"name\": \"flagright\", \"path\": \"/f\",\n"
        "   \"verify\": {\"scheme\": \"flagright\", \"secrets\": [{\"value\": \"s\"}]}}]}");
    struct hk_diags d = {0};
    int rc = hk_conf_load(dir, &d, &conf);
    if (rc)
        fail_msg("config: %s", d.n ? d.lines[0] : "?");
    hk_diags_free(&d);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    hk_conf_free(conf);
    return 0;
}

static void read_env(const char *body, struct hk_envelope *env)
{
    hk_envelope_read(&conf->sources[0], NULL, 0, (const uint8_t *)body, strlen(body), true, env);
}

static void test_every_flagright_event(void **state)
{
    (void)state;
    char *text = tu_read_file(tu_data("flagright-events.jsonl"), NULL);
    int count = 0;
    for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n")) {
        json_error_t e;
        json_t *j = json_loads(line, 0, &e);
        assert_non_null(j);
        struct hk_envelope env;
        read_env(line, &env);
        if (!env.valid)
            fail_msg("event %d invalid: %s", count, env.invalid);
        assert_string_equal(env.id, json_string_value(json_object_get(j, "id")));
        assert_string_equal(env.type, json_string_value(json_object_get(j, "type")));
        assert_int_equal(env.created_ms,
                         json_integer_value(json_object_get(j, "createdTimestamp")));
        json_decref(j);
        count++;
    }
    assert_true(count >= 20);
    free(text);
}

static void expect_invalid(const char *body, const char *reason)
{
    struct hk_envelope env;
    read_env(body, &env);
    assert_false(env.valid);
    if (!strstr(env.invalid, reason))
        fail_msg("%s: reason \"%s\" lacks \"%s\"", body, env.invalid, reason);
}

static void test_broken_envelopes(void **state)
{
    (void)state;
    expect_invalid("{\"type\":\"A\",\"createdTimestamp\":1}", "id (/id) is missing");
    expect_invalid("{\"id\":\"\",\"type\":\"A\",\"createdTimestamp\":1}", "is empty");
    expect_invalid("{\"id\":7,\"type\":\"A\",\"createdTimestamp\":1}", "is not a string");
    expect_invalid("{\"id\":\"x\",\"createdTimestamp\":1}", "type (/type) is missing");
    expect_invalid("{\"id\":\"x\",\"type\":\"A\"}", "created time");
    expect_invalid("{\"id\":\"x\",\"type\":\"A\",\"createdTimestamp\":1.5}", "not a non-negative");
    expect_invalid("{\"id\":\"x\",\"type\":\"A\",\"createdTimestamp\":\"1\"}", "not a non-neg");
    expect_invalid("{\"id\":\"x\",\"type\":\"A\",\"createdTimestamp\":1", "not valid JSON");
    expect_invalid("[1,2]", "id (/id) is missing");
    expect_invalid("", "not valid JSON");
    expect_invalid("{\"id\":\"x\",\"type\":\"A\",\"createdTimestamp\":1} x", "not valid JSON");
}

static void test_id_length_limit(void **state)
{
    (void)state;
    char body[1024], id[HK_ID_MAX + 2];
    memset(id, 'a', sizeof id - 1);
    id[HK_ID_MAX] = 0; /* exactly the limit */
    snprintf(body, sizeof body, "{\"id\":\"%s\",\"type\":\"A\",\"createdTimestamp\":1}", id);
    struct hk_envelope env;
    read_env(body, &env);
    assert_true(env.valid);
    assert_int_equal(env.id_len, HK_ID_MAX);
    id[HK_ID_MAX] = 'a';
    id[HK_ID_MAX + 1] = 0;
    snprintf(body, sizeof body, "{\"id\":\"%s\",\"type\":\"A\",\"createdTimestamp\":1}", id);
    expect_invalid(body, "too long");
}

static void test_escapes_and_duplicates(void **state)
{
    (void)state;
    struct hk_envelope env;
    read_env("{\"id\":\"a\",\"id\":\"caf\\u00e9\",\"type\":\"T\",\"createdTimestamp\":5}", &env);
    assert_true(env.valid);
    assert_string_equal(env.id, "caf\xc3\xa9"); /* the last duplicate wins, decoded */
    expect_invalid("{\"id\":\"a\\u0000b\",\"type\":\"T\",\"createdTimestamp\":5}",
                   "not valid JSON");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_flagright_event),
        cmocka_unit_test(test_broken_envelopes),
        cmocka_unit_test(test_id_length_limit),
        cmocka_unit_test(test_escapes_and_duplicates),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
