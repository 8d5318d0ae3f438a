/* verify_template.c -- parsing and applying the generic scheme's "signed" template. */
#include "verify/verify_template.h"

#include "base/err.h"

#include <stdlib.h>
#include <string.h>

#define BODY_NAME     "body"
#define HEADER_PREFIX "header:"

/* RFC 9110 token characters, the only ones a header name may hold. */
static bool is_tchar(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           (c && strchr("!#$%&'*+-.^_`|~", c));
}

static int add_part(struct hk_tpl *t, enum hk_tpl_kind kind, const char *p, size_t n,
                    const char **why)
{
    if (t->n == HK_TPL_MAX_PARTS) {
        *why = "too many parts (at most 16 texts and placeholders): simplify the template";
        return HK_EINVAL;
    }
    struct hk_tpl_part *part = &t->parts[t->n];
    part->kind = kind;
    part->text = NULL;
    part->len = n;
    if (kind != HK_TPL_BODY) {
        part->text = malloc(n + 1);
        if (!part->text)
            return HK_ENOMEM;
        memcpy(part->text, p, n);
        part->text[n] = 0;
    }
    t->n++;
    return 0;
}

/* Adds the placeholder name[0..n) (between the braces). */
static int add_placeholder(struct hk_tpl *t, const char *name, size_t n, const char **why)
{
    size_t hp = strlen(HEADER_PREFIX);
    if (n == strlen(BODY_NAME) && memcmp(name, BODY_NAME, n) == 0)
        return add_part(t, HK_TPL_BODY, NULL, 0, why);
    if (n < hp || memcmp(name, HEADER_PREFIX, hp) != 0) {
        *why = "unknown placeholder: use {body} or {header:NAME}, or \"{{\" for a literal brace";
        return HK_EINVAL;
    }
    for (size_t i = hp; i < n; i++) {
        if (!is_tchar(name[i])) {
            *why = "a header name holds a character no header name can: fix {header:NAME}";
            return HK_EINVAL;
        }
    }
    if (n == hp) {
        *why = "{header:} names no header: write the header's name after \"header:\"";
        return HK_EINVAL;
    }
    return add_part(t, HK_TPL_HEADER, name + hp, n - hp, why);
}

static bool has_body(const struct hk_tpl *t)
{
    for (size_t i = 0; i < t->n; i++)
        if (t->parts[i].kind == HK_TPL_BODY)
            return true;
    return false;
}

/* Parses text, collecting literal runs (with "{{"/"}}" unescaped) into lit. */
static int parse(const char *text, char *lit, struct hk_tpl *t, const char **why)
{
    size_t lit_len = 0;
    int rc = 0;
    for (const char *p = text; *p && !rc;) {
        if ((p[0] == '{' || p[0] == '}') && p[1] == p[0]) {
            lit[lit_len++] = *p;
            p += 2;
        } else if (*p == '}') {
            *why = "a lone \"}\": write \"}}\" for a literal brace";
            rc = HK_EINVAL;
        } else if (*p == '{') {
            const char *end = strchr(p, '}');
            if (!end) {
                *why = "a \"{\" is never closed: write {body}, {header:NAME} or \"{{\"";
                return HK_EINVAL;
            }
            rc = lit_len ? add_part(t, HK_TPL_LITERAL, lit, lit_len, why) : 0;
            lit_len = 0;
            rc = rc ? rc : add_placeholder(t, p + 1, (size_t)(end - p - 1), why);
            p = end + 1;
        } else {
            lit[lit_len++] = *p++;
        }
    }
    if (!rc && lit_len)
        rc = add_part(t, HK_TPL_LITERAL, lit, lit_len, why);
    if (!rc && !has_body(t)) {
        *why = "the template never signs {body}, so anyone could change the body: add {body}";
        rc = HK_EINVAL;
    }
    return rc;
}

int hk_tpl_parse(const char *text, struct hk_tpl *t, const char **why)
{
    memset(t, 0, sizeof *t);
    char *lit = malloc(strlen(text) + 1);
    if (!lit)
        return HK_ENOMEM;
    int rc = parse(text, lit, t, why);
    free(lit);
    if (rc)
        hk_tpl_free(t);
    return rc;
}

void hk_tpl_free(struct hk_tpl *t)
{
    for (size_t i = 0; i < t->n; i++)
        free(t->parts[i].text);
    memset(t, 0, sizeof *t);
}

int hk_tpl_spans(const struct hk_tpl *t, const struct hk_verify_req *req, struct hk_span *out)
{
    for (size_t i = 0; i < t->n; i++) {
        const struct hk_tpl_part *part = &t->parts[i];
        if (part->kind == HK_TPL_BODY) {
            out[i] = (struct hk_span){req->body, req->body_len};
        } else if (part->kind == HK_TPL_LITERAL) {
            out[i] = (struct hk_span){part->text, part->len};
        } else {
            const struct hk_header *h = hk_header_find(req->headers, req->nheaders, part->text);
            if (!h)
                return HK_EAUTH;
            out[i] = (struct hk_span){h->value, h->value_len};
        }
    }
    return 0;
}
