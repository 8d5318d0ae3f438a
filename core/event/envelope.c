/* envelope.c -- reading id, type and creation time from a verified request. */
#include "event/envelope.h"

#include "base/err.h"
#include "base/form.h"
#include "base/json_scan.h"

#include <stdio.h>
#include <string.h>

#define FIELDS   3 /* id, type, created */
#define WANT_MAX (FIELDS * HK_FROM_MAX)

enum field { F_ID, F_TYPE, F_CREATED };

static const char *const field_names[FIELDS] = {"id", "type", "created time"};

/* The request as the readers see it. */
struct input {
    const struct hk_header *h;
    size_t nh;
    const uint8_t *body;
    size_t n;
    bool json;
    struct hk_json_want want[WANT_MAX];
    size_t nwant;
};

/* A value found for a field: text (decoded) or an integer. */
struct found {
    enum hk_json_kind kind; /* STRING or INTEGER; ABSENT if not found */
    char text[HK_ID_MAX + 1];
    size_t len;
    int64_t num;
    bool too_long;
    bool from_json; /* a JSON string is text, never a number */
};

static const struct hk_field_spec *spec_of(const struct hk_source *s, enum field f)
{
    return f == F_ID ? &s->id : f == F_TYPE ? &s->type : &s->created;
}

static int scan_body(const struct hk_source *s, struct input *in)
{
    for (int f = 0; f < FIELDS; f++) {
        const struct hk_field_spec *spec = spec_of(s, (enum field)f);
        for (size_t i = 0; i < spec->n; i++)
            if (spec->c[i].kind == HK_FROM_BODY)
                in->want[in->nwant++].pointer = spec->c[i].arg;
    }
    return hk_json_scan(in->body, in->n, in->want, in->nwant, NULL);
}

static void from_json(const struct input *in, const char *pointer, struct found *out)
{
    for (size_t i = 0; i < in->nwant; i++) {
        const struct hk_json_want *w = &in->want[i];
        if (w->pointer != pointer || w->kind == HK_JSON_ABSENT)
            continue;
        out->kind = w->kind;
        out->from_json = true;
        if (w->kind == HK_JSON_STRING) {
            int rc =
                hk_json_string(in->body + w->off, w->len, out->text, sizeof out->text, &out->len);
            out->too_long = rc == HK_ERANGE;
        } else if (w->kind == HK_JSON_INTEGER &&
                   hk_json_integer(in->body + w->off, w->len, &out->num) != 0) {
            out->kind = HK_JSON_REAL; /* out of range: not a usable integer */
        }
        return;
    }
}

static void from_text(const char *p, size_t n, struct found *out)
{
    out->kind = HK_JSON_STRING;
    out->too_long = n >= sizeof out->text;
    out->len = out->too_long ? 0 : n;
    memcpy(out->text, p, out->len);
    out->text[out->len] = 0;
}

static void find(const struct input *in, const struct hk_from *c, struct found *out)
{
    out->kind = HK_JSON_ABSENT;
    if (c->kind == HK_FROM_BODY) {
        if (in->json)
            from_json(in, c->arg, out);
    } else if (c->kind == HK_FROM_HEADER) {
        const struct hk_header *h = hk_header_find(in->h, in->nh, c->arg);
        if (h)
            from_text(h->value, h->value_len, out);
    } else if (!in->json) {
        int rc = hk_form_find(in->body, in->n, c->arg, out->text, sizeof out->text, &out->len);
        out->kind = rc == 0 || rc == HK_ERANGE ? HK_JSON_STRING : HK_JSON_ABSENT;
        out->too_long = rc == HK_ERANGE;
    }
}

/* A creation time: a JSON integer, or the digits of a header or form value. */
static bool parse_int(const struct found *v, int64_t *out)
{
    if (v->kind == HK_JSON_INTEGER) {
        *out = v->num;
        return true;
    }
    if (v->kind != HK_JSON_STRING || v->from_json || v->len == 0 || v->len > 18)
        return false;
    int64_t x = 0;
    for (size_t i = 0; i < v->len; i++) {
        if (v->text[i] < '0' || v->text[i] > '9')
            return false;
        x = x * 10 + (v->text[i] - '0');
    }
    *out = x;
    return true;
}

static void set_invalid(struct hk_envelope *env, enum field f, const struct hk_field_spec *spec,
                        const char *why)
{
    if (!env->valid)
        return; /* keep the first reason */
    env->valid = false;
    snprintf(env->invalid, sizeof env->invalid, "%s (%s) %s", field_names[f],
             spec->n ? spec->c[0].arg : "-", why);
}

static void read_text_field(const struct input *in, const struct hk_field_spec *spec, enum field f,
                            size_t max, char *dst, size_t *dst_len, struct hk_envelope *env)
{
    struct found v = {0};
    for (size_t i = 0; i < spec->n && v.kind == HK_JSON_ABSENT; i++)
        find(in, &spec->c[i], &v);
    if (v.kind == HK_JSON_ABSENT) {
        set_invalid(env, f, spec, "is missing");
        return;
    }
    if (v.kind != HK_JSON_STRING) {
        set_invalid(env, f, spec, "is not a string");
        return;
    }
    if (v.too_long || v.len > max) {
        set_invalid(env, f, spec, "is too long");
        return;
    }
    if (v.len == 0) {
        set_invalid(env, f, spec, "is empty");
        return;
    }
    if (memchr(v.text, 0, v.len)) {
        set_invalid(env, f, spec, "contains a NUL character");
        return;
    }
    memcpy(dst, v.text, v.len + 1);
    *dst_len = v.len;
}

static void read_created(const struct hk_source *s, const struct input *in, struct hk_envelope *env)
{
    struct found v = {0};
    int64_t x;
    if (s->created.n == 0)
        return;
    for (size_t i = 0; i < s->created.n && v.kind == HK_JSON_ABSENT; i++)
        find(in, &s->created.c[i], &v);
    if (v.kind == HK_JSON_ABSENT) {
        set_invalid(env, F_CREATED, &s->created, "is missing");
        return;
    }
    if (!parse_int(&v, &x) || x < 0 || x > INT64_MAX / s->created_scale_ms) {
        set_invalid(env, F_CREATED, &s->created, "is not a non-negative integer");
        return;
    }
    env->created_ms = x * s->created_scale_ms;
}

void hk_envelope_read(const struct hk_source *s, const struct hk_header *h, size_t nh,
                      const uint8_t *body, size_t n, bool json_body, struct hk_envelope *env)
{
    struct input in = {.h = h, .nh = nh, .body = body, .n = n, .json = json_body};
    memset(env, 0, sizeof *env);
    env->valid = true;
    if (json_body && scan_body(s, &in) != 0) {
        env->valid = false;
        snprintf(env->invalid, sizeof env->invalid, "body is not valid JSON");
        return;
    }
    read_text_field(&in, &s->id, F_ID, HK_ID_MAX, env->id, &env->id_len, env);
    read_text_field(&in, &s->type, F_TYPE, HK_TYPE_MAX, env->type, &env->type_len, env);
    read_created(s, &in, env);
}
