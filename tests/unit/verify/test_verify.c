/* test_verify.c -- every scheme against tests/data/signatures.json, plus the cases the vectors
 * do not cover: rotation, tampering, huge and crowded headers, configuration errors.
 *
 * Verifiers are built the way hookd builds them: a hookd-like JSON file is written to a
 * temporary directory, loaded with hk_jdoc_load and its "verify" object given to
 * hk_verifier_parse, so configuration errors are checked with their real text. */
#include "testutil.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "base/codec.h"
#include "base/err.h"
#include "base/hmac.h"
#include "base/jconf.h"
#include "verify/verify.h"

#include <jansson.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define MAX_TEST_HEADERS 16

/* A verifier built from a configuration text, with what it takes to free it. */
struct tv {
    struct hk_diags diags;
    struct hk_jdoc doc;
    struct hk_verifier *v;
    int rc;
};

/* Writes {"verify": <verify_json>} as hookd.json and builds its verifier into t. */
static void tv_load(struct tv *t, const char *verify_json)
{
    struct tu_doc d;
    const char *dir = tu_tmpdir("verify");
    memset(t, 0, sizeof *t);
    tu_load_member(&d, dir, "verify", verify_json, &t->diags);
    t->doc = d.doc;
    struct hk_jcur root = hk_jcur_root(&t->doc);
    struct hk_jcur verify = hk_jcur_member(&root, "verify");
    t->rc = hk_verifier_parse(&verify, dir, &t->v);
}

static void tv_free(struct tv *t)
{
    hk_verifier_free(t->v);
    hk_jdoc_free(&t->doc);
    hk_diags_free(&t->diags);
}

/* Builds a verifier that must load, for tests of the check. */
static struct hk_verifier *tv_must(struct tv *t, const char *verify_json)
{
    tv_load(t, verify_json);
    if (t->rc != 0) {
        char *all = hk_diags_join(&t->diags);
        fail_msg("config did not load: %s", all ? all : "(no message)");
    }
    return t->v;
}

/* The verify object for scheme with the given inline secrets, as JSON text (caller frees). */
static char *verify_json(const char *scheme, const char *const *secrets, size_t n)
{
    json_t *arr = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(arr, json_pack("{s:s}", "value", secrets[i]));
    json_t *o = json_pack("{s:s,s:o}", "scheme", scheme, "secrets", arr);
    char *s = json_dumps(o, 0);
    json_decref(o);
    return s;
}

/* Asserts that a configuration problem was reported as FILE:LINE:COL: PATH: cause: fix, with
 * the given path and a piece of the text. */
static void assert_problem(const struct tv *t, const char *path, const char *needle)
{
    assert_int_not_equal(t->rc, 0);
    const char *line = hk_diags_find(&t->diags, needle);
    if (!line) {
        char *all = hk_diags_join(&t->diags);
        fail_msg("no problem mentions \"%s\"; got: %s", needle, all ? all : "(none)");
    }
    char pattern[256];
    snprintf(pattern, sizeof pattern, "^hookd\\.json:[0-9]+:[0-9]+: %s: [^:]+.*: .+", path);
    regex_t re;
    assert_int_equal(regcomp(&re, pattern, REG_EXTENDED | REG_NOSUB), 0);
    int m = regexec(&re, line, 0, NULL, 0);
    regfree(&re);
    if (m != 0)
        fail_msg("problem not in the FILE:LINE:COL: PATH: cause: fix form: %s", line);
}

/* A request under construction. */
struct treq {
    struct hk_header h[MAX_TEST_HEADERS];
    size_t nh;
    struct hk_verify_req req;
};

static void treq_init(struct treq *r, const char *body, size_t body_len, int64_t now_s)
{
    memset(r, 0, sizeof *r);
    r->req.body = (const uint8_t *)body;
    r->req.body_len = body_len;
    r->req.now_s = now_s;
    r->req.headers = r->h;
}

static void treq_header(struct treq *r, const char *name, const char *value, size_t len)
{
    assert_true(r->nh < MAX_TEST_HEADERS);
    r->h[r->nh++] = (struct hk_header){name, strlen(name), value, len};
    r->req.nheaders = r->nh;
}

static void treq_set(struct treq *r, const char *name, const char *value)
{
    treq_header(r, name, value, strlen(value));
}

/* HMAC of the concatenated parts under key, for building signatures in tests. */
static size_t mac_of(enum hk_hash hash, const char *key, const char *const *parts, size_t n,
                     uint8_t out[HK_HMAC_MAX])
{
    struct hk_hmac_key k;
    struct hk_span spans[8];
    assert_true(n <= 8);
    for (size_t i = 0; i < n; i++)
        spans[i] = (struct hk_span){parts[i], strlen(parts[i])};
    assert_int_equal(hk_hmac_key_init(&k, hash, (const uint8_t *)key, strlen(key)), 0);
    assert_int_equal(hk_hmac(&k, spans, n, out), 0);
    hk_hmac_key_wipe(&k);
    return hk_hmac_len(hash);
}

/* Lowercase hex HMAC-SHA256 of one message (65 bytes with the NUL). */
static void hex_mac(const char *key, const char *msg, char out[2 * HK_HMAC_MAX + 1])
{
    uint8_t mac[HK_HMAC_MAX];
    size_t n = mac_of(HK_SHA256, key, &msg, 1, mac);
    hk_hex_encode(mac, n, out);
}

