/* test_tls_session.c -- a server session against an mbedTLS client, both in memory.
 *
 * The client's records reach the server whole or one byte at a time, and the client reads
 * the server's one byte at a time, so every partial-input path of the handshake and the
 * record layer runs. Also: the policy refuses TLS 1.1 and CBC clients with an alert, ALPN
 * says http/1.1, SNI picks certificates, tickets resume, client certificates verify. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "base/err.h"
#include "conf/tls.h"
#include "net/tls_session.h"
#include "testutil.h"

#include <mbedtls/ssl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_ROUNDS        64
#define ALERT_LEVEL_FATAL 2
#define ALERT_PROTOCOL    70 /* protocol_version */
#define ALERT_HANDSHAKE   40 /* handshake_failure */
#define BIG_WRITE         100000

static const char *dir; /* the PKI made once for every test */

/* ---- the server side ---- */

struct server {
    struct hk_tls_server *ctx;
    struct hk_tls_session *s;
    bool established;
    enum hk_tls_event last;
    struct hk_buf plain; /* every byte of plaintext received */
};

static struct hk_tls_server *context(const char *tls)
{
    struct hk_diags problems = {0}, warnings = {0};
    struct tu_doc doc;
    struct hk_tls_server *t = NULL;
    tu_load_member(&doc, dir, "tls", tls, &problems);
    int rc = hk_tls_server_parse(&doc.member, dir, &warnings, &t);
    for (size_t i = 0; i < problems.n; i++)
        print_message("  %s\n", problems.lines[i]);
    assert_int_equal(rc, 0);
    hk_jdoc_free(&doc.doc);
    hk_diags_free(&problems);
    hk_diags_free(&warnings);
    return t;
}

/* A session on a context built from tls; the session holds the only reference. */
static void server_open(struct server *sv, const char *tls)
{
    memset(sv, 0, sizeof *sv);
    struct hk_tls_server *t = context(tls);
    assert_int_equal(hk_tls_session_new(t, &sv->s), 0);
    hk_tls_server_release(t);
}

static void server_close(struct server *sv)
{
    hk_tls_session_free(sv->s);
    hk_buf_free(&sv->plain);
}

/* Reads until the session wants more input (or ends), as conn.c does. */
static void server_run(struct server *sv)
{
    static uint8_t buf[HK_TLS_PLAIN_MAX];
    for (;;) {
        size_t len = 0;
        enum hk_tls_event ev = hk_tls_session_read(sv->s, buf, sizeof buf, &len);
        if (ev == HK_TLS_ESTABLISHED) {
            assert_false(sv->established);
            sv->established = true;
        } else if (ev == HK_TLS_DATA) {
            assert_true(len > 0 && len <= sizeof buf);
            hk_buf_append(&sv->plain, buf, len);
        } else {
            sv->last = ev;
            return;
        }
    }
}

/* ---- the client side: mbedTLS over two memory pipes ---- */

struct client {
    mbedtls_ssl_config conf;
    mbedtls_ssl_context ssl;
    mbedtls_x509_crt ca, own;
    mbedtls_pk_context key;
    struct hk_buf to_server;
    struct hk_buf from_server; /* everything the server sent, kept for inspection */
    size_t from_off;
    size_t read_max; /* bytes handed to mbedTLS per receive call */
};

static int client_send(void *ctx, const unsigned char *p, size_t n)
{
    struct client *c = ctx;
    hk_buf_append(&c->to_server, p, n);
    return (int)n;
}

static int client_recv(void *ctx, unsigned char *p, size_t n)
{
    struct client *c = ctx;
    size_t avail = c->from_server.len - c->from_off;
    if (avail == 0)
        return MBEDTLS_ERR_SSL_WANT_READ;
    if (n > avail)
        n = avail;
    if (n > c->read_max)
        n = c->read_max;
    memcpy(p, c->from_server.data + c->from_off, n);
    c->from_off += n;
    return (int)n;
}

