/* test_tls.c -- building TLS server contexts from a listener's "tls" object: every problem
 * named with its file, cause and fix; expiry only warns; references keep a context alive. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "base/err.h"
#include "conf/tls.h"
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct loaded {
    struct hk_diags problems, warnings;
    struct hk_tls_server *server;
    int rc;
};

/* Parses {"tls": <tls>} from dir/hookd.json. */
static void load(const char *dir, const char *tls, struct loaded *l)
{
    struct tu_doc t;
    memset(l, 0, sizeof *l);
    tu_load_member(&t, dir, "tls", tls, &l->problems);
    l->rc = hk_tls_server_parse(&t.member, dir, &l->warnings, &l->server);
    hk_jdoc_free(&t.doc);
}

static void unload(struct loaded *l)
{
    hk_tls_server_release(l->server);
    hk_diags_free(&l->problems);
    hk_diags_free(&l->warnings);
}

static void expect_line(const struct hk_diags *d, const char *needle)
{
    if (!hk_diags_find(d, needle)) {
        for (size_t i = 0; i < d->n; i++)
            print_message("  %s\n", d->lines[i]);
        fail_msg("no line mentions \"%s\"", needle);
    }
}

/* Loads tls and expects it refused with a problem mentioning needle. */
static void expect_refused(const char *dir, const char *tls, const char *needle)
{
    struct loaded l;
    load(dir, tls, &l);
    assert_int_equal(l.rc, HK_ECONF);
    assert_null(l.server);
    expect_line(&l.problems, needle);
    unload(&l);
}

static const char *pki(const char *name)
{
    const char *dir = tu_tmpdir(name);
    tu_make_cert(dir, "server", &(struct tu_cert){.subject = "CN=localhost", .san = "localhost"});
    return dir;
}

static void test_valid_ecdsa_and_rsa(void **state)
{
    (void)state;
    const char *dir = pki("tls_valid");
    tu_make_cert(dir, "rsa", &(struct tu_cert){.subject = "CN=rsa.example", .rsa = true});
    tu_make_cert(dir, "ca", &(struct tu_cert){.subject = "CN=Clients CA", .ca = true});
    struct loaded l;
    load(dir,
         "{\"cert\": \"server.crt\", \"key\": \"server.key\", \"client_ca\": \"ca.crt\", "
         "\"require_client_cert\": true, \"handshake_timeout_ms\": \"2s\", "
         "\"sni\": [{\"names\": [\"rsa.example\"], \"cert\": \"rsa.crt\", \"key\": \"rsa.key\"}]}",
         &l);
    assert_int_equal(l.rc, 0);
    assert_int_equal(l.problems.n, 0);
    assert_int_equal(l.warnings.n, 0);
    assert_int_equal(hk_tls_server_handshake_ms(l.server), 2000);
    assert_true(hk_tls_server_asks_client_cert(l.server));
    unload(&l);
}

static void test_absolute_paths(void **state)
{
    (void)state;
    const char *dir = pki("tls_abs");
    char tls[2048];
    snprintf(tls, sizeof tls, "{\"cert\": \"%s/server.crt\", \"key\": \"%s/server.key\"}", dir,
             dir);
    struct loaded l;
    load(dir, tls, &l);
    assert_int_equal(l.rc, 0);
    assert_int_equal(hk_tls_server_handshake_ms(l.server), 10000); /* the default */
    assert_false(hk_tls_server_asks_client_cert(l.server));
    unload(&l);
}

static void test_unreadable_file(void **state)
{
    (void)state;
    const char *dir = pki("tls_missing");
    expect_refused(dir, "{\"cert\": \"nope.crt\", \"key\": \"server.key\"}",
                   "tls.cert: cannot read certificate file ");
    expect_refused(dir, "{\"cert\": \"nope.crt\", \"key\": \"server.key\"}",
                   "no such file or entry: fix the path, or make the file readable");
    expect_refused(dir, "{\"cert\": \"server.crt\"}", "tls.key: missing: this key is required");
}

