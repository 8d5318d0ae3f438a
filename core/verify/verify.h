/* verify.h -- checking that a request really comes from its sender.
 *
 * Each source names a scheme ("flagright", "standard-webhooks", ...). A verifier is built
 * once per configuration generation, is immutable afterwards and is shared by every I/O
 * thread. It always works on the exact raw body bytes and compares in constant time. */
#ifndef HK_VERIFY_H
#define HK_VERIFY_H

#include "base/buf.h"
#include "base/header.h"
#include "base/hmac.h"
#include "base/jconf.h"
#include "base/secret.h"

#include <stdint.h>

/* What a verifier sees of one request; everything is borrowed for the call. */
struct hk_verify_req {
    const struct hk_header *headers;
    size_t nheaders;
    const uint8_t *body;
    size_t body_len;
    int64_t now_s; /* wall clock, injected so tests can fix it */
};

struct hk_verifier;

/* One scheme: its configuration keys, its defaults and its check. Schemes are static data
 * listed in verify.c; each lives in its own verify_<scheme>.c. */
struct hk_scheme {
    const char *name;
    /* Keys of "verify" this scheme accepts besides "scheme" and "secrets"; NULL-terminated. */
    const char *const *keys;
    bool needs_secrets;
    /* The hash whose keys are prepared from the secrets. */
    enum hk_hash hash;
    /* Optional: reads the scheme's own keys into v->params, may transform secrets before
     * the keys are prepared (e.g. base64-decode "whsec_...") and may set v->hash. It runs
     * even after a problem with the common keys (then v->nsecrets may be 0), so one run
     * reports every problem; v->params is freed by free_params also when setup fails.
     * 0, HK_ECONF (reported) or HK_ENOMEM. */
    int (*setup)(struct hk_verifier *v, const struct hk_jcur *verify);
    /* 0 if the request is genuine; HK_EUNSIGNED (the header that carries the signature is
     * absent or empty: the sender did not sign), HK_EAUTH (a signature that is wrong or
     * malformed, or another header the scheme signs is missing) or HK_ESTALE (signed
     * timestamp outside the tolerance). Any thread. */
    int (*check)(const struct hk_verifier *v, const struct hk_verify_req *req);
    /* Frees v->params; may be NULL. */
    void (*free_params)(void *params);
    /* Where the event id and type come from by default (see source.h for the syntax). */
    const char *default_id;
    const char *default_type;
    const char *default_created; /* NULL when the scheme has no natural creation time */
    /* Milliseconds per unit of the creation time: 1 when it is Unix ms, 1000 when it is Unix
     * seconds. Set in every scheme, also those without default_created, because a source
     * that names its own "created" field keeps the scheme's unit unless it says otherwise. */
    int created_scale_ms;
    /* Headers that carry the signature; NULL-terminated. They are never stored with the
     * event: a signature is a credential for that body (whoever holds it can resend it). */
    const char *const *signature_headers;
    /* Content types the scheme's senders use; NULL-terminated. */
    const char *const *content_types;
    /* Optional: recognises a verified JSON request that is the sender's own handshake rather
     * than an event (Slack's url_verification), writes the JSON body of the answer to out and
     * returns true; hookd then answers 200 with it and stores nothing. Asked only about
     * bodies whose envelope is not a valid event (a handshake has no event id). Any thread. */
    bool (*handshake)(const uint8_t *body, size_t len, struct hk_buf *out);
};

struct hk_verifier {
    const struct hk_scheme *scheme;
    struct hk_secret *secrets; /* owned */
    size_t nsecrets;
    struct hk_hmac_key *keys; /* owned; keys[i] is prepared from secrets[i] */
    /* The hash the keys are prepared for: the scheme's, unless its setup() chose another
     * (the generic "hmac" scheme's "algorithm"). */
    enum hk_hash hash;
    int64_t tolerance_s; /* replay window for schemes with a signed timestamp */
    /* A signature header named in the configuration (the generic scheme's "header"),
     * borrowed from params; NULL for the others. */
    const char *signature_header;
    void *params; /* owned by the scheme */
};

#define HK_DEFAULT_TOLERANCE_S 300
/* More would only slow every request down; a rotation needs two or three. */
#define HK_MAX_SECRETS 8

/* Builds a verifier from a source's "verify" object. 0, or HK_ECONF with every problem
 * reported to the document's diagnostics. The caller frees *out with hk_verifier_free. */
int hk_verifier_parse(const struct hk_jcur *verify, const char *confdir, struct hk_verifier **out);
void hk_verifier_free(struct hk_verifier *v);
/* Runs the scheme's check. */
int hk_verifier_check(const struct hk_verifier *v, const struct hk_verify_req *req);
/* The scheme called name, or NULL. */
const struct hk_scheme *hk_scheme_find(const char *name);

/* Helpers for schemes. */

/* Calls fn for every item of list[0..n) separated by sep, with surrounding spaces and tabs
 * trimmed and empty items skipped; returns whether fn returned true for any. All items are
 * visited so the time taken does not depend on which one matched. */
bool hk_split_any(const char *list, size_t n, char sep,
                  bool (*fn)(const char *item, size_t len, void *arg), void *arg);
/* The MACs of one message under every configured secret, computed once per request so a
 * header carrying many signatures costs one comparison per entry, not one HMAC. */
struct hk_macs {
    uint8_t mac[HK_MAX_SECRETS][HK_HMAC_MAX];
    size_t n;   /* number of secrets */
    size_t len; /* bytes per MAC */
};
/* Fills m with the MAC of the concatenated parts under each secret. 0 or HK_EIO. */
int hk_verifier_macs(const struct hk_verifier *v, const struct hk_span *parts, size_t nparts,
                     struct hk_macs *m);
/* True if cand (len bytes) equals any of the MACs. Every MAC is compared whatever the outcome,
 * so timing does not tell which secret matched. */
bool hk_macs_match(const struct hk_macs *m, const uint8_t *cand, size_t len);
/* True if s[0..n) is the hex (either case) or base64 (padded or not; with url, the URL-safe
 * alphabet too) text of a MAC equal to one of m's; same constant-time guarantee as
 * hk_macs_match. */
bool hk_macs_match_hex(const struct hk_macs *m, const char *s, size_t n);
bool hk_macs_match_base64(const struct hk_macs *m, const char *s, size_t n, bool url);
/* Parses a decimal Unix timestamp s[0..n) and checks it against now within the tolerance.
 * 0, HK_EAUTH when malformed, HK_ESTALE when outside the window. */
int hk_verify_timestamp(const struct hk_verifier *v, const char *s, size_t n, int64_t now_s,
                        int64_t *ts);

/* Whether the header called name (n bytes, any case) carries v's signature. Any thread. */
bool hk_verifier_is_signature_header(const struct hk_verifier *v, const char *name, size_t n);

#endif
