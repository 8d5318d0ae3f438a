/* jconf.c -- JSON configuration reading with key paths and file positions. */
#include "base/jconf.h"

#include "base/err.h"
#include "base/json_scan.h"

#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define JCONF_PATH_MAX       512
#define JCONF_MAX_FILE_BYTES (4 * 1024 * 1024)
#define SUGGEST_MAX_DISTANCE 2

static int read_file(const char *path, char **text, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return -errno;
    char *buf = malloc(JCONF_MAX_FILE_BYTES + 1);
    size_t n = buf ? fread(buf, 1, JCONF_MAX_FILE_BYTES + 1, f) : 0;
    int rc = !buf ? HK_ENOMEM : ferror(f) ? HK_EIO : n > JCONF_MAX_FILE_BYTES ? HK_ERANGE : 0;
    fclose(f);
    if (rc) {
        free(buf);
        return rc;
    }
    buf[n] = 0;
    *text = buf;
    *len = n;
    return 0;
}

int hk_jdoc_load(struct hk_jdoc *doc, const char *dir, const char *name, struct hk_diags *diags)
{
    char path[PATH_MAX];
    memset(doc, 0, sizeof *doc);
    snprintf(path, sizeof path, "%s/%s", dir, name);
    int rc = read_file(path, &doc->text, &doc->len);
    if (rc) {
        hk_diags_addf(diags, "%s: cannot read it: %s: check that the file exists and is readable",
                      path, hk_strerror(rc));
        return rc;
    }
    json_error_t e;
    doc->root = json_loadb(doc->text, doc->len, JSON_REJECT_DUPLICATES, &e);
    if (!doc->root) {
        hk_diags_addf(diags, "%s:%d:%d: invalid JSON: %s: fix the syntax at that position", name,
                      e.line, e.column, e.text);
        free(doc->text);
        memset(doc, 0, sizeof *doc);
        return HK_ECONF;
    }
    doc->name = strdup(name);
    doc->diags = diags;
    if (!doc->name) {
        hk_jdoc_free(doc);
        return HK_ENOMEM;
    }
    return 0;
}

void hk_jdoc_free(struct hk_jdoc *doc)
{
    json_decref(doc->root);
    free(doc->text);
    free(doc->name);
    memset(doc, 0, sizeof *doc);
}

struct hk_jcur hk_jcur_root(struct hk_jdoc *doc)
{
    return (struct hk_jcur){.doc = doc, .val = doc->root};
}

struct hk_jcur hk_jcur_member(const struct hk_jcur *obj, const char *key)
{
    json_t *v = json_is_object(obj->val) ? json_object_get(obj->val, key) : NULL;
    return (struct hk_jcur){.doc = obj->doc, .parent = obj, .key = key, .val = v};
}

struct hk_jcur hk_jcur_element(const struct hk_jcur *arr, size_t index)
{
    json_t *v = json_is_array(arr->val) ? json_array_get(arr->val, index) : NULL;
    return (struct hk_jcur){.doc = arr->doc, .parent = arr, .index = index, .val = v};
}

static size_t append(char *out, size_t cap, size_t len, const char *s)
{
    size_t n = strlen(s);
    if (len < cap) {
        size_t room = cap - len - 1;
        memcpy(out + len, s, n < room ? n : room);
        out[len + (n < room ? n : room)] = 0;
    }
    return len + n;
}

static size_t render_path(const struct hk_jcur *c, char *out, size_t cap, bool pointer)
{
    if (!c->parent)
        return 0;
    size_t len = render_path(c->parent, out, cap, pointer);
    char idx[32];
    if (!c->key) {
        snprintf(idx, sizeof idx, pointer ? "/%zu" : "[%zu]", c->index);
        return append(out, cap, len, idx);
    }
    if (pointer || c->parent->parent)
        len = append(out, cap, len, pointer ? "/" : ".");
    if (!pointer)
        return append(out, cap, len, c->key);
    for (const char *k = c->key; *k; k++) {
        char one[2] = {*k, 0};
        len = append(out, cap, len, *k == '~' ? "~0" : *k == '/' ? "~1" : one);
    }
    return len;
}

