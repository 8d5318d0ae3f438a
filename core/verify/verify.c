/* verify.c -- building verifiers from configuration and the helpers schemes share. */
#include "verify/verify.h"

#include "base/codec.h"
#include "base/err.h"
#include "verify/verify_schemes.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_TOLERANCE_S      (7 * 24 * 3600)
#define TIMESTAMP_DIGITS_MAX 12

static const struct hk_scheme *const schemes[] = {HK_VERIFY_SCHEMES};

const struct hk_scheme *hk_scheme_find(const char *name)
{
    for (size_t i = 0; i < sizeof schemes / sizeof schemes[0]; i++)
        if (strcmp(schemes[i]->name, name) == 0)
            return schemes[i];
    return NULL;
}

static int unknown_scheme(const struct hk_jcur *verify, const char *name)
{
    char list[256] = "";
    for (size_t i = 0; i < sizeof schemes / sizeof schemes[0]; i++) {
        strncat(list, i ? ", " : "", sizeof list - strlen(list) - 1);
        strncat(list, schemes[i]->name, sizeof list - strlen(list) - 1);
    }
    struct hk_jcur m = hk_jcur_member(verify, "scheme");
    return hk_jcur_error(&m, "unknown scheme \"%s\": use one of %s", name, list);
}

/* "scheme", "secrets", "tolerance_s" when the scheme has it, then the scheme's own keys. */
static int check_keys(const struct hk_jcur *verify, const struct hk_scheme *s)
{
    const char *allowed[24] = {"scheme", "secrets"};
    size_t n = 2;
    for (const char *const *k = s->keys; k && *k && n < 23; k++)
        allowed[n++] = *k;
    allowed[n] = NULL;
    return hk_jconf_object(verify, allowed);
}

static bool has_key(const struct hk_scheme *s, const char *key)
{
    for (const char *const *k = s->keys; k && *k; k++)
        if (strcmp(*k, key) == 0)
            return true;
    return false;
}

static int load_secrets(struct hk_verifier *v, const struct hk_jcur *verify, const char *confdir)
{
    struct hk_jcur secrets = hk_jcur_member(verify, "secrets");
    if (!v->scheme->needs_secrets) {
        if (secrets.val)
            return hk_jcur_error(&secrets, "scheme \"%s\" uses no secrets: remove this key",
                                 v->scheme->name);
        return 0;
    }
    int rc = hk_secrets_load(verify, confdir, &v->secrets, &v->nsecrets);
    if (rc == 0 && v->nsecrets > HK_MAX_SECRETS)
        rc = hk_jcur_error(&secrets, "%zu secrets: at most %d are supported; remove retired ones",
                           v->nsecrets, HK_MAX_SECRETS);
    return rc;
}

static int prepare_keys(struct hk_verifier *v)
{
    if (v->nsecrets == 0)
        return 0;
    v->keys = calloc(v->nsecrets, sizeof *v->keys);
    if (!v->keys)
        return HK_ENOMEM;
    for (size_t i = 0; i < v->nsecrets; i++) {
        int rc = hk_hmac_key_init(&v->keys[i], v->hash, v->secrets[i].bytes, v->secrets[i].len);
        if (rc)
            return rc;
    }
    return 0;
}

int hk_verifier_parse(const struct hk_jcur *verify, const char *confdir, struct hk_verifier **out)
{
    const char *name = NULL;
    *out = NULL;
    if (!verify->val)
        return hk_jcur_error(verify, "missing: every source needs \"verify\": {\"scheme\": ...}");
    if (!json_is_object(verify->val))
        return hk_jcur_error(verify, "expected an object like {\"scheme\": \"flagright\", "
                                     "\"secrets\": [...]}");
    if (hk_jconf_string(verify, "scheme", true, &name))
        return HK_ECONF;
    const struct hk_scheme *s = hk_scheme_find(name);
    if (!s)
        return unknown_scheme(verify, name);
    struct hk_verifier *v = calloc(1, sizeof *v);
    if (!v)
        return HK_ENOMEM;
    v->scheme = s;
    v->hash = s->hash;
    v->tolerance_s = HK_DEFAULT_TOLERANCE_S;
    int rc = check_keys(verify, s);
    rc |= load_secrets(v, verify, confdir);
    if (has_key(s, "tolerance_s"))
        rc |= hk_jconf_int(verify, "tolerance_s", 1, MAX_TOLERANCE_S, &v->tolerance_s);
    /* Runs even after a problem, so one run lists every problem (it then sees no secrets). */
    if (s->setup) {
        int one = s->setup(v, verify);
        rc = rc ? rc : one;
    }
    if (!rc)
        rc = prepare_keys(v);
    if (rc) {
        hk_verifier_free(v);
        return rc < 0 ? rc : HK_ECONF;
    }
    *out = v;
    return 0;
}

