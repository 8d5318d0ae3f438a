/* source.c -- reading a source from the configuration. */
#include "conf/source.h"

#include "base/err.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define SPEC_SEPARATOR    " | "
#define CONTENT_TYPES_MAX 16
#define SUBJECTS_MAX      256
#define DN_MAX            512

static const char *const source_keys[] = {"name",
                                          "path",
                                          "verify",
                                          "allow",
                                          "trusted_proxies",
                                          "event",
                                          "content_types",
                                          "require_client_cert",
                                          "client_subjects",
                                          "rate_limit",
                                          NULL};
static const char *const rate_keys[] = {"per_s", "burst", NULL};
static const char *const event_keys[] = {"id", "type", "created", "created_unit", NULL};

/* "rate_limit": {"per_s": N, "burst": M}: genuine requests over it are answered 429. */
static int parse_rate_limit(const struct hk_jcur *src, struct hk_source *s)
{
    struct hk_jcur rl = hk_jcur_member(src, "rate_limit");
    if (!rl.val)
        return 0;
    if (!json_is_object(rl.val))
        return hk_jcur_error(&rl, "expected {\"per_s\": 100, \"burst\": 200}");
    int64_t per_s = 0, burst = 0;
    int rc = hk_jconf_object(&rl, rate_keys) | hk_jconf_int(&rl, "per_s", 1, 1000000, &per_s);
    struct hk_jcur p = hk_jcur_member(&rl, "per_s");
    if (!p.val)
        rc |= hk_jcur_error(&p, "missing: the requests a second this source may send");
    burst = per_s;
    rc |= hk_jconf_int(&rl, "burst", 1, 10000000, &burst);
    if (rc)
        return rc;
    s->rate = malloc(sizeof *s->rate);
    if (!s->rate)
        return HK_ENOMEM;
    hk_rate_init(s->rate, (uint32_t)per_s, (uint32_t)burst);
    return 0;
}

static int parse_candidate(const char *p, size_t n, struct hk_from *out)
{
    static const struct {
        const char *prefix;
        enum hk_from_kind kind;
    } kinds[] = {{"header:", HK_FROM_HEADER}, {"form:", HK_FROM_FORM}};
    for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++) {
        size_t pl = strlen(kinds[i].prefix);
        if (n > pl && strncmp(p, kinds[i].prefix, pl) == 0) {
            out->kind = kinds[i].kind;
            out->arg = strndup(p + pl, n - pl);
            return out->arg ? 0 : HK_ENOMEM;
        }
    }
    if (n > 0 && p[0] != '/')
        return HK_EINVAL;
    out->kind = HK_FROM_BODY;
    out->arg = strndup(p, n);
    return out->arg ? 0 : HK_ENOMEM;
}

int hk_field_spec_parse(const char *text, struct hk_field_spec *spec, const char **bad)
{
    memset(spec, 0, sizeof *spec);
    const char *p = text;
    while (*p) {
        const char *sep = strstr(p, SPEC_SEPARATOR);
        size_t n = sep ? (size_t)(sep - p) : strlen(p);
        *bad = p;
        if (spec->n == HK_FROM_MAX || n == 0 || parse_candidate(p, n, &spec->c[spec->n]) != 0) {
            hk_field_spec_free(spec);
            return HK_EINVAL;
        }
        spec->n++;
        p = sep ? sep + strlen(SPEC_SEPARATOR) : p + n;
    }
    return 0;
}

void hk_field_spec_free(struct hk_field_spec *spec)
{
    for (size_t i = 0; i < spec->n; i++)
        free(spec->c[i].arg);
    memset(spec, 0, sizeof *spec);
}

static int parse_spec(const struct hk_jcur *event, const char *key, const char *dflt,
                      struct hk_field_spec *spec)
{
    const char *text = dflt, *bad = NULL;
    if (hk_jconf_string(event, key, false, &text))
        return HK_ECONF;
    if (!text)
        return 0;
    if (hk_field_spec_parse(text, spec, &bad) == 0)
        return 0;
    struct hk_jcur m = hk_jcur_member(event, key);
    return hk_jcur_error(&m,
                         "cannot read \"%s\": write up to %d candidates separated by \" | \", "
                         "each a JSON pointer (\"/id\"), \"header:NAME\" or \"form:NAME\"",
                         bad, HK_FROM_MAX);
}

