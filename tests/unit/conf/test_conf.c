/* test_conf.c -- configuration loading and the quality of its error messages: every problem
 * reported at once, each with file:line:col, key path, cause and fix. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "conf/conf.h"
#include "testutil.h"

#include <stdlib.h>
#include <string.h>

static const char *good_sources =
    "\"sources\": [{\"name\": \"flagright\", \"path\": \"/webhooks/flagright\",\n"
    "  \"verify\": {\"scheme\": \"flagright\", \"secrets\": [{\"env\": \"HK_TEST_SECRET\"},\n"
    "                                                  {\"file\": \"secrets/old\"}]}}]";

/* Loads text as hookd.json in a fresh directory; returns the diagnostics (caller frees). */
static int load(const char *name, const char *text, struct hk_diags *d, struct hk_conf **out)
{
    const char *dir = tu_tmpdir(name);
    tu_write_file(dir, "hookd.json", text);
    tu_write_file(dir, "secrets/old", "old-secret\n");
    memset(d, 0, sizeof *d);
    return hk_conf_load(dir, d, out);
}

static void expect_problem(const struct hk_diags *d, const char *needle)
{
    if (!hk_diags_find(d, needle)) {
        for (size_t i = 0; i < d->n; i++)
            print_message("  %s\n", d->lines[i]);
        fail_msg("no problem mentions \"%s\"", needle);
    }
}

static void test_valid_with_defaults(void **state)
{
    (void)state;
    char text[2048];
    struct hk_diags d;
    struct hk_conf *c = NULL;
    setenv("HK_TEST_SECRET", "new-secret", 1);
    snprintf(text, sizeof text, "{\"listen\": [{\"address\": \"127.0.0.1:8080\"}], %s}",
             good_sources);
    assert_int_equal(load("valid", text, &d, &c), 0);
    assert_int_equal(d.n, 0);
    assert_int_equal(c->limits.max_body_bytes, 1048576);
    assert_int_equal(c->limits.header_timeout_ms, 10000);
    assert_true(c->io_threads >= 1);
    assert_true(c->check_threads >= 1); /* 0 (the default) resolves to one per core */
    assert_int_equal(c->sources[0].verifier->nsecrets, 2);
    assert_memory_equal(c->sources[0].verifier->secrets[1].bytes, "old-secret", 10);
    assert_int_equal(c->sources[0].verifier->secrets[1].len, 10); /* newline dropped */
    assert_non_null(hk_conf_source_by_path(c, "/webhooks/flagright", 19));
    assert_null(hk_conf_source_by_path(c, "/webhooks/flagrigh", 18));
    assert_non_null(strstr(c->store.path, "/var/hookd.db"));
    assert_int_equal(strlen(c->hash), 64);
    hk_conf_free(c);
    hk_diags_free(&d);
}

static void test_every_problem_listed(void **state)
{
    (void)state;
    struct hk_diags d;
    struct hk_conf *c = NULL;
    unsetenv("HK_MISSING_SECRET");
    const char *text =
        "{\n"
        "  \"lisen\": [],\n"
        "  \"listen\": [{\"address\": \"localhost\"}],\n"
        "  \"limits\": {\"max_body_bytes\": 0, \"idle_timeout_ms\": \"x\"},\n"
        "  \"check_threads\": 65,\n"
        "  \"sources\": [\n"
        "    {\"name\": \"a\", \"path\": \"nope\", \"verify\": {\"scheme\": \"flagrite\"}},\n"
        "    {\"name\": \"b\", \"path\": \"/b\",\n"
        "     \"verify\": {\"scheme\": \"flagright\", \"secrets\": [{\"env\": "
        "\"HK_MISSING_SECRET\"}]}}\n"
        "  ]\n"
        "}\n";
    assert_int_not_equal(load("problems", text, &d, &c), 0);
    assert_null(c);
    expect_problem(&d, "hookd.json:2:12: lisen: unknown key: did you mean \"listen\"?");
    expect_problem(&d, "hookd.json:3:26: listen[0].address: \"localhost\" is not an address");
    expect_problem(&d, "limits.max_body_bytes: 0 is out of range: use a value from 1");
    expect_problem(&d, "limits.idle_timeout_ms: expected an integer");
    expect_problem(&d, "hookd.json:5:20: check_threads: 65 is out of range: use a value from 0 "
                       "to 64");
    expect_problem(&d, "sources[0].path: \"nope\" is not a request path");
    expect_problem(&d, "hookd.json:7:56: sources[0].verify.scheme: unknown scheme \"flagrite\": "
                       "use one of flagright");
    expect_problem(&d, "sources[1].verify.secrets[0]: environment variable HK_MISSING_SECRET is "
                       "not set: export it");
    assert_true(d.n >= 8);
    hk_diags_free(&d);
}