/* ---- the vectors file ---- */

/* Which scheme each section of signatures.json exercises. */
static const struct {
    const char *section;
    const char *scheme;
} sections[] = {
    {"flagright", "flagright"}, {"standard_webhooks", "standard-webhooks"},
    {"stripe", "stripe"},       {"github", "github"},
    {"shopify", "shopify"},     {"slack", "slack"},
};

static const char *scheme_of(const char *section)
{
    for (size_t i = 0; i < sizeof sections / sizeof sections[0]; i++)
        if (strcmp(sections[i].section, section) == 0)
            return sections[i].scheme;
    return NULL;
}

static char *case_verify_json(const char *scheme, json_t *c)
{
    const char *secrets[HK_MAX_SECRETS];
    size_t n = 0;
    json_t *many = json_object_get(c, "secrets"), *el;
    size_t i;
    if (json_is_string(json_object_get(c, "secret")))
        secrets[n++] = json_string_value(json_object_get(c, "secret"));
    json_array_foreach(many, i, el)
    {
        assert_true(n < HK_MAX_SECRETS);
        secrets[n++] = json_string_value(el);
    }
    return verify_json(scheme, secrets, n);
}

/* Runs one case; returns the check's result. */
static int run_case(const char *scheme, json_t *section, json_t *c)
{
    struct tv t;
    char *vj = case_verify_json(scheme, c);
    tv_must(&t, vj);
    free(vj);
    json_t *now = json_object_get(c, "now_s");
    if (!now)
        now = json_object_get(section, "now_s");
    const char *body = json_string_value(json_object_get(c, "body"));
    struct treq r;
    treq_init(&r, body, json_string_length(json_object_get(c, "body")),
              now ? json_integer_value(now) : 0);
    const char *name;
    json_t *value;
    json_object_foreach(json_object_get(c, "headers"), name, value)
    {
        treq_header(&r, name, json_string_value(value), json_string_length(value));
    }
    int rc = hk_verifier_check(t.v, &r.req);
    tv_free(&t);
    return rc;
}

static bool is_stale_case(const char *name)
{
    return strstr(name, "stale") || strstr(name, "301 s");
}

/* A vector whose request carries no signature at all (no header, or an empty one). */
static bool is_unsigned_case(const char *name)
{
    return !strcmp(name, "missing header") || !strcmp(name, "empty header");
}

static void run_section(const char *key, json_t *section, size_t *nvalid, size_t *ninvalid)
{
    const char *scheme = scheme_of(key);
    if (!scheme)
        fail_msg("signatures.json section \"%s\" is not mapped to a scheme in this test", key);
    size_t i;
    json_t *c;
    json_array_foreach(json_object_get(section, "valid"), i, c)
    {
        const char *name = json_string_value(json_object_get(c, "name"));
        int rc = run_case(scheme, section, c);
        if (rc != 0)
            fail_msg("%s valid \"%s\": %s", key, name, hk_strerror(rc));
        (*nvalid)++;
    }
    json_array_foreach(json_object_get(section, "invalid"), i, c)
    {
        const char *name = json_string_value(json_object_get(c, "name"));
        int rc = run_case(scheme, section, c);
        int want = is_stale_case(name)      ? HK_ESTALE
                   : is_unsigned_case(name) ? HK_EUNSIGNED
                                            : HK_EAUTH;
        if (rc != want)
            fail_msg("%s invalid \"%s\": got %s, want %s", key, name, hk_strerror(rc),
                     hk_strerror(want));
        (*ninvalid)++;
    }
}

static void test_vectors(void **state)
{
    (void)state;
    json_error_t e;
    json_t *all = json_load_file(tu_data("signatures.json"), 0, &e);
    assert_non_null(all);
    const char *key;
    json_t *section;
    size_t nvalid = 0, ninvalid = 0, nsections = 0;
    json_object_foreach(all, key, section)
    {
        if (!json_is_object(section))
            continue;
        run_section(key, section, &nvalid, &ninvalid);
        nsections++;
    }
    printf("# %zu sections, %zu valid and %zu invalid cases\n", nsections, nvalid, ninvalid);
    assert_int_equal(nsections, sizeof sections / sizeof sections[0]);
    json_decref(all);
}

/* ---- behaviour the vectors do not cover ---- */

static const char flagright_conf[] = "{\"scheme\": \"flagright\", \"secrets\": "
                                     "[{\"value\": \"old-secret\"}, {\"value\": \"new-secret\"}]}";
static const char body[] = "{\"id\":\"e1\",\"type\":\"CASE_CLOSED\"}";

static int flagright_check(const struct hk_verifier *v, const char *b, const char *sig)
{
    struct treq r;
    treq_init(&r, b, strlen(b), 0);
    treq_set(&r, "X-Flagright-Signature", sig);
    return hk_verifier_check(v, &r.req);
}

static void test_rotation(void **state)
{
    (void)state;
    struct tv t;
    char old_sig[2 * HK_HMAC_MAX + 1], new_sig[2 * HK_HMAC_MAX + 1], other[2 * HK_HMAC_MAX + 1];
    hex_mac("old-secret", body, old_sig);
    hex_mac("new-secret", body, new_sig);
    hex_mac("retired-secret", body, other);
    tv_must(&t, flagright_conf);
    assert_int_equal(flagright_check(t.v, body, old_sig), 0);
    assert_int_equal(flagright_check(t.v, body, new_sig), 0);
    assert_int_equal(flagright_check(t.v, body, other), HK_EAUTH);
    tv_free(&t);
}