static void test_not_pem_and_bad_pem(void **state)
{
    (void)state;
    const char *dir = pki("tls_badpem");
    tu_write_file(dir, "der.crt", "\x30\x82\x01\x0a binary");
    tu_write_file(dir, "bad.crt",
                  "-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydA==\n"
                  "-----END CERTIFICATE-----\n");
    tu_write_file(dir, "bad.key",
                  "-----BEGIN EC PRIVATE KEY-----\nAAAA\n"
                  "-----END EC PRIVATE KEY-----\n");
    expect_refused(dir, "{\"cert\": \"der.crt\", \"key\": \"server.key\"}",
                   "der.crt is not a PEM file (no \"-----BEGIN\" line)");
    expect_refused(dir, "{\"cert\": \"bad.crt\", \"key\": \"server.key\"}",
                   "cannot parse the PEM certificate(s) in ");
    expect_refused(dir, "{\"cert\": \"server.crt\", \"key\": \"bad.key\"}",
                   "cannot parse the PEM private key in ");
    /* a certificate where the key belongs, and the other way round */
    expect_refused(dir, "{\"cert\": \"server.crt\", \"key\": \"server.crt\"}",
                   "cannot parse the PEM private key in ");
    expect_refused(dir, "{\"cert\": \"server.key\", \"key\": \"server.key\"}",
                   "cannot parse the PEM certificate(s) in ");
}

static void test_key_does_not_match(void **state)
{
    (void)state;
    const char *dir = pki("tls_mismatch");
    tu_make_cert(dir, "other", &(struct tu_cert){.subject = "CN=other"});
    tu_make_cert(dir, "rsa", &(struct tu_cert){.subject = "CN=rsa", .rsa = true});
    expect_refused(dir, "{\"cert\": \"server.crt\", \"key\": \"other.key\"}",
                   "other.key does not belong to certificate ");
    expect_refused(dir, "{\"cert\": \"server.crt\", \"key\": \"rsa.key\"}",
                   "rsa.key does not belong to certificate ");
}

static void test_weak_rsa_refused(void **state)
{
    (void)state;
    const char *dir = pki("tls_weak");
    tu_make_cert(dir, "weak",
                 &(struct tu_cert){.subject = "CN=weak", .rsa = true, .rsa_bits = 1024});
    expect_refused(dir, "{\"cert\": \"weak.crt\", \"key\": \"weak.key\"}",
                   "has 1024 bits, too few to be safe: use 2048 bits or more");
}

static void test_expired_only_warns(void **state)
{
    (void)state;
    const char *dir = pki("tls_expired");
    tu_make_cert(dir, "old", &(struct tu_cert){.subject = "CN=old.example", .expired = true});
    struct loaded l;
    load(dir, "{\"cert\": \"old.crt\", \"key\": \"old.key\"}", &l);
    assert_int_equal(l.rc, 0);
    assert_int_equal(l.problems.n, 0);
    expect_line(&l.warnings, "hookd.json:2:");
    expect_line(&l.warnings, "tls.cert: certificate ");
    expect_line(&l.warnings, "(CN=old.example) expired on 2001-12-31 23:59:59 UTC: clients "
                             "will refuse it; renew it and reload");
    unload(&l);
}

static void test_expiring_soon_warns(void **state)
{
    (void)state;
    const char *dir = pki("tls_expiring");
    tu_make_cert(dir, "soon", &(struct tu_cert){.subject = "CN=soon.example", .valid_days = 3});
    tu_make_cert(dir, "later", &(struct tu_cert){.subject = "CN=later.example", .valid_days = 60});
    struct loaded l;
    load(dir, "{\"cert\": \"soon.crt\", \"key\": \"soon.key\"}", &l);
    assert_int_equal(l.rc, 0);
    expect_line(&l.warnings, "(CN=soon.example) expires on ");
    expect_line(&l.warnings, ", in 3 day(s): renew it and reload");
    unload(&l);
    load(dir, "{\"cert\": \"later.crt\", \"key\": \"later.key\"}", &l);
    assert_int_equal(l.rc, 0);
    assert_int_equal(l.warnings.n, 0);
    unload(&l);
}