void hk_jcur_path(const struct hk_jcur *c, char *out, size_t cap)
{
    out[0] = 0;
    render_path(c, out, cap, false);
    if (!out[0])
        snprintf(out, cap, "(top level)");
}

/* Line and column of the nearest present value on c's path. */
static void position(const struct hk_jcur *c, int *line, int *col)
{
    while (c->parent && !c->val)
        c = c->parent;
    char ptr[JCONF_PATH_MAX] = "";
    render_path(c, ptr, sizeof ptr, true);
    struct hk_json_want want = {.pointer = ptr};
    size_t off = 0;
    if (hk_json_scan((const uint8_t *)c->doc->text, c->doc->len, &want, 1, NULL) == 0 &&
        want.kind != HK_JSON_ABSENT)
        off = want.off;
    hk_json_position(c->doc->text, c->doc->len, off, line, col);
}

void hk_jcur_where(const struct hk_jcur *c, char *out, size_t cap)
{
    int line, col;
    position(c, &line, &col);
    snprintf(out, cap, "%s:%d:%d", c->doc->name, line, col);
}

static void report(const struct hk_jcur *c, struct hk_diags *to, const char *fmt, va_list ap)
{
    char path[JCONF_PATH_MAX], text[1024];
    int line, col;
    vsnprintf(text, sizeof text, fmt, ap);
    hk_jcur_path(c, path, sizeof path);
    position(c, &line, &col);
    hk_diags_addf(to, "%s:%d:%d: %s: %s", c->doc->name, line, col, path, text);
}

int hk_jcur_error(const struct hk_jcur *c, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    report(c, c->doc->diags, fmt, ap);
    va_end(ap);
    return HK_ECONF;
}

void hk_jcur_warn(const struct hk_jcur *c, struct hk_diags *warnings, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    report(c, warnings, fmt, ap);
    va_end(ap);
}

static size_t edit_distance(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    size_t row[64];
    if (lb >= sizeof row / sizeof row[0] || la >= 64)
        return SIZE_MAX;
    for (size_t j = 0; j <= lb; j++)
        row[j] = j;
    for (size_t i = 1; i <= la; i++) {
        size_t diag = row[0];
        row[0] = i;
        for (size_t j = 1; j <= lb; j++) {
            size_t up = row[j];
            size_t best = diag + (a[i - 1] != b[j - 1]);
            if (up + 1 < best)
                best = up + 1;
            if (row[j - 1] + 1 < best)
                best = row[j - 1] + 1;
            row[j] = best;
            diag = up;
        }
    }
    return row[lb];
}

static int report_unknown_key(const struct hk_jcur *obj, const char *key,
                              const char *const *allowed)
{
    const char *best = NULL;
    size_t best_d = SUGGEST_MAX_DISTANCE + 1;
    char list[512] = "";
    size_t len = 0;
    for (const char *const *a = allowed; *a; a++) {
        size_t d = edit_distance(key, *a);
        if (d < best_d) {
            best_d = d;
            best = *a;
        }
        len = append(list, sizeof list, len, a == allowed ? "" : ", ");
        len = append(list, sizeof list, len, *a);
    }
    struct hk_jcur m = hk_jcur_member(obj, key);
    if (best)
        return hk_jcur_error(&m, "unknown key: did you mean \"%s\"?", best);
    return hk_jcur_error(&m, "unknown key: remove it; the keys allowed here are: %s", list);
}

int hk_jconf_object(const struct hk_jcur *c, const char *const *allowed)
{
    if (!c->val)
        return 0;
    if (!json_is_object(c->val))
        return hk_jcur_error(c, "expected an object ({...})");
    int rc = 0;
    const char *key;
    json_t *v;
    json_object_foreach(c->val, key, v)
    {
        const char *const *a = allowed;
        while (*a && strcmp(*a, key) != 0)
            a++;
        if (!*a)
            rc = report_unknown_key(c, key, allowed);
    }
    return rc;
}

int hk_jconf_array(const struct hk_jcur *c, size_t *n)
{
    *n = 0;
    if (!c->val)
        return 0;
    if (!json_is_array(c->val))
        return hk_jcur_error(c, "expected an array ([...])");
    *n = json_array_size(c->val);
    return 0;
}