static void test_tampered_body_and_wrong_secret(void **state)
{
    (void)state;
    struct tv t;
    char sig[2 * HK_HMAC_MAX + 1], wrong[2 * HK_HMAC_MAX + 1];
    hex_mac("new-secret", body, sig);
    hex_mac("not-configured", body, wrong);
    tv_must(&t, flagright_conf);
    char tampered[sizeof body];
    memcpy(tampered, body, sizeof body);
    tampered[8] ^= 1;
    assert_int_equal(flagright_check(t.v, tampered, sig), HK_EAUTH);
    assert_int_equal(flagright_check(t.v, body, wrong), HK_EAUTH);
    /* A body one byte shorter (the raw bytes, not a re-serialisation, are signed). */
    struct treq r;
    treq_init(&r, body, strlen(body) - 1, 0);
    treq_set(&r, "x-flagright-signature", sig);
    assert_int_equal(hk_verifier_check(t.v, &r.req), HK_EAUTH);
    tv_free(&t);
}

static void test_hex_upper_case(void **state)
{
    (void)state;
    struct tv t;
    char sig[2 * HK_HMAC_MAX + 1];
    hex_mac("new-secret", body, sig);
    for (char *c = sig; *c; c++)
        if (*c >= 'a' && *c <= 'f')
            *c = (char)(*c - 'a' + 'A');
    tv_must(&t, flagright_conf);
    assert_int_equal(flagright_check(t.v, body, sig), 0);
    tv_free(&t);
}

/* Standard Webhooks: the official vector's secret, message and signature. */
#define SW_SECRET "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
#define SW_ID     "msg_p5jXN8AQM9LWM0D4loKWxJek"
#define SW_TS     "1614265330"
#define SW_NOW    1614265330
#define SW_BODY   "{\"test\": 2432232314}"
#define SW_SIG    "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="

static int sw_check(const struct hk_verifier *v, const char *id, const char *ts, const char *sig,
                    int64_t now)
{
    struct treq r;
    treq_init(&r, SW_BODY, strlen(SW_BODY), now);
    treq_set(&r, "webhook-id", id);
    treq_set(&r, "webhook-timestamp", ts);
    treq_header(&r, "webhook-signature", sig, strlen(sig));
    return hk_verifier_check(v, &r.req);
}

static void test_stdwebhooks_tolerance(void **state)
{
    (void)state;
    struct tv t;
    tv_must(&t, "{\"scheme\": \"standard-webhooks\", \"tolerance_s\": 60, "
                "\"secrets\": [{\"value\": \"" SW_SECRET "\"}]}");
    assert_int_equal(sw_check(t.v, SW_ID, SW_TS, SW_SIG, SW_NOW + 60), 0);
    assert_int_equal(sw_check(t.v, SW_ID, SW_TS, SW_SIG, SW_NOW - 60), 0);
    assert_int_equal(sw_check(t.v, SW_ID, SW_TS, SW_SIG, SW_NOW + 61), HK_ESTALE);
    assert_int_equal(sw_check(t.v, SW_ID, SW_TS, SW_SIG, SW_NOW - 61), HK_ESTALE);
    /* A stale timestamp with a bad signature is not genuine: HK_EAUTH, not HK_ESTALE. */
    assert_int_equal(sw_check(t.v, SW_ID, SW_TS, "v1,AAAA", SW_NOW + 61), HK_EAUTH);
    tv_free(&t);
}

static void test_stdwebhooks_refuses_dotted_id(void **state)
{
    (void)state;
    struct tv t;
    tv_must(&t,
            "{\"scheme\": \"standard-webhooks\", \"secrets\": [{\"value\": \"" SW_SECRET "\"}]}");
    /* Refused before any MAC: "a.b" "." ts would read the same as "a" "." "b.ts". */
    assert_int_equal(sw_check(t.v, "msg.x", SW_TS, SW_SIG, SW_NOW), HK_EAUTH);
    assert_int_equal(sw_check(t.v, "", SW_TS, SW_SIG, SW_NOW), HK_EAUTH);
    assert_int_equal(sw_check(t.v, SW_ID, "+1614265330", SW_SIG, SW_NOW), HK_EAUTH);
    assert_int_equal(sw_check(t.v, SW_ID, SW_TS, "", SW_NOW), HK_EUNSIGNED);
    assert_int_equal(sw_check(t.v, SW_ID, SW_TS, "v1," SW_SIG, SW_NOW), HK_EAUTH);
    tv_free(&t);
}

static void test_stdwebhooks_never_mixes_header_sets(void **state)
{
    (void)state;
    struct tv t;
    tv_must(&t,
            "{\"scheme\": \"standard-webhooks\", \"secrets\": [{\"value\": \"" SW_SECRET "\"}]}");
    struct treq r;
    treq_init(&r, SW_BODY, strlen(SW_BODY), SW_NOW);
    treq_set(&r, "svix-id", SW_ID);
    treq_set(&r, "svix-timestamp", SW_TS);
    treq_set(&r, "webhook-signature", SW_SIG);
    assert_int_equal(hk_verifier_check(t.v, &r.req), HK_EAUTH);
    tv_free(&t);
}

