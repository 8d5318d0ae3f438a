/* test_form.c -- hk_form_find on Slack-like bodies and on broken ones. */
#include "testutil.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "base/err.h"
#include "base/form.h"

#include <string.h>

#define SLACK_BODY                                                                                 \
    "token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&command=%2Fwebhook-collect&text=&"           \
    "response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J&"                           \
    "trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c"

static int find(const char *body, const char *name, char *out, size_t cap, size_t *len)
{
    return hk_form_find((const uint8_t *)body, strlen(body), name, out, cap, len);
}

static void test_slack_fields(void **state)
{
    (void)state;
    char out[128];
    size_t len = 99;
    assert_int_equal(find(SLACK_BODY, "command", out, sizeof out, &len), 0);
    assert_string_equal(out, "/webhook-collect");
    assert_int_equal(len, 16);
    assert_int_equal(find(SLACK_BODY, "trigger_id", out, sizeof out, &len), 0);
    assert_string_equal(out, "398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c");
    assert_int_equal(find(SLACK_BODY, "response_url", out, sizeof out, &len), 0);
    assert_string_equal(out, "https://hooks.slack.com/commands/T1DC2JH3J");
    assert_int_equal(find(SLACK_BODY, "text", out, sizeof out, &len), 0);
    assert_string_equal(out, "");
    assert_int_equal(len, 0);
    assert_int_equal(find(SLACK_BODY, "token", out, sizeof out, &len), 0);
    assert_int_equal(find(SLACK_BODY, "team", out, sizeof out, &len), HK_ENOENT);
    assert_int_equal(find(SLACK_BODY, "trigger_id=", out, sizeof out, &len), HK_ENOENT);
}

static void test_decoding(void **state)
{
    (void)state;
    char out[64];
    size_t len;
    assert_int_equal(find("a=1+2%2b3&b", "a", out, sizeof out, &len), 0);
    assert_string_equal(out, "1 2+3");
    /* A field without '=' has the empty value; the name is decoded before comparing. */
    assert_int_equal(find("a=1&b", "b", out, sizeof out, &len), 0);
    assert_string_equal(out, "");
    assert_int_equal(find("trigger%5Fid=x&y=1", "trigger_id", out, sizeof out, &len), 0);
    assert_string_equal(out, "x");
    assert_int_equal(find("my+name=x", "my name", out, sizeof out, &len), 0);
    /* The first occurrence wins. */
    assert_int_equal(find("a=1&a=2", "a", out, sizeof out, &len), 0);
    assert_string_equal(out, "1");
    /* The payload of an interactivity request is URL-encoded JSON. */
    assert_int_equal(
        find("payload=%7B%22type%22%3A%22block_actions%22%7D", "payload", out, sizeof out, &len),
        0);
    assert_string_equal(out, "{\"type\":\"block_actions\"}");
    assert_int_equal(find("a=1&&b=2&", "b", out, sizeof out, &len), 0);
    assert_string_equal(out, "2");
    assert_int_equal(find("a=b=c", "a", out, sizeof out, &len), 0);
    assert_string_equal(out, "b=c");
}

static void test_errors(void **state)
{
    (void)state;
    char out[8];
    size_t len;
    assert_int_equal(find("a=%zz", "a", out, sizeof out, &len), HK_EPARSE);
    assert_int_equal(find("a=%2", "a", out, sizeof out, &len), HK_EPARSE);
    assert_int_equal(find("a=%", "a", out, sizeof out, &len), HK_EPARSE);
    assert_int_equal(find("a=x%00y", "a", out, sizeof out, &len), HK_EPARSE);
    assert_int_equal(hk_form_find((const uint8_t *)"a=x\0y", 5, "a", out, sizeof out, &len),
                     HK_EPARSE);
    /* A bad escape in a name read before the field is found. */
    assert_int_equal(find("%g1=x&a=1", "a", out, sizeof out, &len), HK_EPARSE);
    /* ...but not in a value that was not asked for. */
    assert_int_equal(find("b=%g1&a=1", "a", out, sizeof out, &len), 0);
    assert_int_equal(find("a=1234567", "a", out, sizeof out, &len), 0);
    assert_int_equal(find("a=12345678", "a", out, sizeof out, &len), HK_ERANGE);
    assert_int_equal(find("a=", "a", out, 0, &len), HK_ERANGE);
    assert_int_equal(find("", "a", out, sizeof out, &len), HK_ENOENT);
    assert_int_equal(hk_form_find(NULL, 0, "a", out, sizeof out, &len), HK_ENOENT);
    assert_int_equal(find("=x", "", out, sizeof out, &len), HK_ENOENT);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_slack_fields),
        cmocka_unit_test(test_decoding),
        cmocka_unit_test(test_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
