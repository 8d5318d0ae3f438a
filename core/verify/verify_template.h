/* verify_template.h -- what the generic "hmac" scheme signs, written as a template.
 *
 * "{body}" is the raw body, "{header:NAME}" the value of request header NAME, "{{" and "}}"
 * are literal braces and everything else is literal text: "{header:x-timestamp}.{body}"
 * signs the timestamp header, a dot and the body. The template is parsed once at load time;
 * at request time it only points spans at the request's bytes. */
#ifndef HK_VERIFY_TEMPLATE_H
#define HK_VERIFY_TEMPLATE_H

#include "verify/verify.h"

#include <stddef.h>

/* More parts than any sender's scheme needs; a bound keeps the per-request spans on the stack. */
#define HK_TPL_MAX_PARTS 16

enum hk_tpl_kind { HK_TPL_LITERAL, HK_TPL_HEADER, HK_TPL_BODY };

struct hk_tpl_part {
    enum hk_tpl_kind kind;
    char *text; /* owned: the literal bytes or the header name; NULL for the body */
    size_t len;
};

struct hk_tpl {
    struct hk_tpl_part parts[HK_TPL_MAX_PARTS];
    size_t n;
};

/* Parses text into t. 0; HK_ENOMEM; or HK_EINVAL with *why set to a static "cause: fix" text
 * for a configuration message. t holds nothing to free after a failure. */
int hk_tpl_parse(const char *text, struct hk_tpl *t, const char **why);
void hk_tpl_free(struct hk_tpl *t);
/* Points out[0..t->n) at the bytes the template names in req (borrowed from t and req, valid
 * for the call). 0, or HK_EAUTH when a named header is missing. */
int hk_tpl_spans(const struct hk_tpl *t, const struct hk_verify_req *req, struct hk_span *out);

#endif