/* A key whose base64 needs padding works with and without it, and under rotation. */
static void test_stdwebhooks_unpadded_secret(void **state)
{
    (void)state;
    const char key[] = "0123456789abcdefghijklmno"; /* 25 bytes: base64 ends in "==" */
    char b64[64], conf[256];
    hk_base64_encode((const uint8_t *)key, strlen(key), b64);
    assert_non_null(strstr(b64, "=="));
    const char *parts[] = {SW_ID, ".", SW_TS, ".", SW_BODY};
    uint8_t mac[HK_HMAC_MAX];
    char sig[128] = "v1,";
    hk_base64_encode(mac, mac_of(HK_SHA256, key, parts, 5, mac), sig + 3);
    for (int padded = 0; padded < 2; padded++) {
        if (!padded)
            *strchr(b64, '=') = 0;
        snprintf(conf, sizeof conf,
                 "{\"scheme\": \"standard-webhooks\", \"secrets\": "
                 "[{\"value\": \"" SW_SECRET "\"}, {\"value\": \"%s%s\"}]}",
                 padded ? "whsec_" : "", b64);
        struct tv t;
        tv_must(&t, conf);
        assert_int_equal(sw_check(t.v, SW_ID, SW_TS, sig, SW_NOW), 0);
        assert_int_equal(sw_check(t.v, SW_ID, SW_TS, SW_SIG, SW_NOW), 0);
        tv_free(&t);
    }
}

/* A header of 1,000 signatures where only the last one is valid. */
static void test_thousand_signatures(void **state)
{
    (void)state;
    struct tv t;
    tv_must(&t, "{\"scheme\": \"standard-webhooks\", \"secrets\": "
                "[{\"value\": \"" SW_SECRET "\"}]}");
    const char junk[] = "v1,Ceo5qEr07ixe2NLpvHk3FH9bwy/WavXrAFQ/9tdO6mc= ";
    size_t n = 999 * strlen(junk) + strlen(SW_SIG) + 1;
    char *sig = malloc(n);
    assert_non_null(sig);
    sig[0] = 0;
    for (int i = 0; i < 999; i++)
        strcat(sig, junk);
    strcat(sig, SW_SIG);
    struct timespec a, b;
    clock_gettime(CLOCK_MONOTONIC, &a);
    int rc = sw_check(t.v, SW_ID, SW_TS, sig, SW_NOW);
    clock_gettime(CLOCK_MONOTONIC, &b);
    printf("# 1,000 signatures checked in %.1f us\n",
           (double)(b.tv_sec - a.tv_sec) * 1e6 + (double)(b.tv_nsec - a.tv_nsec) / 1e3);
    assert_int_equal(rc, 0);
    sig[strlen(sig) - 2] = 'A'; /* spoil the valid one */
    assert_int_equal(sw_check(t.v, SW_ID, SW_TS, sig, SW_NOW), HK_EAUTH);
    free(sig);
    tv_free(&t);
}

/* 64 KiB of junk in every header a scheme reads. */
static void test_huge_header(void **state)
{
    (void)state;
    enum { HUGE = 64 * 1024 };
    char *junk = malloc(HUGE);
    assert_non_null(junk);
    for (size_t i = 0; i < HUGE; i++)
        junk[i] = "v1,=+/ t0123456789abcdef"[i % 24];
    struct tv t;
    tv_must(&t,
            "{\"scheme\": \"standard-webhooks\", \"secrets\": [{\"value\": \"" SW_SECRET "\"}]}");
    struct treq r;
    treq_init(&r, SW_BODY, strlen(SW_BODY), SW_NOW);
    treq_header(&r, "webhook-id", junk, HUGE);
    treq_header(&r, "webhook-timestamp", junk, HUGE);
    treq_header(&r, "webhook-signature", junk, HUGE);
    assert_int_equal(hk_verifier_check(t.v, &r.req), HK_EAUTH);
    treq_init(&r, SW_BODY, strlen(SW_BODY), SW_NOW);
    treq_set(&r, "webhook-id", SW_ID);
    treq_set(&r, "webhook-timestamp", SW_TS);
    treq_header(&r, "webhook-signature", junk, HUGE);
    assert_int_equal(hk_verifier_check(t.v, &r.req), HK_EAUTH);
    tv_free(&t);
    tv_must(&t, flagright_conf);
    treq_init(&r, body, strlen(body), 0);
    treq_header(&r, "x-flagright-signature", junk, HUGE);
    assert_int_equal(hk_verifier_check(t.v, &r.req), HK_EAUTH);
    tv_free(&t);
    free(junk);
}

/* Stripe: signs t "." body with the whole whsec_ string. */
#define ST_SECRET "whsec_test_secret"
#define ST_ROLLED "whsec_rolled_secret"
#define ST_NOW    1492774577
#define ST_BODY   "{\"id\":\"evt_test_webhook\",\"object\":\"event\"}"

static void stripe_sig(const char *secret, const char *t, char out[2 * HK_HMAC_MAX + 1])
{
    const char *parts[] = {t, ".", ST_BODY};
    uint8_t mac[HK_HMAC_MAX];
    hk_hex_encode(mac, mac_of(HK_SHA256, secret, parts, 3, mac), out);
}

static int stripe_check(const struct hk_verifier *v, const char *header, int64_t now)
{
    struct treq r;
    treq_init(&r, ST_BODY, strlen(ST_BODY), now);
    treq_set(&r, "Stripe-Signature", header);
    return hk_verifier_check(v, &r.req);
}