static void test_client_auth_settings(void **state)
{
    (void)state;
    const char *dir = pki("tls_clientauth");
    expect_refused(dir,
                   "{\"cert\": \"server.crt\", \"key\": \"server.key\", "
                   "\"require_client_cert\": true}",
                   "tls.require_client_cert: needs \"client_ca\"");
    expect_refused(dir,
                   "{\"cert\": \"server.crt\", \"key\": \"server.key\", "
                   "\"client_ca\": \"nope.pem\"}",
                   "tls.client_ca: cannot read CA certificate file ");
}

static void test_options_checked(void **state)
{
    (void)state;
    const char *dir = pki("tls_options");
    expect_refused(dir, "[]", "tls: expected an object");
    expect_refused(dir, "{\"cert\": \"server.crt\", \"key\": \"server.key\", \"ciphers\": \"x\"}",
                   "tls.ciphers: unknown key");
    expect_refused(dir,
                   "{\"cert\": \"server.crt\", \"key\": \"server.key\", "
                   "\"handshake_timeout_ms\": 5}",
                   "tls.handshake_timeout_ms: duration out of range");
    expect_refused(dir,
                   "{\"cert\": \"server.crt\", \"key\": \"server.key\", "
                   "\"ticket_rotation_s\": 10}",
                   "tls.ticket_rotation_s: 10 is out of range");
    expect_refused(dir,
                   "{\"cert\": \"server.crt\", \"key\": \"server.key\", "
                   "\"sni\": [{\"names\": [\"bad name\"], \"cert\": \"server.crt\", "
                   "\"key\": \"server.key\"}]}",
                   "tls.sni[0].names[0]: expected a host name");
    expect_refused(dir,
                   "{\"cert\": \"server.crt\", \"key\": \"server.key\", "
                   "\"sni\": [{\"names\": [\"a.example\"], \"cert\": \"nope.crt\", "
                   "\"key\": \"server.key\"}]}",
                   "tls.sni[0].cert: cannot read certificate file ");
}

static void test_inline_password_warns(void **state)
{
    (void)state;
    const char *dir = pki("tls_inline_pw");
    struct loaded l;
    /* an unencrypted key ignores the password; the inline password still deserves a warning */
    load(dir,
         "{\"cert\": \"server.crt\", \"key\": \"server.key\", \"key_password\": "
         "{\"value\": \"pw\"}}",
         &l);
    assert_int_equal(l.rc, 0);
    expect_line(&l.warnings, "tls.key_password: the key password is written inline");
    unload(&l);
    expect_refused(dir,
                   "{\"cert\": \"server.crt\", \"key\": \"server.key\", \"key_password\": "
                   "{\"env\": \"HK_UNIT_NOT_SET\"}}",
                   "tls.key_password: environment variable HK_UNIT_NOT_SET is not set");
}

static void test_references(void **state)
{
    (void)state;
    const char *dir = pki("tls_refs");
    struct loaded l;
    load(dir, "{\"cert\": \"server.crt\", \"key\": \"server.key\"}", &l);
    assert_int_equal(l.rc, 0);
    struct hk_tls_server *kept = hk_tls_server_acquire(l.server);
    unload(&l);                                  /* the configuration's reference */
    assert_non_null(hk_tls_server_config(kept)); /* still alive (ASan would say otherwise) */
    hk_tls_server_release(kept);
    hk_tls_server_release(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_valid_ecdsa_and_rsa),   cmocka_unit_test(test_absolute_paths),
        cmocka_unit_test(test_unreadable_file),       cmocka_unit_test(test_not_pem_and_bad_pem),
        cmocka_unit_test(test_key_does_not_match),    cmocka_unit_test(test_weak_rsa_refused),
        cmocka_unit_test(test_expired_only_warns),    cmocka_unit_test(test_expiring_soon_warns),
        cmocka_unit_test(test_client_auth_settings),  cmocka_unit_test(test_options_checked),
        cmocka_unit_test(test_inline_password_warns), cmocka_unit_test(test_references),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