struct client_opts {
    const char *hostname; /* SNI and the name checked; default "localhost" */
    int max_minor;        /* MBEDTLS_SSL_MINOR_VERSION_x; 0: 1.2 */
    const int *suites;    /* NULL: mbedTLS's defaults */
    const char *cert;     /* own certificate pair name in dir, or NULL */
    bool no_verify;       /* do not verify the server (SNI tests look at the cert instead) */
};

static void client_open(struct client *c, const struct client_opts *o)
{
    static const char *alpn[] = {"http/1.1", NULL};
    char path[1024];
    memset(c, 0, sizeof *c);
    c->read_max = 1;
    mbedtls_ssl_config_init(&c->conf);
    mbedtls_ssl_init(&c->ssl);
    mbedtls_x509_crt_init(&c->ca);
    mbedtls_x509_crt_init(&c->own);
    mbedtls_pk_init(&c->key);
    assert_int_equal(mbedtls_ssl_config_defaults(&c->conf, MBEDTLS_SSL_IS_CLIENT,
                                                 MBEDTLS_SSL_TRANSPORT_STREAM,
                                                 MBEDTLS_SSL_PRESET_DEFAULT),
                     0);
    mbedtls_ssl_conf_rng(&c->conf, tu_random, NULL);
    snprintf(path, sizeof path, "%s/ca.crt", dir);
    assert_int_equal(mbedtls_x509_crt_parse_file(&c->ca, path), 0);
    mbedtls_ssl_conf_ca_chain(&c->conf, &c->ca, NULL);
    mbedtls_ssl_conf_authmode(&c->conf, o->no_verify ? MBEDTLS_SSL_VERIFY_OPTIONAL
                                                     : MBEDTLS_SSL_VERIFY_REQUIRED);
    mbedtls_ssl_conf_min_version(&c->conf, MBEDTLS_SSL_MAJOR_VERSION_3,
                                 MBEDTLS_SSL_MINOR_VERSION_1);
    mbedtls_ssl_conf_max_version(&c->conf, MBEDTLS_SSL_MAJOR_VERSION_3,
                                 o->max_minor ? o->max_minor : MBEDTLS_SSL_MINOR_VERSION_3);
    if (o->suites)
        mbedtls_ssl_conf_ciphersuites(&c->conf, o->suites);
    assert_int_equal(mbedtls_ssl_conf_alpn_protocols(&c->conf, alpn), 0);
    if (o->cert) {
        snprintf(path, sizeof path, "%s/%s.crt", dir, o->cert);
        assert_int_equal(mbedtls_x509_crt_parse_file(&c->own, path), 0);
        snprintf(path, sizeof path, "%s/%s.key", dir, o->cert);
        assert_int_equal(mbedtls_pk_parse_keyfile(&c->key, path, NULL), 0);
        assert_int_equal(mbedtls_ssl_conf_own_cert(&c->conf, &c->own, &c->key), 0);
    }
    assert_int_equal(mbedtls_ssl_setup(&c->ssl, &c->conf), 0);
    assert_int_equal(mbedtls_ssl_set_hostname(&c->ssl, o->hostname ? o->hostname : "localhost"), 0);
    mbedtls_ssl_set_bio(&c->ssl, c, client_send, client_recv, NULL);
}

static void client_close(struct client *c)
{
    mbedtls_ssl_free(&c->ssl);
    mbedtls_ssl_config_free(&c->conf);
    mbedtls_x509_crt_free(&c->ca);
    mbedtls_x509_crt_free(&c->own);
    mbedtls_pk_free(&c->key);
    hk_buf_free(&c->to_server);
    hk_buf_free(&c->from_server);
}

/* ---- moving bytes ---- */

/* The client's bytes to the server, step at a time (0: all at once). */
static void to_server(struct client *c, struct server *sv, size_t step)
{
    size_t off = 0;
    while (off < c->to_server.len) {
        size_t n = c->to_server.len - off;
        if (step && n > step)
            n = step;
        assert_int_equal(hk_tls_session_feed(sv->s, c->to_server.data + off, n), 0);
        off += n;
        server_run(sv);
    }
    c->to_server.len = 0;
}