static void test_syntax_error_position(void **state)
{
    (void)state;
    struct hk_diags d;
    struct hk_conf *c = NULL;
    assert_int_not_equal(load("syntax", "{\n  \"listen\": [\n  }\n", &d, &c), 0);
    expect_problem(&d, "hookd.json:3:");
    expect_problem(&d, "invalid JSON");
    hk_diags_free(&d);
}

static void test_duplicates_refused(void **state)
{
    (void)state;
    char text[4096];
    struct hk_diags d;
    struct hk_conf *c = NULL;
    setenv("HK_TEST_SECRET", "new-secret", 1);
    snprintf(text, sizeof text,
             "{\"listen\": [{\"address\": \"127.0.0.1:1\"}, {\"address\": \"127.0.0.1:1\"}],\n"
             " \"sources\": [{\"name\": \"x\", \"path\": \"/p\", \"verify\": {\"scheme\": "
             "\"flagright\", \"secrets\": [{\"value\": \"v\"}]}},\n"
             "   {\"name\": \"x\", \"path\": \"/p\", \"verify\": {\"scheme\": \"flagright\", "
             "\"secrets\": [{\"value\": \"v\"}]}}]}");
    assert_int_not_equal(load("dups", text, &d, &c), 0);
    expect_problem(&d, "address 127.0.0.1:1 is listed twice");
    expect_problem(&d, "source name \"x\" is used twice");
    expect_problem(&d, "path /p is used by sources \"x\" and \"x\"");
    hk_diags_free(&d);
    assert_int_not_equal(load("dupkey", "{\"listen\": [], \"listen\": []}", &d, &c), 0);
    expect_problem(&d, "duplicate object key");
    hk_diags_free(&d);
}

static void test_inline_secret_counted(void **state)
{
    (void)state;
    struct hk_diags d;
    struct hk_conf *c = NULL;
    const char *text = "{\"listen\": [{\"address\": \":8080\"}], \"sources\": [{\"name\": \"x\", "
                       "\"path\": \"/p\", \"verify\": {\"scheme\": \"flagright\", \"secrets\": "
                       "[{\"value\": \"v\"}]}}]}";
    assert_int_equal(load("inline", text, &d, &c), 0);
    assert_int_equal(c->inline_secrets, 1);
    hk_conf_free(c);
    hk_diags_free(&d);
}

static void test_durations(void **state)
{
    (void)state;
    int64_t ms;
    assert_int_equal(hk_duration_parse("7d", &ms), 0);
    assert_int_equal(ms, 7LL * 86400000);
    assert_int_equal(hk_duration_parse("250ms", &ms), 0);
    assert_int_equal(ms, 250);
    assert_int_not_equal(hk_duration_parse("5 s", &ms), 0);
    assert_int_not_equal(hk_duration_parse("-5s", &ms), 0);
    assert_int_not_equal(hk_duration_parse("5w", &ms), 0);
}

static const char *const open_source =
    "{\"name\": \"x\", \"path\": \"/p\", \"verify\": {\"scheme\": \"none\"}, "
    "\"require_client_cert\": true";