static int absent(const struct hk_jcur *m, bool required)
{
    return required ? hk_jcur_error(m, "missing: this key is required") : 0;
}

int hk_jconf_string(const struct hk_jcur *obj, const char *key, bool required, const char **out)
{
    struct hk_jcur m = hk_jcur_member(obj, key);
    if (!m.val)
        return absent(&m, required);
    if (!json_is_string(m.val))
        return hk_jcur_error(&m, "expected a string");
    if (required && json_string_length(m.val) == 0)
        return hk_jcur_error(&m, "empty: give a value");
    if (strlen(json_string_value(m.val)) != json_string_length(m.val))
        return hk_jcur_error(&m, "contains a NUL character: remove it");
    *out = json_string_value(m.val);
    return 0;
}

int hk_jconf_int(const struct hk_jcur *obj, const char *key, int64_t min, int64_t max, int64_t *out)
{
    struct hk_jcur m = hk_jcur_member(obj, key);
    if (!m.val)
        return 0;
    if (!json_is_integer(m.val))
        return hk_jcur_error(&m, "expected an integer");
    json_int_t v = json_integer_value(m.val);
    if (v < min || v > max)
        return hk_jcur_error(&m, "%lld is out of range: use a value from %lld to %lld",
                             (long long)v, (long long)min, (long long)max);
    *out = v;
    return 0;
}

int hk_jconf_bool(const struct hk_jcur *obj, const char *key, bool *out)
{
    struct hk_jcur m = hk_jcur_member(obj, key);
    if (!m.val)
        return 0;
    if (!json_is_boolean(m.val))
        return hk_jcur_error(&m, "expected true or false");
    *out = json_is_true(m.val);
    return 0;
}

int hk_duration_parse(const char *s, int64_t *ms)
{
    static const struct {
        const char *unit;
        int64_t ms;
    } units[] = {{"ms", 1}, {"s", 1000}, {"m", 60000}, {"h", 3600000}, {"d", 86400000}};
    char *end;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (end == s || errno || v < 0 || *s == '-' || *s == '+' || *s == ' ')
        return HK_EINVAL;
    for (size_t i = 0; i < sizeof units / sizeof units[0]; i++) {
        if (strcmp(end, units[i].unit) == 0) {
            if (v > INT64_MAX / units[i].ms)
                return HK_EINVAL;
            *ms = v * units[i].ms;
            return 0;
        }
    }
    return HK_EINVAL;
}

int hk_jconf_duration_ms(const struct hk_jcur *obj, const char *key, int64_t min_ms, int64_t max_ms,
                         int64_t *out)
{
    struct hk_jcur m = hk_jcur_member(obj, key);
    int64_t v;
    if (!m.val)
        return 0;
    if (json_is_integer(m.val))
        v = json_integer_value(m.val);
    else if (!json_is_string(m.val) || hk_duration_parse(json_string_value(m.val), &v) != 0)
        return hk_jcur_error(&m, "expected a duration: milliseconds as an integer, or a string "
                                 "like \"250ms\", \"30s\", \"5m\", \"36h\", \"7d\"");
    if (v < min_ms || v > max_ms)
        return hk_jcur_error(&m, "duration out of range: use %lld ms to %lld ms", (long long)min_ms,
                             (long long)max_ms);
    *out = v;
    return 0;
}

int hk_jconf_enum(const struct hk_jcur *obj, const char *key, const char *const *names, int *out)
{
    const char *s = NULL;
    int rc = hk_jconf_string(obj, key, false, &s);
    if (rc || !s)
        return rc;
    char list[512] = "";
    size_t len = 0;
    for (int i = 0; names[i]; i++) {
        if (strcmp(names[i], s) == 0) {
            *out = i;
            return 0;
        }
        len = append(list, sizeof list, len, i ? ", " : "");
        len = append(list, sizeof list, len, names[i]);
    }
    struct hk_jcur m = hk_jcur_member(obj, key);
    return hk_jcur_error(&m, "\"%s\" is not one of: %s", s, list);
}
