/* verify_hmac.c -- "hmac": a generic HMAC scheme for senders that have no scheme of their own.
 *
 * Keys of "verify":
 *   header            (required) the request header that holds the signature(s)
 *   prefix            text before each signature, e.g. "sha256=" (compared exactly)
 *   encoding          "hex" (default; either case) or "base64" (standard or URL-safe
 *                     alphabet, padded or not)
 *   algorithm         "sha256" (default) or "sha512"
 *   signed            what is signed, as a template (verify_template.h), default "{body}"
 *   separator         one character between several signatures in the header (a sender
 *                     rotating its secret); default: the header holds one signature
 *   timestamp_header  a header holding a Unix time in seconds that must be within tolerance_s
 *                     (default 300 s) of now; it must appear in "signed", because an unsigned
 *                     timestamp stops no replay
 *   tolerance_s       only with timestamp_header */
#include "verify/verify.h"

#include "base/err.h"
#include "verify/verify_template.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define DEFAULT_TEMPLATE "{body}"
#define HEX_ALPHABET     "0123456789abcdefABCDEF"
#define BASE64_ALPHABET  "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/-_="

enum encoding { ENC_HEX, ENC_BASE64 };
enum algorithm { ALG_SHA256, ALG_SHA512 };

struct hmac_params {
    char *header;
    char *prefix;
    size_t prefix_len;
    enum encoding encoding;
    char separator; /* 0: one signature */
    char *timestamp_header;
    struct hk_tpl tpl;
};

static void hmac_free_params(void *params)
{
    struct hmac_params *p = params;
    if (!p)
        return;
    hk_tpl_free(&p->tpl);
    free(p->header);
    free(p->prefix);
    free(p->timestamp_header);
    free(p);
}

static bool is_header_name(const char *s)
{
    if (!*s)
        return false;
    for (; *s; s++)
        if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') ||
              strchr("!#$%&'*+-.^_`|~", *s)))
            return false;
    return true;
}

static int check_header_key(const struct hk_jcur *verify, const char *key, const char *name)
{
    struct hk_jcur m = hk_jcur_member(verify, key);
    if (name && !is_header_name(name))
        return hk_jcur_error(&m, "\"%s\" is not a header name: use letters, digits and '-'", name);
    return 0;
}

static int check_separator(const struct hk_jcur *verify, const char *sep, enum encoding enc,
                           const char *prefix)
{
    struct hk_jcur m = hk_jcur_member(verify, "separator");
    const char *alphabet = enc == ENC_HEX ? HEX_ALPHABET : BASE64_ALPHABET;
    if (!sep)
        return 0;
    if (strlen(sep) != 1)
        return hk_jcur_error(&m, "\"%s\" is not one character: use e.g. \",\" or \" \"", sep);
    if (strchr(alphabet, *sep))
        return hk_jcur_error(&m, "'%c' can occur inside a signature: use e.g. \",\" or \" \"",
                             *sep);
    if (strchr(prefix, *sep))
        return hk_jcur_error(&m, "'%c' also occurs in \"prefix\": choose another separator", *sep);
    return 0;
}

static bool signs_header(const struct hk_tpl *t, const char *name)
{
    for (size_t i = 0; i < t->n; i++)
        if (t->parts[i].kind == HK_TPL_HEADER && strcasecmp(t->parts[i].text, name) == 0)
            return true;
    return false;
}

/* The template, and how the timestamp relates to it. */
static int setup_signed(struct hmac_params *p, const struct hk_jcur *verify, const char *text)
{
    struct hk_jcur m = hk_jcur_member(verify, "signed");
    const char *why = NULL;
    int rc = hk_tpl_parse(text, &p->tpl, &why);
    if (rc == HK_EINVAL)
        return hk_jcur_error(&m, "%s", why);
    if (rc)
        return rc;
    struct hk_jcur ts = hk_jcur_member(verify, "timestamp_header");
    if (p->timestamp_header && !signs_header(&p->tpl, p->timestamp_header))
        return hk_jcur_error(&ts,
                             "the timestamp is not signed, so it stops no replay: add "
                             "{header:%s} to \"signed\"",
                             p->timestamp_header);
    struct hk_jcur tol = hk_jcur_member(verify, "tolerance_s");
    if (tol.val && !p->timestamp_header)
        return hk_jcur_error(&tol, "no effect without \"timestamp_header\": add it, or remove "
                                   "this key");
    return 0;
}

static char *dup_or_null(const char *s, int *rc)
{
    char *d = s ? strdup(s) : NULL;
    if (s && !d)
        *rc = HK_ENOMEM;
    return d;
}