static void test_stripe_header_forms(void **state)
{
    (void)state;
    char a[2 * HK_HMAC_MAX + 1], b[2 * HK_HMAC_MAX + 1], h[512];
    stripe_sig(ST_SECRET, "1492774577", a);
    stripe_sig(ST_ROLLED, "1492774577", b);
    struct tv t;
    tv_must(&t, "{\"scheme\": \"stripe\", \"secrets\": [{\"value\": \"" ST_ROLLED "\"}]}");
    /* During a roll Stripe sends one v1 per secret, and a v0 we must ignore. */
    snprintf(h, sizeof h, "t=1492774577,v1=%s,v1=%s,v0=%s", a, b, a);
    assert_int_equal(stripe_check(t.v, h, ST_NOW), 0);
    snprintf(h, sizeof h, "t=1492774577, v0=%s, v1=%s", b, a);
    assert_int_equal(stripe_check(t.v, h, ST_NOW), HK_EAUTH);
    snprintf(h, sizeof h, "v1=%s,t=1492774577", b);
    assert_int_equal(stripe_check(t.v, h, ST_NOW), 0);
    /* Two timestamps: which one was signed is ambiguous. */
    snprintf(h, sizeof h, "t=1492774577,t=1492774578,v1=%s", b);
    assert_int_equal(stripe_check(t.v, h, ST_NOW), HK_EAUTH);
    snprintf(h, sizeof h, "v1=%s", b);
    assert_int_equal(stripe_check(t.v, h, ST_NOW), HK_EAUTH);
    snprintf(h, sizeof h, "t=,v1=%s", b);
    assert_int_equal(stripe_check(t.v, h, ST_NOW), HK_EAUTH);
    /* 300 s in the future is the edge of the window. */
    snprintf(h, sizeof h, "t=1492774577,v1=%s", b);
    assert_int_equal(stripe_check(t.v, h, ST_NOW - 300), 0);
    assert_int_equal(stripe_check(t.v, h, ST_NOW - 301), HK_ESTALE);
    tv_free(&t);
}

/* GitHub's official vector and the computed Shopify one from signatures.json. */
#define GH_SECRET "It's a Secret to Everybody"
#define GH_BODY   "Hello, World!"
#define GH_HEX    "757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17"
#define SH_SECRET "test-webhook-secret"
#define SH_BODY   "{\"id\":1234567890,\"email\":\"customer@example.com\",\"total_price\":\"123.45\"}"
#define SH_SIG    "QNyObTlKbMx2qDlPF/ZOZcBqg5OgPg+2oky3zldc0Gw="

static int one_header_check(const struct hk_verifier *v, const char *b, const char *name,
                            const char *value)
{
    struct treq r;
    treq_init(&r, b, strlen(b), 0);
    treq_set(&r, name, value);
    return hk_verifier_check(v, &r.req);
}

static void test_github(void **state)
{
    (void)state;
    struct tv t;
    tv_must(&t, "{\"scheme\": \"github\", \"secrets\": [{\"value\": \"other\"}, "
                "{\"value\": \"" GH_SECRET "\"}]}");
    const char *h = "X-Hub-Signature-256";
    assert_int_equal(one_header_check(t.v, GH_BODY, h, "sha256=" GH_HEX), 0);
    assert_int_equal(one_header_check(t.v, GH_BODY, h,
                                      "sha256=757107EA0EB2509FC211221CCE984B8A37570B6D7586C22C46F4"
                                      "379C8B043E17"),
                     0);
    assert_int_equal(one_header_check(t.v, GH_BODY "\n", h, "sha256=" GH_HEX), HK_EAUTH);
    assert_int_equal(one_header_check(t.v, GH_BODY, h, "sha1=" GH_HEX), HK_EAUTH);
    assert_int_equal(one_header_check(t.v, GH_BODY, h, "sha256="), HK_EAUTH);
    assert_int_equal(one_header_check(t.v, GH_BODY, h, "sha256=" GH_HEX "00"), HK_EAUTH);
    /* The SHA-1 header is not an alternative. */
    assert_int_equal(one_header_check(t.v, GH_BODY, "X-Hub-Signature", "sha256=" GH_HEX),
                     HK_EUNSIGNED);
    tv_free(&t);
}

static void test_shopify(void **state)
{
    (void)state;
    struct tv t;
    tv_must(&t, "{\"scheme\": \"shopify\", \"secrets\": [{\"value\": \"" SH_SECRET "\"}]}");
    assert_int_equal(one_header_check(t.v, SH_BODY, "X-Shopify-Hmac-SHA256", SH_SIG), 0);
    assert_int_equal(one_header_check(t.v, SH_BODY, "Shopify-Hmac-Sha256", SH_SIG), 0);
    assert_int_equal(one_header_check(t.v, SH_BODY, "X-Shopify-Hmac-SHA256",
                                      "QNyObTlKbMx2qDlPF/ZOZcBqg5OgPg+2oky3zldc0Gw"),
                     0);
    assert_int_equal(one_header_check(t.v, SH_BODY, "X-Shopify-Hmac-SHA256",
                                      "QNyObTlKbMx2qDlPF/ZOZcBqg5OgPg+2oky3zldc0Gx="),
                     HK_EAUTH);
    assert_int_equal(one_header_check(t.v, SH_BODY " ", "X-Shopify-Hmac-SHA256", SH_SIG), HK_EAUTH);
    assert_int_equal(one_header_check(t.v, SH_BODY, "X-Shopify-Topic", SH_SIG), HK_EUNSIGNED);
    tv_free(&t);
}

