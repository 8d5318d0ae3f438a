/* source.h -- a source: one endpoint path, its verifier, who may call it, and where the
 * event's id, type and creation time are found.
 *
 * A field is found by trying candidates in order, written in the configuration as one
 * string separated by " | ", e.g. "/id | header:webhook-id":
 *   "/a/b"         a JSON pointer (RFC 6901) into the body
 *   "header:NAME"  a request header
 *   "form:NAME"    a field of an application/x-www-form-urlencoded body */
#ifndef HK_SOURCE_H
#define HK_SOURCE_H

#include "base/addr.h"
#include "base/rate.h"
#include "base/jconf.h"
#include "verify/verify.h"

#include <stdbool.h>
#include <stdint.h>

enum hk_from_kind { HK_FROM_BODY, HK_FROM_HEADER, HK_FROM_FORM };

#define HK_FROM_MAX 4

struct hk_from {
    enum hk_from_kind kind;
    char *arg; /* owned: the pointer, header name or form field */
};

struct hk_field_spec {
    struct hk_from c[HK_FROM_MAX];
    size_t n;
};

struct hk_source {
    const char *name;
    const char *path;
    struct hk_verifier *verifier;     /* owned */
    struct hk_ipset *allow;           /* owned; NULL lets every address in */
    struct hk_ipset *trusted_proxies; /* NULL: no proxy is trusted */
    bool own_trusted;                 /* trusted_proxies is this source's own */
    struct hk_field_spec id, type, created;
    int64_t created_scale_ms; /* created value * this = Unix ms */
    char **content_types;     /* owned, NULL-terminated */
    bool require_client_cert; /* refuse (403) requests without a verified client cert */
    char **client_subjects;   /* owned, NULL-terminated; NULL: any verified subject */
    /* "rate_limit", owned; NULL: none. The one part of a source that changes after it is
     * built (its atomic state); a reload starts it afresh. */
    struct hk_rate *rate;
};

/* Reads one element of "sources". default_trusted is the top-level trusted_proxies (may be
 * NULL), shared, not owned. 0 or HK_ECONF with problems reported. */
int hk_source_parse(const struct hk_jcur *cur, const char *confdir,
                    struct hk_ipset *default_trusted, struct hk_source *out);
void hk_source_free(struct hk_source *s);
/* Parses "a | b | c" into spec. 0 or HK_EINVAL with *bad pointing at the faulty candidate. */
int hk_field_spec_parse(const char *text, struct hk_field_spec *spec, const char **bad);
void hk_field_spec_free(struct hk_field_spec *spec);
/* True if the request's content type (media type part, case-insensitive) is accepted. */
bool hk_source_accepts(const struct hk_source *s, const char *ctype, size_t n);
/* True if a client certificate with this subject may call s: any verified one, or one of
 * "client_subjects". Spaces after ',' and around '=' do not matter, so mbedTLS's
 * "CN=a, O=b" equals "CN=a,O=b" and openssl's "CN = a, O = b". */
bool hk_source_accepts_subject(const struct hk_source *s, const char *subject);

#endif