static void to_client(struct server *sv, struct client *c)
{
    struct hk_buf *out = hk_tls_session_output(sv->s);
    hk_buf_append(&c->from_server, out->data, out->len);
    out->len = 0;
}

/* Runs both handshakes to their end; returns the client's last mbedTLS code. */
static int handshake(struct server *sv, struct client *c, size_t step)
{
    int rc = MBEDTLS_ERR_SSL_WANT_READ;
    for (int i = 0; i < MAX_ROUNDS; i++) {
        rc = mbedtls_ssl_handshake(&c->ssl);
        to_server(c, sv, step);
        to_client(sv, c);
        if (rc != MBEDTLS_ERR_SSL_WANT_READ || sv->last == HK_TLS_ERROR)
            break;
    }
    return rc;
}

/* Reads n bytes of plaintext as the client. */
static void client_read(struct client *c, uint8_t *out, size_t n)
{
    size_t got = 0;
    while (got < n) {
        int rc = mbedtls_ssl_read(&c->ssl, out + got, n - got);
        assert_true(rc > 0);
        got += (size_t)rc;
    }
}

static void expect_alert(const struct client *c, int description)
{
    const uint8_t *p = c->from_server.data;
    size_t n = c->from_server.len;
    assert_true(n >= 7);
    assert_int_equal(p[n - 7], MBEDTLS_SSL_MSG_ALERT); /* an unencrypted alert record, last */
    assert_int_equal(p[n - 2], ALERT_LEVEL_FATAL);
    assert_int_equal(p[n - 1], description);
}

static const char *const default_tls = "{\"cert\": \"server.crt\", \"key\": \"server.key\"}";

/* ---- tests ---- */

static void exchange(size_t step)
{
    static const char req[] = "POST /webhooks/flagright HTTP/1.1\r\nHost: x\r\n\r\n";
    static const char resp[] = "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n";
    struct server sv;
    struct client c;
    server_open(&sv, default_tls);
    client_open(&c, &(struct client_opts){0});
    assert_int_equal(handshake(&sv, &c, step), 0);
    assert_true(sv.established);
    assert_true(hk_tls_session_established(sv.s));
    assert_null(hk_tls_session_subject(sv.s));
    assert_string_equal(mbedtls_ssl_get_alpn_protocol(&c.ssl), "http/1.1");
    assert_string_equal(mbedtls_ssl_get_version(&c.ssl), "TLSv1.2");
    assert_string_equal(mbedtls_ssl_get_ciphersuite(&c.ssl),
                        "TLS-ECDHE-ECDSA-WITH-AES-256-GCM-SHA384"); /* strongest first */
    char about[160];
    hk_tls_session_describe(sv.s, about, sizeof about);
    assert_non_null(strstr(about, "alpn=http/1.1"));

    assert_int_equal(mbedtls_ssl_write(&c.ssl, (const uint8_t *)req, sizeof req - 1),
                     (int)sizeof req - 1);
    to_server(&c, &sv, step);
    assert_int_equal(sv.last, HK_TLS_NEED_MORE);
    assert_int_equal(sv.plain.len, sizeof req - 1);
    assert_memory_equal(sv.plain.data, req, sizeof req - 1);

    struct hk_buf plain = {0};
    hk_buf_puts(&plain, resp);
    assert_int_equal(hk_tls_session_write(sv.s, &plain), 0);
    assert_int_equal(plain.len, 0);
    to_client(&sv, &c);
    uint8_t got[sizeof resp - 1];
    client_read(&c, got, sizeof got);
    assert_memory_equal(got, resp, sizeof got);
    hk_buf_free(&plain);
    client_close(&c);
    server_close(&sv);
}

static void test_handshake_whole_records(void **state)
{
    (void)state;
    exchange(0);
}

static void test_handshake_one_byte_at_a_time(void **state)
{
    (void)state;
    exchange(1);
}