static int slack_check(const struct hk_verifier *v, const char *b, const char *ts, const char *sig,
                       int64_t now)
{
    struct treq r;
    treq_init(&r, b, strlen(b), now);
    treq_set(&r, "X-Slack-Request-Timestamp", ts);
    treq_set(&r, "X-Slack-Signature", sig);
    return hk_verifier_check(v, &r.req);
}

static void test_slack(void **state)
{
    (void)state;
    const char *b = "{\"type\":\"event_callback\",\"event_id\":\"Ev1\"}";
    const char *parts[] = {"v0:", "1700000000", ":", b};
    uint8_t mac[HK_HMAC_MAX];
    char sig[2 * HK_HMAC_MAX + 4] = "v0=";
    hk_hex_encode(mac, mac_of(HK_SHA256, "slack-secret", parts, 4, mac), sig + 3);
    struct tv t;
    tv_must(&t, "{\"scheme\": \"slack\", \"tolerance_s\": 120, "
                "\"secrets\": [{\"value\": \"slack-secret\"}]}");
    assert_int_equal(slack_check(t.v, b, "1700000000", sig, 1700000120), 0);
    assert_int_equal(slack_check(t.v, b, "1700000000", sig, 1700000121), HK_ESTALE);
    assert_int_equal(slack_check(t.v, b, "1700000001", sig, 1700000000), HK_EAUTH);
    sig[1] = '1'; /* "v1=": an unknown version */
    assert_int_equal(slack_check(t.v, b, "1700000000", sig, 1700000000), HK_EAUTH);
    tv_free(&t);
}

static bool slack_handshake(const char *text, struct hk_buf *out)
{
    out->len = 0;
    return hk_scheme_find("slack")->handshake((const uint8_t *)text, strlen(text), out);
}

/* Slack's url_verification is answered with its challenge, copied as JSON text; anything
 * else is an event (or not Slack's handshake) and is left to the store. */
static void test_slack_handshake(void **state)
{
    (void)state;
    struct hk_buf out = {0};
    assert_true(slack_handshake("{\"token\":\"t\",\"challenge\":\"3eZbrw1aB\","
                                "\"type\":\"url_verification\"}",
                                &out));
    assert_int_equal(out.len, strlen("{\"challenge\":\"3eZbrw1aB\"}"));
    assert_memory_equal(out.data, "{\"challenge\":\"3eZbrw1aB\"}", out.len);
    /* The type compared decoded, the challenge kept escaped: the answer is still valid JSON. */
    assert_true(
        slack_handshake("{\"type\":\"\\u0075rl_verification\",\"challenge\":\"a\\\"b\"}", &out));
    assert_memory_equal(out.data, "{\"challenge\":\"a\\\"b\"}", out.len);
    assert_false(slack_handshake("{\"type\":\"event_callback\",\"challenge\":\"x\"}", &out));
    assert_false(slack_handshake("{\"type\":\"url_verification\"}", &out));
    assert_false(slack_handshake("{\"type\":\"url_verification\",\"challenge\":7}", &out));
    assert_false(slack_handshake("{\"type\":\"url_verification\",\"challenge\":\"x\"", &out));
    assert_false(slack_handshake("{\"type\":\"url_verification_\",\"challenge\":\"x\"}", &out));
    assert_null(hk_scheme_find("flagright")->handshake);
    hk_buf_free(&out);
}

/* Generic HMAC: SHA-512, base64 (URL-safe here), a template with a signed timestamp, and
 * a separator for rotation. */
static void test_hmac_sha512_base64_template(void **state)
{
    (void)state;
    const char *b = "{\"id\":\"x1\",\"type\":\"t\"}";
    const char *parts[] = {"1700000000", ".", b};
    uint8_t mac[HK_HMAC_MAX];
    char sig[160], header[400];
    size_t n = hk_base64_encode(mac, mac_of(HK_SHA512, "k2", parts, 3, mac), sig);
    assert_int_equal(n, 88);
    for (char *c = sig; *c; c++) /* URL-safe alphabet, no padding */
        *c = *c == '+' ? '-' : *c == '/' ? '_' : *c == '=' ? 0 : *c;
    snprintf(header, sizeof header, "sig=AAAA, sig=%s", sig);
    struct tv t;
    tv_must(&t, "{\"scheme\": \"hmac\", \"header\": \"X-Sig\", \"prefix\": \"sig=\", "
                "\"encoding\": \"base64\", \"algorithm\": \"sha512\", \"separator\": \",\", "
                "\"signed\": \"{header:x-ts}.{body}\", \"timestamp_header\": \"X-TS\", "
                "\"tolerance_s\": 10, \"secrets\": [{\"value\": \"k1\"}, {\"value\": \"k2\"}]}");
    struct treq r;
    treq_init(&r, b, strlen(b), 1700000005);
    treq_set(&r, "x-sig", header);
    treq_set(&r, "x-ts", "1700000000");
    assert_int_equal(hk_verifier_check(t.v, &r.req), 0);
    r.req.now_s = 1700000011;
    assert_int_equal(hk_verifier_check(t.v, &r.req), HK_ESTALE);
    r.req.now_s = 1700000000;
    r.h[1].value = "1700000001"; /* a different signed timestamp */
    assert_int_equal(hk_verifier_check(t.v, &r.req), HK_EAUTH);
    r.req.nheaders = 1; /* the timestamp header missing */
    assert_int_equal(hk_verifier_check(t.v, &r.req), HK_EAUTH);
    tv_free(&t);
}