static int parse_event(const struct hk_jcur *src, struct hk_source *s)
{
    static const char *const units[] = {"ms", "s", NULL};
    const struct hk_scheme *sch = s->verifier->scheme;
    struct hk_jcur event = hk_jcur_member(src, "event");
    int unit = sch->created_scale_ms == 1000 ? 1 : 0;
    int rc = hk_jconf_object(&event, event_keys);
    rc |= parse_spec(&event, "id", sch->default_id, &s->id);
    rc |= parse_spec(&event, "type", sch->default_type, &s->type);
    rc |= parse_spec(&event, "created", sch->default_created, &s->created);
    rc |= hk_jconf_enum(&event, "created_unit", units, &unit);
    s->created_scale_ms = unit == 1 ? 1000 : 1;
    if (!rc && s->id.n == 0)
        rc = hk_jcur_error(&event,
                           "scheme \"%s\" has no natural event id: set \"event\": "
                           "{\"id\": ...}",
                           sch->name);
    if (!rc && s->type.n == 0)
        rc = hk_jcur_error(&event,
                           "scheme \"%s\" has no natural event type: set \"event\": "
                           "{\"type\": ...}",
                           sch->name);
    return rc;
}

static int dup_list(const char *const *src, char ***out)
{
    size_t n = 0;
    while (src && src[n])
        n++;
    char **v = calloc(n + 1, sizeof *v);
    if (!v)
        return HK_ENOMEM;
    *out = v;
    for (size_t i = 0; i < n; i++)
        if (!(v[i] = strdup(src[i])))
            return HK_ENOMEM; /* hk_source_free frees the partial list */
    return 0;
}

static int parse_content_types(const struct hk_jcur *src, struct hk_source *s)
{
    struct hk_jcur arr = hk_jcur_member(src, "content_types");
    const char *list[CONTENT_TYPES_MAX + 1] = {0};
    size_t n = 0;
    if (!arr.val)
        return dup_list(s->verifier->scheme->content_types, &s->content_types);
    if (hk_jconf_array(&arr, &n))
        return HK_ECONF;
    if (n == 0 || n > CONTENT_TYPES_MAX)
        return hk_jcur_error(&arr, "give 1 to %d media types, e.g. [\"application/json\"]",
                             CONTENT_TYPES_MAX);
    for (size_t i = 0; i < n; i++) {
        struct hk_jcur el = hk_jcur_element(&arr, i);
        if (!json_is_string(el.val) || json_string_length(el.val) == 0)
            return hk_jcur_error(&el, "expected a media type like \"application/json\"");
        list[i] = json_string_value(el.val);
    }
    return dup_list(list, &s->content_types);
}

static int parse_subjects(const struct hk_jcur *src, struct hk_source *s)
{
    struct hk_jcur arr = hk_jcur_member(src, "client_subjects");
    size_t n = 0;
    if (!arr.val)
        return 0;
    if (hk_jconf_array(&arr, &n))
        return HK_ECONF;
    if (!s->require_client_cert)
        return hk_jcur_error(&arr, "only applies with \"require_client_cert\": true: add it, or "
                                   "remove \"client_subjects\"");
    if (n == 0 || n > SUBJECTS_MAX)
        return hk_jcur_error(&arr, "give 1 to %d subjects, e.g. [\"CN=sender.example, O=Example\"]",
                             SUBJECTS_MAX);
    const char **list = calloc(n + 1, sizeof *list);
    if (!list)
        return HK_ENOMEM;
    int rc = 0;
    for (size_t i = 0; i < n && rc == 0; i++) {
        struct hk_jcur el = hk_jcur_element(&arr, i);
        list[i] = json_string_value(el.val);
        if (!list[i] || !strchr(list[i], '='))
            rc = hk_jcur_error(&el, "expected a certificate subject like \"CN=sender.example, "
                                    "O=Example\" (as `openssl x509 -noout -subject` prints it)");
    }
    if (rc == 0)
        rc = dup_list(list, &s->client_subjects);
    free(list);
    return rc;
}

static int parse_path(const struct hk_jcur *src, struct hk_source *s)
{
    if (hk_jconf_string(src, "path", true, &s->path))
        return HK_ECONF;
    struct hk_jcur m = hk_jcur_member(src, "path");
    if (s->path[0] != '/' || strpbrk(s->path, "?# \t"))
        return hk_jcur_error(&m,
                             "\"%s\" is not a request path: it must start with '/' and "
                             "contain no '?', '#' or spaces",
                             s->path);
    return 0;
}