static void test_large_write_is_split_into_records(void **state)
{
    (void)state;
    struct server sv;
    struct client c;
    server_open(&sv, default_tls);
    client_open(&c, &(struct client_opts){0});
    c.read_max = SIZE_MAX;
    assert_int_equal(handshake(&sv, &c, 0), 0);
    struct hk_buf plain = {0};
    for (size_t i = 0; i < BIG_WRITE; i++)
        hk_buf_append(&plain, &(uint8_t){(uint8_t)(i * 7)}, 1);
    assert_int_equal(hk_tls_session_write(sv.s, &plain), 0);
    assert_int_equal(plain.len, 0);
    to_client(&sv, &c);
    assert_true(c.from_server.len > BIG_WRITE); /* several records, each with its overhead */
    uint8_t *got = malloc(BIG_WRITE);
    client_read(&c, got, BIG_WRITE);
    for (size_t i = 0; i < BIG_WRITE; i++)
        assert_int_equal(got[i], (uint8_t)(i * 7));
    free(got);
    hk_buf_free(&plain);
    client_close(&c);
    server_close(&sv);
}

static void test_write_waits_for_the_handshake(void **state)
{
    (void)state;
    struct server sv;
    server_open(&sv, default_tls);
    struct hk_buf plain = {0};
    hk_buf_puts(&plain, "too early");
    assert_int_equal(hk_tls_session_write(sv.s, &plain), 0);
    assert_int_equal(plain.len, 9); /* kept for later, not sent in the clear */
    assert_int_equal(hk_tls_session_output(sv.s)->len, 0);
    hk_buf_free(&plain);
    server_close(&sv);
}

static void test_tls11_refused(void **state)
{
    (void)state;
    struct server sv;
    struct client c;
    server_open(&sv, default_tls);
    client_open(&c, &(struct client_opts){.max_minor = MBEDTLS_SSL_MINOR_VERSION_2});
    assert_int_not_equal(handshake(&sv, &c, 0), 0);
    assert_int_equal(sv.last, HK_TLS_ERROR);
    assert_false(sv.established);
    expect_alert(&c, ALERT_PROTOCOL);
    char why[160];
    hk_tls_session_error(sv.s, why, sizeof why);
    assert_non_null(strstr(why, "min/max"));
    /* a failed session stays failed */
    size_t len;
    uint8_t buf[16];
    assert_int_equal(hk_tls_session_read(sv.s, buf, sizeof buf, &len), HK_TLS_ERROR);
    client_close(&c);
    server_close(&sv);
}

static void test_cbc_only_client_refused(void **state)
{
    (void)state;
    static const int cbc[] = {MBEDTLS_TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256,
                              MBEDTLS_TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA, 0};
    struct server sv;
    struct client c;
    server_open(&sv, default_tls);
    client_open(&c, &(struct client_opts){.suites = cbc});
    assert_int_not_equal(handshake(&sv, &c, 0), 0);
    assert_int_equal(sv.last, HK_TLS_ERROR);
    expect_alert(&c, ALERT_HANDSHAKE);
    client_close(&c);
    server_close(&sv);
}

static void test_garbage_fails(void **state)
{
    (void)state;
    struct server sv;
    server_open(&sv, default_tls);
    static const char http[] = "GET / HTTP/1.1\r\nHost: x\r\n\r\n";
    assert_int_equal(hk_tls_session_feed(sv.s, (const uint8_t *)http, sizeof http - 1), 0);
    server_run(&sv);
    assert_int_equal(sv.last, HK_TLS_ERROR);
    server_close(&sv);
}