static void test_hmac_defaults_and_literal_braces(void **state)
{
    (void)state;
    const char *b = "hello";
    char sig[2 * HK_HMAC_MAX + 1], wrapped[2 * HK_HMAC_MAX + 1];
    hex_mac("k", b, sig);
    hex_mac("k", "{hello}", wrapped);
    struct tv t;
    tv_must(&t, "{\"scheme\": \"hmac\", \"header\": \"x-signature\", "
                "\"secrets\": [{\"value\": \"k\"}]}");
    assert_int_equal(one_header_check(t.v, b, "X-Signature", sig), 0);
    /* Without a separator, the header holds exactly one signature. */
    char two[300];
    snprintf(two, sizeof two, "%s,%s", sig, sig);
    assert_int_equal(one_header_check(t.v, b, "X-Signature", two), HK_EAUTH);
    tv_free(&t);
    tv_must(&t, "{\"scheme\": \"hmac\", \"header\": \"x-signature\", \"signed\": "
                "\"{{{body}}}\", \"secrets\": [{\"value\": \"k\"}]}");
    assert_int_equal(one_header_check(t.v, b, "X-Signature", wrapped), 0);
    assert_int_equal(one_header_check(t.v, b, "X-Signature", sig), HK_EAUTH);
    tv_free(&t);
}

