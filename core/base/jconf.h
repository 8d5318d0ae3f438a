/* jconf.h -- reading JSON configuration files with precise, helpful errors.
 *
 * A file is parsed by jansson (duplicate keys refused); every value is then reached through
 * a cursor that remembers its key path, so any problem is reported as
 *   FILE:LINE:COL: PATH: what is wrong: how to fix it
 * with LINE:COL found by json_scan. Readers report a problem and keep going, so one run lists
 * every problem. Strings handed out point into the document and live as long as it. */
#ifndef HK_JCONF_H
#define HK_JCONF_H

#include "base/diag.h"

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

struct hk_jdoc {
    char *name; /* owned; the file as messages show it, relative to the config directory */
    char *text; /* owned; the file's bytes */
    size_t len;
    json_t *root;           /* owned */
    struct hk_diags *diags; /* borrowed; where problems go */
};

/* Reads dir/name and parses it. 0, or HK_ECONF / a negated errno with a problem added to
 * diags. On failure doc holds nothing to free. */
int hk_jdoc_load(struct hk_jdoc *doc, const char *dir, const char *name, struct hk_diags *diags);
void hk_jdoc_free(struct hk_jdoc *doc);

/* A value inside a document and the way it was reached. Cursors are small and live on the
 * stack; parent must outlive the child. val is NULL when the member is absent. */
struct hk_jcur {
    struct hk_jdoc *doc;
    const struct hk_jcur *parent;
    const char *key; /* member name, or NULL for an array element or the root */
    size_t index;
    json_t *val;
};

struct hk_jcur hk_jcur_root(struct hk_jdoc *doc);
struct hk_jcur hk_jcur_member(const struct hk_jcur *obj, const char *key);
struct hk_jcur hk_jcur_element(const struct hk_jcur *arr, size_t index);

/* Adds "FILE:LINE:COL: PATH: <formatted text>" to the document's problems. Returns HK_ECONF
 * so callers can write `return hk_jcur_error(...)`. */
int hk_jcur_error(const struct hk_jcur *c, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Like hk_jcur_error, but the line goes to warnings: something works yet deserves a look
 * (an expired certificate, an inline password). The configuration stays valid. */
void hk_jcur_warn(const struct hk_jcur *c, struct hk_diags *warnings, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Writes the key path ("sources[0].verify") into out. */
void hk_jcur_path(const struct hk_jcur *c, char *out, size_t cap);
/* Writes "FILE:LINE:COL" of c (of its nearest present parent when c is absent) into out: the
 * front of a message about that value made elsewhere (a plugin's check of its own config). */
void hk_jcur_where(const struct hk_jcur *c, char *out, size_t cap);

/* Checks that c is an object whose keys are all in the NULL-terminated allowed list, and
 * reports each unknown key (with the closest allowed one). An absent c passes. */
int hk_jconf_object(const struct hk_jcur *c, const char *const *allowed);
/* Checks that c is an array (absent passes); *n is its length (0 when absent). */
int hk_jconf_array(const struct hk_jcur *c, size_t *n);

/* Typed members of obj. An absent member leaves *out unchanged and returns 0, unless it is
 * required; a member of the wrong type or out of range is reported and HK_ECONF returned. */
int hk_jconf_string(const struct hk_jcur *obj, const char *key, bool required, const char **out);
int hk_jconf_int(const struct hk_jcur *obj, const char *key, int64_t min, int64_t max,
                 int64_t *out);
int hk_jconf_bool(const struct hk_jcur *obj, const char *key, bool *out);
/* A duration: an integer of milliseconds, or a string with a unit: "250ms", "30s", "5m",
 * "36h", "7d". */
int hk_jconf_duration_ms(const struct hk_jcur *obj, const char *key, int64_t min_ms, int64_t max_ms,
                         int64_t *out);
/* One of the NULL-terminated names; *out is its index. */
int hk_jconf_enum(const struct hk_jcur *obj, const char *key, const char *const *names, int *out);

/* Parses a duration string as hk_jconf_duration_ms does. 0 or HK_EINVAL. */
int hk_duration_parse(const char *s, int64_t *ms);

#endif
