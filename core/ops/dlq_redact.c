/* dlq_redact.c -- what `dlq show` prints of a stored event's headers.
 *
 * hookd stores neither a client's credentials nor the signature of a body (event.c), but a
 * store written by an earlier version may still hold them: show masks them on the way out. */
#include "ops/dlq.h"

#include "base/buf.h"
#include "conf/conf.h"
#include "verify/verify.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static bool contains_ci(const char *s, size_t n, const char *lit)
{
    size_t m = strlen(lit);
    for (size_t i = 0; i + m <= n; i++)
        if (strncasecmp(s + i, lit, m) == 0)
            return true;
    return false;
}

static bool masked(const char *name, size_t n, const struct hk_source *s)
{
    return hk_header_is_credential(name, n) || contains_ci(name, n, "signature") ||
           contains_ci(name, n, "hmac") ||
           (s && hk_verifier_is_signature_header(s->verifier, name, n));
}

static const struct hk_source *source_named(const struct hk_conf *c, const char *name)
{
    for (size_t i = 0; name && i < c->nsources; i++)
        if (strcmp(c->sources[i].name, name) == 0)
            return &c->sources[i];
    return NULL;
}

void hk_dlq_redact_show(struct hk_dlq_job *j)
{
    json_t *one = j->query.json ? json_loads(j->query.json, 0, NULL) : NULL;
    const char *text = json_string_value(json_object_get(one, "headers"));
    const struct hk_source *s =
        source_named(j->gen->conf, json_string_value(json_object_get(one, "source")));
    struct hk_buf b = {0};
    for (const char *p = text; p && *p;) {
        const char *nl = strchr(p, '\n');
        size_t len = nl ? (size_t)(nl - p) + 1 : strlen(p);
        const char *colon = memchr(p, ':', len);
        if (colon && masked(p, (size_t)(colon - p), s)) {
            hk_buf_append(&b, p, (size_t)(colon - p));
            hk_buf_puts(&b, ": [redacted]\n");
        } else
            hk_buf_append(&b, p, len);
        p += len;
    }
    hk_buf_append(&b, "", 1);
    char *out = NULL;
    if (text && b.data && json_object_set_new(one, "headers", json_string((char *)b.data)) == 0)
        out = json_dumps(one, JSON_COMPACT);
    if (out) {
        free(j->query.json);
        j->query.json = out;
    } else if (text) { /* out of memory: say nothing rather than too much */
        free(j->query.json);
        j->query.json = NULL;
        j->query.status = 500;
    }
    hk_buf_free(&b);
    json_decref(one);
}
