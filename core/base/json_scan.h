/* json_scan.h -- a validating, allocation-free JSON scanner for the request path.
 *
 * jansson builds a tree (13 us for a 1 KiB event, 279 us for 16 KiB on the reference
 * machine), which is too slow for the request path. This scanner walks the text once, checks
 * that it is one JSON text that jansson's json_loadb(p, n, 0, &e) would accept, and reports
 * where the values the caller asked for are, without allocating (about 1 us per KiB).
 *
 * Accepted, exactly as jansson 2.14 with flags 0: RFC 8259 with a top-level object or array
 * only, optional surrounding whitespace (space, tab, LF, CR; no BOM), well-formed UTF-8
 * (no overlong forms, no surrogates, nothing above U+10FFFF), escapes including surrogate
 * pairs but never an unpaired surrogate nor \u0000 (in keys neither), integers that fit
 * int64 and reals that do not overflow a double (underflow to 0 is fine). Duplicate object
 * keys are accepted and the LAST one wins, as in jansson's tree: a later duplicate replaces
 * the whole earlier value, so "/a/b" is absent from {"a":{"b":1},"a":{}}.
 * tests/unit/test_json_scan_diff.c and tests/fuzz/fuzz_json_scan.c check the agreement.
 *
 * Where jansson surprises, and this scanner follows it:
 *  - Depth counts values, not containers: a value inside 2048 open containers is refused,
 *    so 2048 nested arrays are accepted only when the innermost one is empty.
 *  - A single NUL byte right after a number or true/false/null is skipped ("[1\0]" is
 *    accepted; "[1\0\0]", "[1 \0]" and '["a"\0]' are not): jansson's one-byte lookahead
 *    treats NUL as "nothing buffered" when it un-reads it.
 *  - A real is refused only when strtod overflows, i.e. from 2^1024 - 2^970 on (the exact
 *    tie rounds to infinity); "1e-400" is accepted as 0. */
#ifndef HK_JSON_SCAN_H
#define HK_JSON_SCAN_H

#include <stddef.h>
#include <stdint.h>

/* Deepest accepted nesting, counted as jansson does: every value is a level, scalars too. */
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
 * "/items/0", "~1" and "~0" escapes; "" is the whole document). Tokens are compared with the
 * DECODED object key, so "/id" finds the key written "\u0069d", and "/a~1b" the key "a\/b".
 * An array index is "0" or digits without a leading zero ("-" names no element). A malformed
 * pointer (neither "" nor starting with '/', or '~' not followed by 0 or 1) matches nothing. */
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
 * HK_EPARSE with *err set (err may be NULL) and the wants unspecified. p NULL counts as empty
 * input. Allocation-free and recursion-free (about 2 KiB of stack); safe on any thread. Up to
 * 16 wants cost one pass over the text; each further 16 cost one more. */
int hk_json_scan(const uint8_t *p, size_t n, struct hk_json_want *want, size_t nwant,
                 struct hk_json_error *err);

/* Decodes the string value at p[0..n) (with its quotes, as a want reports it) into out as
 * UTF-8 and NUL-terminates it. Returns 0 with *out_len set (out_len may be NULL), HK_ERANGE
 * if it needs more than cap bytes (with the NUL), or HK_EPARSE if p is not a valid JSON
 * string by the rules above (so the result never holds a NUL byte before its end). */
int hk_json_string(const uint8_t *p, size_t n, char *out, size_t cap, size_t *out_len);

/* Parses the integer at p[0..n) (a value of kind HK_JSON_INTEGER). 0, HK_ERANGE when it does
 * not fit int64, or HK_EPARSE when p[0..n) is not exactly one JSON integer (no '.', no
 * exponent, no surrounding bytes). */
int hk_json_integer(const uint8_t *p, size_t n, int64_t *out);

/* 1-based line and byte column of offset off in text[0..n) (off beyond n counts as n), for
 * messages; lines end at LF. */
void hk_json_position(const char *text, size_t n, size_t off, int *line, int *col);

#endif
