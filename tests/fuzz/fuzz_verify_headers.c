/* fuzz_verify_headers.c -- libFuzzer target feeding arbitrary headers and bodies to the check
 * of every scheme in HK_VERIFY_SCHEMES.
 *
 * The input is split at NUL bytes: the first piece is the body, each further piece is a
 * header whose first byte picks its name among those the schemes read. Every check must
 * return 0, HK_EUNSIGNED, HK_EAUTH or HK_ESTALE, and never touch memory it was not given. */
#include "base/err.h"
#include "base/jconf.h"
#include "verify/verify.h"
#include "verify/verify_schemes.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MAX_HEADERS 16
#define FUZZ_NOW_S  1614265330
#define SECRET      "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const header_names[] = {
    "x-flagright-signature",
    "x-webhook-signature",
    "webhook-id",
    "webhook-timestamp",
    "webhook-signature",
    "svix-id",
    "svix-timestamp",
    "svix-signature",
    "stripe-signature",
    "x-hub-signature-256",
    "x-shopify-hmac-sha256",
    "shopify-hmac-sha256",
    "x-slack-signature",
    "x-slack-request-timestamp",
    "x-sig",
    "x-ts",
};

static const struct hk_scheme *const schemes[] = {HK_VERIFY_SCHEMES};
#define NSCHEMES (sizeof schemes / sizeof schemes[0])

static struct hk_verifier *verifiers[NSCHEMES];

/* The "verify" object for scheme s; the generic one signs a timestamp and takes several
 * signatures so that all of its paths are reachable. */
static void verify_json(const struct hk_scheme *s, char *out, size_t cap)
{
    if (!s->needs_secrets)
        snprintf(out, cap, "{\"scheme\": \"%s\"}", s->name);
    else if (strcmp(s->name, "hmac") == 0)
        snprintf(out, cap,
                 "{\"scheme\": \"hmac\", \"header\": \"x-sig\", \"prefix\": \"v1=\", "
                 "\"separator\": \",\", \"signed\": \"{header:x-ts}:{{{body}}}\", "
                 "\"timestamp_header\": \"x-ts\", \"secrets\": [{\"value\": \"%s\"}, "
                 "{\"value\": \"k2\"}]}",
                 SECRET);
    else
        snprintf(out, cap, "{\"scheme\": \"%s\", \"secrets\": [{\"value\": \"%s\"}]}", s->name,
                 SECRET);
}

static struct hk_verifier *build(const char *dir, const struct hk_scheme *s)
{
    char verify[512], text[600];
    verify_json(s, verify, sizeof verify);
    snprintf(text, sizeof text, "{\"verify\": %s}", verify);
    char path[256];
    snprintf(path, sizeof path, "%s/hookd.json", dir);
    FILE *f = fopen(path, "w");
    if (!f || fputs(text, f) < 0 || fclose(f) != 0)
        abort();
    struct hk_diags diags = {0};
    struct hk_jdoc doc;
    struct hk_verifier *v = NULL;
    if (hk_jdoc_load(&doc, dir, "hookd.json", &diags) != 0)
        abort();
    struct hk_jcur root = hk_jcur_root(&doc), cur = hk_jcur_member(&root, "verify");
    if (hk_verifier_parse(&cur, dir, &v) != 0)
        abort();
    hk_jdoc_free(&doc);
    hk_diags_free(&diags);
    unlink(path);
    return v;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    char dir[] = "/tmp/hookd-fuzz-XXXXXX";
    if (!mkdtemp(dir))
        abort();
    for (size_t i = 0; i < NSCHEMES; i++)
        verifiers[i] = build(dir, schemes[i]);
    rmdir(dir);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct hk_header h[MAX_HEADERS];
    size_t nh = 0;
    const uint8_t *end = data + size, *nul = memchr(data, 0, size);
    struct hk_verify_req req = {.headers = h, .body = data, .now_s = FUZZ_NOW_S};
    req.body_len = nul ? (size_t)(nul - data) : size;
    for (const uint8_t *p = nul; p && p + 1 < end && nh < MAX_HEADERS;) {
        const uint8_t *start = p + 1, *next = memchr(start, 0, (size_t)(end - start));
        size_t len = (size_t)((next ? next : end) - start);
        if (len > 0) {
            const char *name =
                header_names[start[0] % (sizeof header_names / sizeof *header_names)];
            h[nh++] = (struct hk_header){name, strlen(name), (const char *)start + 1, len - 1};
        }
        p = next;
    }
    req.nheaders = nh;
    for (size_t i = 0; i < NSCHEMES; i++) {
        int rc = hk_verifier_check(verifiers[i], &req);
        if (rc != 0 && rc != HK_EAUTH && rc != HK_ESTALE && rc != HK_EUNSIGNED)
            abort();
        if (rc == 0 && verifiers[i]->scheme->needs_secrets && nh == 0)
            abort(); /* a signed scheme accepted a request without any header */
    }
    return 0;
}