static int parse_addresses(const struct hk_jcur *src, struct hk_ipset *default_trusted,
                           struct hk_source *s)
{
    struct hk_jcur allow = hk_jcur_member(src, "allow");
    struct hk_jcur trusted = hk_jcur_member(src, "trusted_proxies");
    int rc = hk_ipset_parse(&allow, &s->allow);
    s->trusted_proxies = default_trusted;
    if (trusted.val) {
        rc |= hk_ipset_parse(&trusted, &s->trusted_proxies);
        s->own_trusted = true;
    }
    return rc;
}

static int check_none(const struct hk_jcur *src, const struct hk_source *s)
{
    if (strcmp(s->verifier->scheme->name, "none") != 0 || s->allow || s->require_client_cert)
        return 0;
    struct hk_jcur verify = hk_jcur_member(src, "verify");
    return hk_jcur_error(&verify, "scheme \"none\" accepts anyone: add an \"allow\" list of "
                                  "sender addresses or \"require_client_cert\": true");
}

int hk_source_parse(const struct hk_jcur *cur, const char *confdir,
                    struct hk_ipset *default_trusted, struct hk_source *s)
{
    memset(s, 0, sizeof *s);
    if (!json_is_object(cur->val))
        return hk_jcur_error(cur, "expected a source object {\"name\", \"path\", \"verify\"}");
    struct hk_jcur verify = hk_jcur_member(cur, "verify");
    int rc = hk_jconf_object(cur, source_keys);
    rc |= hk_jconf_string(cur, "name", true, &s->name);
    rc |= parse_path(cur, s);
    rc |= hk_jconf_bool(cur, "require_client_cert", &s->require_client_cert);
    rc |= parse_subjects(cur, s);
    rc |= parse_addresses(cur, default_trusted, s);
    rc |= parse_rate_limit(cur, s);
    int vrc = hk_verifier_parse(&verify, confdir, &s->verifier);
    if (vrc == 0) {
        rc |= parse_event(cur, s);
        rc |= parse_content_types(cur, s);
        rc |= check_none(cur, s);
    }
    if (rc || vrc) {
        hk_source_free(s);
        return vrc && vrc != HK_ECONF ? vrc : HK_ECONF;
    }
    return 0;
}

void hk_source_free(struct hk_source *s)
{
    free(s->rate);
    hk_verifier_free(s->verifier);
    hk_ipset_free(s->allow);
    if (s->own_trusted)
        hk_ipset_free(s->trusted_proxies);
    hk_field_spec_free(&s->id);
    hk_field_spec_free(&s->type);
    hk_field_spec_free(&s->created);
    for (size_t i = 0; s->content_types && s->content_types[i]; i++)
        free(s->content_types[i]);
    free(s->content_types);
    for (size_t i = 0; s->client_subjects && s->client_subjects[i]; i++)
        free(s->client_subjects[i]);
    free(s->client_subjects);
    memset(s, 0, sizeof *s);
}

bool hk_source_accepts(const struct hk_source *s, const char *ctype, size_t n)
{
    size_t media = 0;
    while (media < n && ctype[media] != ';' && ctype[media] != ' ' && ctype[media] != '\t')
        media++;
    for (char **t = s->content_types; t && *t; t++)
        if (hk_span_ieq(ctype, media, *t))
            return true;
    return false;
}

/* Copies a DN without the spaces around its ',' and '=' separators and at its ends. */
static void dn_normalise(const char *in, char *out, size_t cap)
{
    size_t n = 0;
    for (const char *p = in; *p && n + 1 < cap;) {
        const char *run = p;
        while (*p == ' ')
            p++;
        bool cut = run == p || n == 0 || out[n - 1] == ',' || out[n - 1] == '=' || *p == ',' ||
                   *p == '=' || *p == 0;
        while (!cut && run < p && n + 1 < cap)
            out[n++] = *run++;
        if (*p && n + 1 < cap)
            out[n++] = *p++;
    }
    out[n] = 0;
}

bool hk_source_accepts_subject(const struct hk_source *s, const char *subject)
{
    char want[DN_MAX], have[DN_MAX];
    if (!s->client_subjects)
        return true;
    dn_normalise(subject, have, sizeof have);
    for (char **p = s->client_subjects; *p; p++) {
        dn_normalise(*p, want, sizeof want);
        if (strcmp(want, have) == 0)
            return true;
    }
    return false;
}