/* Each bad generic configuration names the key and the fix. */
static void test_hmac_config_errors(void **state)
{
    (void)state;
    static const struct {
        const char *keys;
        const char *path;
        const char *needle;
    } cases[] = {
        {"", "verify\\.header", "missing: this key is required"},
        {"\"header\": \"x sig\"", "verify\\.header", "is not a header name"},
        {"\"header\": \"x\", \"encoding\": \"hexa\"", "verify\\.encoding",
         "\"hexa\" is not one of: hex, base64"},
        {"\"header\": \"x\", \"algorithm\": \"sha1\"", "verify\\.algorithm", "not one of"},
        {"\"header\": \"x\", \"signed\": \"{header:x-ts}\"", "verify\\.signed",
         "never signs {body}"},
        {"\"header\": \"x\", \"signed\": \"{bdy}\"", "verify\\.signed", "unknown placeholder"},
        {"\"header\": \"x\", \"signed\": \"{body\"", "verify\\.signed", "never closed"},
        {"\"header\": \"x\", \"signed\": \"{body}}\"", "verify\\.signed", "lone"},
        {"\"header\": \"x\", \"signed\": \"{header:}{body}\"", "verify\\.signed",
         "names no header"},
        {"\"header\": \"x\", \"separator\": \"a\"", "verify\\.separator",
         "can occur inside a signature"},
        {"\"header\": \"x\", \"separator\": \", \"", "verify\\.separator", "not one character"},
        {"\"header\": \"x\", \"prefix\": \"v1,\", \"separator\": \",\"", "verify\\.separator",
         "also occurs in \"prefix\""},
        {"\"header\": \"x\", \"timestamp_header\": \"x-ts\"", "verify\\.timestamp_header",
         "add {header:x-ts} to \"signed\""},
        {"\"header\": \"x\", \"tolerance_s\": 30", "verify\\.tolerance_s",
         "no effect without \"timestamp_header\""},
        {"\"header\": \"x\", \"hedaer\": \"x\"", "verify\\.hedaer", "did you mean \"header\"?"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char conf[512];
        snprintf(conf, sizeof conf, "{\"scheme\": \"hmac\", %s%s\"secrets\": [{\"value\": \"k\"}]}",
                 cases[i].keys, cases[i].keys[0] ? ", " : "");
        struct tv t;
        tv_load(&t, conf);
        assert_problem(&t, cases[i].path, cases[i].needle);
        tv_free(&t);
    }
}

static void test_none(void **state)
{
    (void)state;
    struct tv t;
    tv_must(&t, "{\"scheme\": \"none\"}");
    struct treq r;
    treq_init(&r, "", 0, 0);
    assert_int_equal(hk_verifier_check(t.v, &r.req), 0);
    tv_free(&t);
    tv_load(&t, "{\"scheme\": \"none\", \"secrets\": [{\"value\": \"k\"}]}");
    assert_problem(&t, "verify\\.secrets", "uses no secrets: remove this key");
    tv_free(&t);
}

/* ---- configuration ---- */

static void test_unknown_scheme(void **state)
{
    (void)state;
    struct tv t;
    tv_load(&t, "{\"scheme\": \"flagrite\", \"secrets\": [{\"value\": \"k\"}]}");
    assert_int_equal(t.rc, HK_ECONF);
    assert_null(t.v);
    assert_problem(&t, "verify\\.scheme", "unknown scheme \"flagrite\": use one of flagright");
    tv_free(&t);
}

static void test_empty_secret_refused(void **state)
{
    (void)state;
    struct tv t;
    tv_load(&t, "{\"scheme\": \"flagright\", \"secrets\": [{\"value\": \"\"}]}");
    assert_problem(&t, "verify\\.secrets\\[0\\]", "empty secret");
    tv_free(&t);
    tv_load(&t, "{\"scheme\": \"flagright\", \"secrets\": []}");
    assert_problem(&t, "verify\\.secrets", "no secrets");
    tv_free(&t);
}

static void test_secrets_without_scheme_key(void **state)
{
    (void)state;
    struct tv t;
    tv_load(&t, "{\"scheme\": \"flagright\", \"secrets\": [{\"value\": \"k\"}], "
                "\"tolerance\": 5}");
    assert_problem(&t, "verify\\.tolerance", "unknown key");
    tv_free(&t);
}

static void test_bad_whsec_secret(void **state)
{
    (void)state;
    struct tv t;
    tv_load(&t, "{\"scheme\": \"standard-webhooks\", \"secrets\": "
                "[{\"value\": \"" SW_SECRET "\"}, {\"value\": \"whsec_not*base64!\"}]}");
    assert_problem(&t, "verify\\.secrets\\[1\\]",
                   "secret (inline value #2) is not a Standard Webhooks secret");
    /* The message names the secret, never its value. */
    char *all = hk_diags_join(&t.diags);
    assert_null(strstr(all, "not*base64"));
    assert_null(strstr(all, "MfKQ9r8"));
    free(all);
    tv_free(&t);
    tv_load(&t, "{\"scheme\": \"standard-webhooks\", \"secrets\": [{\"value\": \"whsec_\"}]}");
    assert_problem(&t, "verify\\.secrets\\[0\\]", "not a Standard Webhooks secret");
    tv_free(&t);
}

/* Every scheme tells a request that carries no signature (no header, or an empty one) from a
 * request whose signature is wrong, so the log can say which. */
static void test_every_scheme_tells_unsigned_from_wrong(void **state)
{
    (void)state;
    static const struct {
        const char *conf, *header, *wrong;
    } schemes[] = {
        {"{\"scheme\": \"flagright\", \"secrets\": [{\"value\": \"k\"}]}", "x-flagright-signature",
         "00"},
        {"{\"scheme\": \"standard-webhooks\", \"secrets\": [{\"value\": \"" SW_SECRET "\"}]}",
         "webhook-signature", "v1,AAAA"},
        {"{\"scheme\": \"stripe\", \"secrets\": [{\"value\": \"whsec_k\"}]}", "stripe-signature",
         "t=1700000000,v1=00"},
        {"{\"scheme\": \"github\", \"secrets\": [{\"value\": \"k\"}]}", "x-hub-signature-256",
         "sha256=00"},
        {"{\"scheme\": \"shopify\", \"secrets\": [{\"value\": \"k\"}]}", "x-shopify-hmac-sha256",
         "AAAA"},
        {"{\"scheme\": \"slack\", \"secrets\": [{\"value\": \"k\"}]}", "x-slack-signature",
         "v0=00"},
        {"{\"scheme\": \"hmac\", \"header\": \"x-sig\", \"secrets\": [{\"value\": \"k\"}]}",
         "x-sig", "00"},
    };
    for (size_t i = 0; i < sizeof schemes / sizeof schemes[0]; i++) {
        struct tv t;
        tv_must(&t, schemes[i].conf);
        struct treq r;
        treq_init(&r, "{}", 2, 1700000000);
        treq_set(&r, "webhook-id", "msg_1");
        treq_set(&r, "webhook-timestamp", "1700000000");
        treq_set(&r, "x-slack-request-timestamp", "1700000000");
        if (hk_verifier_check(t.v, &r.req) != HK_EUNSIGNED)
            fail_msg("%s: no signature header is not HK_EUNSIGNED", schemes[i].conf);
        treq_set(&r, schemes[i].header, "");
        if (hk_verifier_check(t.v, &r.req) != HK_EUNSIGNED)
            fail_msg("%s: an empty signature header is not HK_EUNSIGNED", schemes[i].conf);
        r.h[r.nh - 1].value = schemes[i].wrong;
        r.h[r.nh - 1].value_len = strlen(schemes[i].wrong);
        if (hk_verifier_check(t.v, &r.req) != HK_EAUTH)
            fail_msg("%s: a wrong signature is not HK_EAUTH", schemes[i].conf);
        tv_free(&t);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_vectors),
        cmocka_unit_test(test_rotation),
        cmocka_unit_test(test_tampered_body_and_wrong_secret),
        cmocka_unit_test(test_hex_upper_case),
        cmocka_unit_test(test_stdwebhooks_tolerance),
        cmocka_unit_test(test_stdwebhooks_refuses_dotted_id),
        cmocka_unit_test(test_stdwebhooks_never_mixes_header_sets),
        cmocka_unit_test(test_stdwebhooks_unpadded_secret),
        cmocka_unit_test(test_thousand_signatures),
        cmocka_unit_test(test_huge_header),
        cmocka_unit_test(test_bad_whsec_secret),
        cmocka_unit_test(test_stripe_header_forms),
        cmocka_unit_test(test_github),
        cmocka_unit_test(test_shopify),
        cmocka_unit_test(test_slack),
        cmocka_unit_test(test_slack_handshake),
        cmocka_unit_test(test_hmac_sha512_base64_template),
        cmocka_unit_test(test_hmac_defaults_and_literal_braces),
        cmocka_unit_test(test_hmac_config_errors),
        cmocka_unit_test(test_none),
        cmocka_unit_test(test_unknown_scheme),
        cmocka_unit_test(test_every_scheme_tells_unsigned_from_wrong),
        cmocka_unit_test(test_empty_secret_refused),
        cmocka_unit_test(test_secrets_without_scheme_key),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
