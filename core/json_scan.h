/* json_scan.h -- a validating, allocation-free JSON scanner for the request path.
 *
 * jansson builds a tree (13 us for a 1 KiB event, 279 us for 16 KiB on the reference
 * machine), which is too slow for the request path. This scanner walks the text once, checks
 * that it is one JSON text that jansson's json_loadb(p, n, 0, &e) would accept, and reports
 * where the values the caller asked for are, without allocating.
 *
 * Accepted, exactly as jansson 2.14 with flags 0: RFC 8259 with a top-level object or array
 * only, optional surrounding whitespace, nesting depth at most 2048, well-formed UTF-8
 * (no overlong forms, no surrogates, nothing above U+10FFFF), escapes including surrogate
 * pairs but never an unpaired surrogate nor \u0000, integers that fit int64 and reals that
 * do not overflow a double. Duplicate object keys are accepted and the LAST one wins (jansson
 * keeps the last value too); tests/unit/test_json_scan_diff.c checks the agreement. */
#ifndef HK_JSON_SCAN_H
#define HK_JSON_SCAN_H

#include <stddef.h>
#include <stdint.h>

#define HK_JSON_MAX_DEPTH 2048

enum hk_json_kind {
    HK_JSON_ABSENT = 0,
    HK_JSON_OBJECT,
    HK_JSON_ARRAY,
    HK_JSON_STRING,
    HK_JSON_INTEGER,
    HK_JSON_REAL,
    HK_JSON_TRUE,
    HK_JSON_FALSE,
    HK_JSON_NULL
};

/* One value the caller wants, named by an RFC 6901 JSON pointer ("/id", "/data/object/id",
 * "/items/0", "~1" and "~0" escapes; "" is the whole document). */
struct hk_json_want {
    const char *pointer;    /* in; borrowed for the call */
    enum hk_json_kind kind; /* out; HK_JSON_ABSENT when the document has no such value */
    size_t off;             /* out; offset of the value's first byte (a string's opening quote) */
    size_t len;             /* out; length of the value's text (a string with its quotes) */
};

struct hk_json_error {
    size_t off;         /* offset of the first byte that made the text invalid */
    const char *reason; /* static text, e.g. "invalid UTF-8", never contains input bytes */
};

/* Validates p[0..n) and fills every want (want may be NULL when nwant is 0). Returns 0, or
 * HK_EPARSE with *err set (err may be NULL) and the wants unspecified. Allocation-free and
 * recursion-free; safe on any thread. */
int hk_json_scan(const uint8_t *p, size_t n, struct hk_json_want *want, size_t nwant,
                 struct hk_json_error *err);

/* Decodes the string value at p[0..n) (with its quotes, as a want reports it) into out as
 * UTF-8 and NUL-terminates it. Returns 0 with *out_len set, HK_ERANGE if it needs more than
 * cap bytes (with the NUL), or HK_EPARSE if p is not a valid JSON string. */
int hk_json_string(const uint8_t *p, size_t n, char *out, size_t cap, size_t *out_len);

/* Parses the integer at p[0..n) (a value of kind HK_JSON_INTEGER). 0 or HK_ERANGE/HK_EPARSE. */
int hk_json_integer(const uint8_t *p, size_t n, int64_t *out);

/* 1-based line and byte column of offset off in text[0..n), for messages. */
void hk_json_position(const char *text, size_t n, size_t off, int *line, int *col);

#endif