static void test_close_notify_both_ways(void **state)
{
    (void)state;
    struct server sv;
    struct client c;
    uint8_t b[8];
    server_open(&sv, default_tls);
    client_open(&c, &(struct client_opts){0});
    assert_int_equal(handshake(&sv, &c, 0), 0);
    hk_tls_session_close(sv.s);
    hk_tls_session_close(sv.s); /* once only */
    struct hk_buf plain = {0};
    hk_buf_puts(&plain, "after close");
    hk_tls_session_write(sv.s, &plain); /* nothing goes out after close_notify */
    to_client(&sv, &c);
    assert_int_equal(mbedtls_ssl_read(&c.ssl, b, sizeof b), MBEDTLS_ERR_SSL_PEER_CLOSE_NOTIFY);
    assert_int_equal(mbedtls_ssl_close_notify(&c.ssl), 0);
    to_server(&c, &sv, 0);
    assert_int_equal(sv.last, HK_TLS_CLOSED);
    hk_buf_free(&plain);
    client_close(&c);
    server_close(&sv);
}

static bool contains(const struct hk_buf *hay, const uint8_t *needle, size_t n)
{
    for (size_t i = 0; i + n <= hay->len; i++)
        if (memcmp(hay->data + i, needle, n) == 0)
            return true;
    return false;
}

/* A full handshake, then one resumed with its ticket: the second sends no certificate and
 * still knows the client's verified subject (want_subject, or NULL). */
static void resume(const char *tls, const char *client_cert, const char *want_subject)
{
    char path[1024];
    struct hk_tls_server *t = context(tls);
    mbedtls_x509_crt cert;
    mbedtls_ssl_session saved;
    mbedtls_x509_crt_init(&cert);
    mbedtls_ssl_session_init(&saved);
    snprintf(path, sizeof path, "%s/server.crt", dir);
    assert_int_equal(mbedtls_x509_crt_parse_file(&cert, path), 0);
    for (int round = 0; round < 2; round++) {
        struct server sv = {0};
        struct client c;
        assert_int_equal(hk_tls_session_new(t, &sv.s), 0);
        client_open(&c, &(struct client_opts){.cert = client_cert});
        if (round == 1)
            assert_int_equal(mbedtls_ssl_set_session(&c.ssl, &saved), 0);
        assert_int_equal(handshake(&sv, &c, 0), 0);
        assert_true(sv.established);
        /* the certificate goes out in the full handshake only */
        assert_int_equal(contains(&c.from_server, cert.raw.p, cert.raw.len), round == 0);
        if (want_subject)
            assert_string_equal(hk_tls_session_subject(sv.s), want_subject);
        else
            assert_null(hk_tls_session_subject(sv.s));
        if (round == 0)
            assert_int_equal(mbedtls_ssl_get_session(&c.ssl, &saved), 0);
        client_close(&c);
        server_close(&sv);
    }
    mbedtls_ssl_session_free(&saved);
    mbedtls_x509_crt_free(&cert);
    hk_tls_server_release(t);
}

static void test_ticket_resumes(void **state)
{
    (void)state;
    resume(default_tls, NULL, NULL);
}

static void sni_picks(const char *hostname, const char *want_subject)
{
    char dn[256];
    struct server sv;
    struct client c;
    server_open(&sv,
                "{\"cert\": \"server.crt\", \"key\": \"server.key\", \"sni\": ["
                "{\"names\": [\"b.example\"], \"cert\": \"b.crt\", \"key\": \"b.key\"},"
                "{\"names\": [\"*.wild.example\"], \"cert\": \"w.crt\", \"key\": \"w.key\"}]}");
    client_open(&c, &(struct client_opts){.hostname = hostname, .no_verify = true});
    assert_int_equal(handshake(&sv, &c, 0), 0);
    const mbedtls_x509_crt *peer = mbedtls_ssl_get_peer_cert(&c.ssl);
    assert_non_null(peer);
    assert_true(mbedtls_x509_dn_gets(dn, sizeof dn, &peer->subject) > 0);
    assert_string_equal(dn, want_subject);
    client_close(&c);
    server_close(&sv);
}

static void test_sni_chooses_the_certificate(void **state)
{
    (void)state;
    sni_picks("b.example", "CN=b.example");
    sni_picks("B.Example", "CN=b.example");
    sni_picks("x.wild.example", "CN=w.wild.example");
    sni_picks("x.y.wild.example", "CN=localhost"); /* a wildcard covers one label */
    sni_picks("unknown.example", "CN=localhost");  /* the default */
}