void hk_verifier_free(struct hk_verifier *v)
{
    if (!v)
        return;
    for (size_t i = 0; v->keys && i < v->nsecrets; i++)
        hk_hmac_key_wipe(&v->keys[i]);
    free(v->keys);
    hk_secrets_free(v->secrets, v->nsecrets);
    if (v->scheme->free_params)
        v->scheme->free_params(v->params);
    free(v);
}

bool hk_verifier_is_signature_header(const struct hk_verifier *v, const char *name, size_t n)
{
    for (const char *const *h = v->scheme->signature_headers; h && *h; h++)
        if (hk_span_ieq(name, n, *h))
            return true;
    return v->signature_header && hk_span_ieq(name, n, v->signature_header);
}

int hk_verifier_check(const struct hk_verifier *v, const struct hk_verify_req *req)
{
    return v->scheme->check(v, req);
}

bool hk_split_any(const char *list, size_t n, char sep,
                  bool (*fn)(const char *item, size_t len, void *arg), void *arg)
{
    bool any = false;
    size_t i = 0;
    while (i < n) {
        size_t start = i;
        const char *at = memchr(list + i, sep, n - i); /* a signature is one long item */
        i = at ? (size_t)(at - list) : n;
        size_t end = i++;
        while (start < end && (list[start] == ' ' || list[start] == '\t'))
            start++;
        while (end > start && (list[end - 1] == ' ' || list[end - 1] == '\t'))
            end--;
        if (end > start && fn(list + start, end - start, arg))
            any = true;
    }
    return any;
}

int hk_verifier_macs(const struct hk_verifier *v, const struct hk_span *parts, size_t nparts,
                     struct hk_macs *m)
{
    m->n = v->nsecrets;
    m->len = hk_hmac_len(v->hash);
    for (size_t i = 0; i < v->nsecrets; i++) {
        int rc = hk_hmac(&v->keys[i], parts, nparts, m->mac[i]);
        if (rc)
            return rc;
    }
    return 0;
}

bool hk_macs_match(const struct hk_macs *m, const uint8_t *cand, size_t len)
{
    bool ok = false;
    if (len != m->len)
        return false;
    for (size_t i = 0; i < m->n; i++)
        ok |= hk_ct_equal(m->mac[i], cand, len);
    return ok;
}

bool hk_macs_match_hex(const struct hk_macs *m, const char *s, size_t n)
{
    uint8_t sig[HK_HMAC_MAX];
    if (n != 2 * m->len || hk_hex_decode(s, n, sig, sizeof sig) != (long)m->len)
        return false;
    return hk_macs_match(m, sig, m->len);
}

bool hk_macs_match_base64(const struct hk_macs *m, const char *s, size_t n, bool url)
{
    uint8_t sig[HK_HMAC_MAX];
    if (hk_base64_decode(s, n, sig, sizeof sig, url) != (long)m->len)
        return false;
    return hk_macs_match(m, sig, m->len);
}

int hk_verify_timestamp(const struct hk_verifier *v, const char *s, size_t n, int64_t now_s,
                        int64_t *ts)
{
    int64_t t = 0;
    if (n == 0 || n > TIMESTAMP_DIGITS_MAX)
        return HK_EAUTH;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return HK_EAUTH;
        t = t * 10 + (s[i] - '0');
    }
    *ts = t;
    if (t < now_s - v->tolerance_s || t > now_s + v->tolerance_s)
        return HK_ESTALE;
    return 0;
}