static void test_client_cert_sources(void **state)
{
    (void)state;
    char text[4096];
    struct hk_diags d;
    struct hk_conf *c = NULL;
    snprintf(text, sizeof text, "{\"listen\": [{\"address\": \":0\"}], \"sources\": [%s}]}",
             open_source);
    assert_int_not_equal(load("mtls_nolistener", text, &d, &c), 0);
    expect_problem(&d, "sources[0].require_client_cert: no listener asks for client "
                       "certificates, so every request would be refused: add \"client_ca\"");
    hk_diags_free(&d);

    snprintf(text, sizeof text,
             "{\"listen\": [{\"address\": \":0\"}], \"sources\": [{\"name\": \"x\", "
             "\"path\": \"/p\", \"verify\": {\"scheme\": \"none\"}, \"allow\": [\"10.0.0.1\"], "
             "\"client_subjects\": [\"CN=a\"]}]}");
    assert_int_not_equal(load("mtls_subjects_alone", text, &d, &c), 0);
    expect_problem(&d, "sources[0].client_subjects: only applies with \"require_client_cert\": "
                       "true");
    hk_diags_free(&d);
}

/* Loads a configuration with a plain and a TLS listener on the same ":0" address. */
static void test_listeners_by_address_and_ordinal(void **state)
{
    (void)state;
    char text[4096];
    struct hk_diags d;
    struct hk_conf *c = NULL;
    snprintf(text, sizeof text,
             "{\"listen\": [{\"address\": \"127.0.0.1:0\"}, {\"address\": \"127.0.0.1:0\", "
             "\"tls\": {\"cert\": \"tls/old.crt\", \"key\": \"tls/old.key\", "
             "\"client_ca\": \"tls/ca.crt\"}}],\n"
             " \"sources\": [%s, \"client_subjects\": [\"CN=sender.example,O=Sender\"]}]}",
             open_source);
    const char *dir = tu_tmpdir("conf_tls");
    tu_make_cert(dir, "tls/old", &(struct tu_cert){.subject = "CN=old", .expired = true});
    tu_make_cert(dir, "tls/ca", &(struct tu_cert){.subject = "CN=CA", .ca = true});
    tu_write_file(dir, "hookd.json", text);
    memset(&d, 0, sizeof d);
    assert_int_equal(hk_conf_load(dir, &d, &c), 0);
    assert_null(hk_conf_listener(c, "127.0.0.1:0", 0)->tls);
    assert_non_null(hk_conf_listener(c, "127.0.0.1:0", 1)->tls);
    assert_null(hk_conf_listener(c, "127.0.0.1:0", 2));
    assert_null(hk_conf_listener(c, "127.0.0.1:1", 0));
    expect_problem(&c->warnings, "hookd.json:1:");
    expect_problem(&c->warnings, "listen[1].tls.cert: certificate ");
    const struct hk_source *s = &c->sources[0];
    assert_true(hk_source_accepts_subject(s, "CN=sender.example, O=Sender"));
    assert_true(hk_source_accepts_subject(s, " CN = sender.example ,O= Sender "));
    assert_false(hk_source_accepts_subject(s, "CN=sender.example, O=Sender, OU=x"));
    assert_false(hk_source_accepts_subject(s, "CN=sender.example, O=Send er"));
    assert_false(hk_source_accepts_subject(s, "CN=other, O=Sender"));
    hk_conf_free(c);
    hk_diags_free(&d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_valid_with_defaults),
        cmocka_unit_test(test_every_problem_listed),
        cmocka_unit_test(test_syntax_error_position),
        cmocka_unit_test(test_duplicates_refused),
        cmocka_unit_test(test_inline_secret_counted),
        cmocka_unit_test(test_durations),
        cmocka_unit_test(test_client_cert_sources),
        cmocka_unit_test(test_listeners_by_address_and_ordinal),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