static int hmac_setup(struct hk_verifier *v, const struct hk_jcur *verify)
{
    static const char *const encodings[] = {"hex", "base64", NULL};
    static const char *const algorithms[] = {"sha256", "sha512", NULL};
    const char *header = NULL, *prefix = "", *text = DEFAULT_TEMPLATE, *sep = NULL, *ts = NULL;
    int enc = ENC_HEX, alg = ALG_SHA256;
    struct hmac_params *p = calloc(1, sizeof *p);
    if (!p)
        return HK_ENOMEM;
    v->params = p; /* freed by hk_verifier_free, also on failure */
    /* Every key is checked even after a problem, so one run lists them all. */
    int rc = hk_jconf_string(verify, "header", true, &header);
    rc |= hk_jconf_string(verify, "prefix", false, &prefix);
    rc |= hk_jconf_enum(verify, "encoding", encodings, &enc);
    rc |= hk_jconf_enum(verify, "algorithm", algorithms, &alg);
    rc |= hk_jconf_string(verify, "signed", false, &text);
    rc |= hk_jconf_string(verify, "separator", false, &sep);
    rc |= hk_jconf_string(verify, "timestamp_header", false, &ts);
    rc |= check_header_key(verify, "header", header);
    rc |= check_header_key(verify, "timestamp_header", ts);
    rc |= check_separator(verify, sep, (enum encoding)enc, prefix);
    v->hash = alg == ALG_SHA512 ? HK_SHA512 : HK_SHA256;
    p->encoding = (enum encoding)enc;
    p->separator = sep ? *sep : 0;
    p->prefix_len = strlen(prefix);
    p->header = dup_or_null(header, &rc);
    v->signature_header = p->header;
    p->prefix = dup_or_null(prefix, &rc);
    p->timestamp_header = dup_or_null(ts, &rc);
    int sig = setup_signed(p, verify, text);
    return rc ? rc : sig;
}

struct match_ctx {
    const struct hmac_params *p;
    const struct hk_macs *macs;
};

static bool entry_matches(const char *item, size_t len, void *arg)
{
    const struct match_ctx *c = arg;
    if (len < c->p->prefix_len || memcmp(item, c->p->prefix, c->p->prefix_len) != 0)
        return false;
    item += c->p->prefix_len;
    len -= c->p->prefix_len;
    if (c->p->encoding == ENC_BASE64)
        return hk_macs_match_base64(c->macs, item, len, true);
    return hk_macs_match_hex(c->macs, item, len);
}

static int hmac_check(const struct hk_verifier *v, const struct hk_verify_req *req)
{
    const struct hmac_params *p = v->params;
    const struct hk_header *h = hk_header_find(req->headers, req->nheaders, p->header);
    if (!h || h->value_len == 0)
        return HK_EUNSIGNED;
    int fresh = 0;
    if (p->timestamp_header) {
        const struct hk_header *th =
            hk_header_find(req->headers, req->nheaders, p->timestamp_header);
        int64_t t;
        if (!th)
            return HK_EAUTH;
        /* Checked after the MAC so HK_ESTALE only ever describes a genuine, old request. */
        fresh = hk_verify_timestamp(v, th->value, th->value_len, req->now_s, &t);
        if (fresh == HK_EAUTH)
            return HK_EAUTH;
    }
    struct hk_span spans[HK_TPL_MAX_PARTS];
    struct hk_macs macs;
    if (hk_tpl_spans(&p->tpl, req, spans) || hk_verifier_macs(v, spans, p->tpl.n, &macs))
        return HK_EAUTH;
    struct match_ctx c = {p, &macs};
    bool ok = p->separator ? hk_split_any(h->value, h->value_len, p->separator, entry_matches, &c)
                           : entry_matches(h->value, h->value_len, &c);
    return ok ? fresh : HK_EAUTH;
}

static const char *const hmac_keys[] = {"header",           "prefix",      "encoding",
                                        "algorithm",        "signed",      "separator",
                                        "timestamp_header", "tolerance_s", NULL};
static const char *const json_types[] = {"application/json", NULL};

const struct hk_scheme hk_scheme_hmac = {
    .name = "hmac",
    .keys = hmac_keys,
    .needs_secrets = true,
    .hash = HK_SHA256,
    .setup = hmac_setup,
    .check = hmac_check,
    .free_params = hmac_free_params,
    .default_id = "/id",
    .default_type = "/type",
    .default_created = NULL,
    .created_scale_ms = 1000,
    .content_types = json_types,
};