static const char *const mtls_required =
    "{\"cert\": \"server.crt\", \"key\": \"server.key\", \"client_ca\": \"clients-ca.crt\", "
    "\"require_client_cert\": true}";
static const char *const mtls_optional =
    "{\"cert\": \"server.crt\", \"key\": \"server.key\", \"client_ca\": \"clients-ca.crt\"}";

/* Runs a handshake with the client certificate pair cert (or none); returns the server. */
static void mtls(const char *tls, const char *cert, struct server *sv)
{
    struct client c;
    server_open(sv, tls);
    client_open(&c, &(struct client_opts){.cert = cert});
    handshake(sv, &c, 0);
    client_close(&c);
}

static void test_client_certificates(void **state)
{
    (void)state;
    struct server sv;
    mtls(mtls_required, "client", &sv);
    assert_true(sv.established);
    assert_string_equal(hk_tls_session_subject(sv.s), "CN=sender.example, O=Sender");
    server_close(&sv);

    mtls(mtls_required, NULL, &sv);
    assert_int_equal(sv.last, HK_TLS_ERROR);
    server_close(&sv);

    mtls(mtls_required, "stranger", &sv);
    assert_int_equal(sv.last, HK_TLS_ERROR);
    server_close(&sv);

    mtls(mtls_optional, NULL, &sv); /* asked, not required: in, but without a subject */
    assert_true(sv.established);
    assert_null(hk_tls_session_subject(sv.s));
    server_close(&sv);

    mtls(mtls_optional, "stranger", &sv);
    assert_true(sv.established);
    assert_null(hk_tls_session_subject(sv.s));
    server_close(&sv);

    mtls(mtls_optional, "client", &sv);
    assert_string_equal(hk_tls_session_subject(sv.s), "CN=sender.example, O=Sender");
    server_close(&sv);
}

static void test_ticket_resumes_with_the_client_subject(void **state)
{
    (void)state;
    resume(mtls_required, "client", "CN=sender.example, O=Sender");
}

static int make_pki(void **state)
{
    (void)state;
    dir = tu_tmpdir("tls_session");
    tu_make_cert(dir, "ca", &(struct tu_cert){.subject = "CN=Test CA", .ca = true});
    tu_make_cert(dir, "server",
                 &(struct tu_cert){.subject = "CN=localhost", .san = "localhost", .issuer = "ca"});
    tu_make_cert(dir, "b", &(struct tu_cert){.subject = "CN=b.example", .issuer = "ca"});
    tu_make_cert(dir, "w", &(struct tu_cert){.subject = "CN=w.wild.example", .issuer = "ca"});
    tu_make_cert(dir, "clients-ca", &(struct tu_cert){.subject = "CN=Clients CA", .ca = true});
    tu_make_cert(
        dir, "client",
        &(struct tu_cert){.subject = "CN=sender.example,O=Sender", .issuer = "clients-ca"});
    tu_make_cert(dir, "other-ca", &(struct tu_cert){.subject = "CN=Other CA", .ca = true});
    tu_make_cert(dir, "stranger",
                 &(struct tu_cert){.subject = "CN=stranger.example", .issuer = "other-ca"});
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_handshake_whole_records),
        cmocka_unit_test(test_handshake_one_byte_at_a_time),
        cmocka_unit_test(test_large_write_is_split_into_records),
        cmocka_unit_test(test_write_waits_for_the_handshake),
        cmocka_unit_test(test_tls11_refused),
        cmocka_unit_test(test_cbc_only_client_refused),
        cmocka_unit_test(test_garbage_fails),
        cmocka_unit_test(test_close_notify_both_ways),
        cmocka_unit_test(test_ticket_resumes),
        cmocka_unit_test(test_sni_chooses_the_certificate),
        cmocka_unit_test(test_client_certificates),
        cmocka_unit_test(test_ticket_resumes_with_the_client_subject),
    };
    return cmocka_run_group_tests(tests, make_pki, NULL);
}
