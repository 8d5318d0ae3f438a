/* test_json_scan.c -- unit tests of core/base/json_scan.c: the events of tests/data, JSON pointer
 * semantics, the decoding helpers and the jansson quirks the scanner copies.
 *
 * Decisions pinned here (see core/base/json_scan.h):
 *  - pointer tokens are compared with the DECODED key: "/id" finds "\u0069d";
 *  - the LAST duplicate key wins, and it replaces the whole earlier value, so a pointer
 *    through an earlier duplicate finds nothing, exactly as in jansson's tree;
 *  - jansson counts scalars as a nesting level, and skips one NUL byte after a number or
 *    literal; both surprised us and are tested where they show in spans and depths. */
#include "base/json_scan.h"

#include "base/err.h"
#include "testutil.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

/* Scans a NUL-terminated document (n given, as it may hold NUL bytes) and asserts success. */
static void scan_ok(const char *doc, size_t n, struct hk_json_want *want, size_t nwant)
{
    struct hk_json_error err = {0};
    int rc = hk_json_scan((const uint8_t *)doc, n, want, nwant, &err);
    if (rc != 0)
        fail_msg("rejected at %zu (%s): %s", err.off, err.reason, doc);
}

static void scan_str_ok(const char *doc, struct hk_json_want *want, size_t nwant)
{
    scan_ok(doc, strlen(doc), want, nwant);
}

/* Asserts that a want was found with this kind and exactly this text. */
static void assert_found(const char *doc, const struct hk_json_want *w, enum hk_json_kind kind,
                         const char *text)
{
    if (w->kind != kind)
        fail_msg("%s: kind %d, expected %d", w->pointer, (int)w->kind, (int)kind);
    if (w->len != strlen(text) || memcmp(doc + w->off, text, w->len) != 0)
        fail_msg("%s: found '%.*s', expected '%s'", w->pointer, (int)w->len, doc + w->off, text);
}

static void assert_absent(const struct hk_json_want *w)
{
    if (w->kind != HK_JSON_ABSENT)
        fail_msg("%s: found kind %d, expected absent", w->pointer, (int)w->kind);
}

static json_t *jansson_load(const char *p, size_t n)
{
    json_error_t jerr;
    json_t *j = json_loadb(p, n, 0, &jerr);
    if (!j)
        fail_msg("jansson rejects the text: %s", jerr.text);
    return j;
}

/* The value at a want's span is what jansson holds at that key. */
static void assert_span_equals(const char *doc, const struct hk_json_want *w, json_t *expect)
{
    json_error_t jerr;
    json_t *wrapped = json_loadb(doc + w->off, w->len, JSON_DECODE_ANY, &jerr);
    assert_non_null(wrapped);
    assert_true(json_equal(wrapped, expect));
    json_decref(wrapped);
}

static void check_event(const char *line, size_t n)
{
    struct hk_json_want w[] = {{"/id"}, {"/type"}, {"/createdTimestamp"}, {"/data"}};
    scan_ok(line, n, w, ARRAY_LEN(w));
    json_t *root = jansson_load(line, n);

    assert_int_equal(w[0].kind, HK_JSON_STRING);
    assert_int_equal(w[1].kind, HK_JSON_STRING);
    assert_int_equal(w[2].kind, HK_JSON_INTEGER);
    assert_int_equal(w[3].kind, HK_JSON_OBJECT);
    for (size_t k = 0; k < 2; k++) {
        char buf[256];
        size_t len;
        const uint8_t *at = (const uint8_t *)line + w[k].off;
        assert_int_equal(hk_json_string(at, w[k].len, buf, sizeof buf, &len), 0);
        assert_string_equal(buf, json_string_value(json_object_get(root, w[k].pointer + 1)));
    }
    int64_t ts;
    assert_int_equal(hk_json_integer((const uint8_t *)line + w[2].off, w[2].len, &ts), 0);
    assert_int_equal(ts, json_integer_value(json_object_get(root, "createdTimestamp")));
    assert_int_equal(line[w[3].off], '{');
    assert_int_equal(line[w[3].off + w[3].len - 1], '}');
    assert_span_equals(line, &w[3], json_object_get(root, "data"));
    json_decref(root);
}

static void test_events_accepted(void **state)
{
    (void)state;
    size_t n;
    char *text = tu_read_file(tu_data("flagright-events.jsonl"), &n);
    int events = 0;
    for (char *line = text, *nl; line < text + n; line = nl + 1) {
        nl = memchr(line, '\n', (size_t)(text + n - line));
        if (!nl)
            nl = text + n;
        check_event(line, (size_t)(nl - line));
        events++;
    }
    assert_true(events >= 20);
    free(text);
}

static void test_pointer_nested(void **state)
{
    (void)state;
    const char *doc = " {\"a\":{\"b\":[10,{\"c\":\"x\"},[1,2,[3]]]},\"\":{\"\":5},"
                      "\"m~n\":{\"x/y\":true},\"0\":null} ";
    struct hk_json_want w[] = {
        {"/a/b/0"}, {"/a/b/1/c"},   {"/a/b/2/2/0"}, {"/a/b/3"}, {"/a/b/01"},
        {"/a/b/-"}, {""},           {"/"},          {"//"},     {"/m~0n/x~1y"},
        {"/a/x"},   {"/a/b/1/c/d"}, {"/0"},         {"/a/b"},   {"/a/b/2"},
    };
    scan_str_ok(doc, w, ARRAY_LEN(w));
    assert_found(doc, &w[0], HK_JSON_INTEGER, "10");
    assert_found(doc, &w[1], HK_JSON_STRING, "\"x\"");
    assert_found(doc, &w[2], HK_JSON_INTEGER, "3");
    assert_absent(&w[3]);
    assert_absent(&w[4]);                        /* no leading zeros in an index */
    assert_absent(&w[5]);                        /* "-" is past the end */
    assert_int_equal(w[6].kind, HK_JSON_OBJECT); /* the document, without its blanks */
    assert_int_equal(w[6].off, 1);
    assert_int_equal(w[6].len, strlen(doc) - 2);
    assert_found(doc, &w[7], HK_JSON_OBJECT, "{\"\":5}");
    assert_found(doc, &w[8], HK_JSON_INTEGER, "5");
    assert_found(doc, &w[9], HK_JSON_TRUE, "true");
    assert_absent(&w[10]);
    assert_absent(&w[11]); /* a string has no members */
    assert_found(doc, &w[12], HK_JSON_NULL, "null");
    assert_found(doc, &w[13], HK_JSON_ARRAY, "[10,{\"c\":\"x\"},[1,2,[3]]]");
    assert_found(doc, &w[14], HK_JSON_ARRAY, "[1,2,[3]]");
}

static void test_pointer_top_array(void **state)
{
    (void)state;
    const char *doc = "[1, [2, 3.5e1], \"s\", false, {\"k\": -0}]";
    struct hk_json_want w[] = {{"/0"}, {"/1/1"}, {"/2"}, {"/3"}, {"/4/k"}, {"/5"}, {"/x"}};
    scan_str_ok(doc, w, ARRAY_LEN(w));
    assert_found(doc, &w[0], HK_JSON_INTEGER, "1");
    assert_found(doc, &w[1], HK_JSON_REAL, "3.5e1");
    assert_found(doc, &w[2], HK_JSON_STRING, "\"s\"");
    assert_found(doc, &w[3], HK_JSON_FALSE, "false");
    assert_found(doc, &w[4], HK_JSON_INTEGER, "-0");
    assert_absent(&w[5]);
    assert_absent(&w[6]);
}

/* After a want stepped into an element, later elements of that array must not match it,
 * whatever the inner array counted. */
static void test_pointer_index_after_descent(void **state)
{
    (void)state;
    const char *doc = "[0,1,[7,8],3,{\"a\":[4,5,6]},[9]]";
    struct hk_json_want w[] = {{"/2/0"}, {"/4/a/2"}, {"/5/0"}, {"/2/1"}, {"/4/a/3"}};
    scan_str_ok(doc, w, ARRAY_LEN(w));
    assert_found(doc, &w[0], HK_JSON_INTEGER, "7");
    assert_found(doc, &w[1], HK_JSON_INTEGER, "6");
    assert_found(doc, &w[2], HK_JSON_INTEGER, "9");
    assert_found(doc, &w[3], HK_JSON_INTEGER, "8");
    assert_absent(&w[4]);
}

static void test_pointer_decoded_keys(void **state)
{
    (void)state;
    const char *doc = "{\"a\\/b\":1,\"\\u0069d\":\"yes\",\"caf\\u00e9\":2,\"\\ud83d\\ude00\":3,"
                      "\"t~\":4,\"q\\\"\\\\\":5,\"tab\\t\":6,\"x\":{\"\\u002f\":7}}";
    struct hk_json_want w[] = {{"/a~1b"},  {"/id"},    {"/caf\xc3\xa9"}, {"/\xf0\x9f\x98\x80"},
                               {"/t~0"},   {"/q\"\\"}, {"/tab\t"},       {"/x/~1"},
                               {"/a\\/b"}, {"/i"},     {"/idx"}};
    scan_str_ok(doc, w, ARRAY_LEN(w));
    assert_found(doc, &w[0], HK_JSON_INTEGER, "1");
    assert_found(doc, &w[1], HK_JSON_STRING, "\"yes\"");
    assert_found(doc, &w[2], HK_JSON_INTEGER, "2");
    assert_found(doc, &w[3], HK_JSON_INTEGER, "3");
    assert_found(doc, &w[4], HK_JSON_INTEGER, "4");
    assert_found(doc, &w[5], HK_JSON_INTEGER, "5");
    assert_found(doc, &w[6], HK_JSON_INTEGER, "6");
    assert_found(doc, &w[7], HK_JSON_INTEGER, "7");
    assert_absent(&w[8]); /* the raw escape is not the key */
    assert_absent(&w[9]); /* prefixes do not match */
    assert_absent(&w[10]);
}

static void test_pointer_malformed(void **state)
{
    (void)state;
    const char *doc = "{\"a\":1,\"~2\":2}";
    struct hk_json_want w[] = {{"a"}, {"/~2"}, {"/a~"}, {NULL}};
    scan_str_ok(doc, w, ARRAY_LEN(w));
    for (size_t k = 0; k < ARRAY_LEN(w); k++)
        assert_absent(&w[k]);
}

/* Each document has a pointer and what jansson's tree holds there (NULL: nothing). */
static void test_duplicate_keys_last_wins(void **state)
{
    (void)state;
    static const struct {
        const char *doc, *pointer, *text;
    } cases[] = {
        {"{\"id\":1,\"id\":\"two\"}", "/id", "\"two\""},
        {"{\"a\":{\"b\":1},\"a\":{\"c\":2}}", "/a/b", NULL},
        {"{\"a\":{\"b\":1},\"a\":{\"c\":2}}", "/a/c", "2"},
        {"{\"a\":{\"b\":1},\"a\":{\"c\":2}}", "/a", "{\"c\":2}"},
        {"{\"a\":{\"b\":1},\"a\":5}", "/a/b", NULL},
        {"{\"a\":[1,2],\"a\":[3]}", "/a/1", NULL},
        {"{\"a\":[1,2],\"a\":[3]}", "/a/0", "3"},
        {"{\"a\":{\"b\":{\"c\":1}},\"x\":0,\"a\":{\"b\":{\"c\":2}}}", "/a/b/c", "2"},
        {"{\"a\":{\"b\":1,\"b\":2},\"z\":0}", "/a/b", "2"},
        {"[{\"k\":1,\"k\":[0,9]},{\"k\":3}]", "/0/k/1", "9"},
        {"{\"\\u0061\":1,\"a\":2}", "/a", "2"},
    };
    for (size_t c = 0; c < ARRAY_LEN(cases); c++) {
        struct hk_json_want w = {cases[c].pointer};
        scan_str_ok(cases[c].doc, &w, 1);
        json_t *root = jansson_load(cases[c].doc, strlen(cases[c].doc));
        json_t *expect = root;
        char path[64];
        snprintf(path, sizeof path, "%s", cases[c].pointer);
        for (char *tok = strtok(path, "/"); tok && expect; tok = strtok(NULL, "/")) {
            expect = json_is_array(expect) ? json_array_get(expect, (size_t)atoi(tok))
                                           : json_object_get(expect, tok);
        }
        if (!cases[c].text) {
            assert_null(expect);
            assert_absent(&w);
        } else {
            assert_non_null(expect);
            assert_int_equal(w.len, strlen(cases[c].text));
            assert_memory_equal(cases[c].doc + w.off, cases[c].text, w.len);
            assert_span_equals(cases[c].doc, &w, expect);
        }
        json_decref(root);
    }
}

/* More wants than one pass tracks, and the same pointer twice. */
static void test_many_wants(void **state)
{
    (void)state;
    enum { N = 40 };
    char doc[N * 8], pointers[N + 1][8];
    struct hk_json_want w[N + 1];
    size_t len = 0;
    doc[len++] = '[';
    for (int k = 0; k < N; k++) {
        len += (size_t)snprintf(doc + len, sizeof doc - len, "%s%d", k ? "," : "", k * 3);
        snprintf(pointers[k], sizeof pointers[k], "/%d", N - 1 - k);
        w[k] = (struct hk_json_want){pointers[k]};
    }
    doc[len++] = ']';
    doc[len] = 0;
    w[N] = (struct hk_json_want){"/7"};
    scan_str_ok(doc, w, N + 1);
    for (int k = 0; k < N; k++) {
        int64_t v;
        assert_int_equal(w[k].kind, HK_JSON_INTEGER);
        assert_int_equal(hk_json_integer((const uint8_t *)doc + w[k].off, w[k].len, &v), 0);
        assert_int_equal(v, (N - 1 - k) * 3);
    }
    assert_found(doc, &w[N], HK_JSON_INTEGER, "21");
}

/* n nested arrays; inner is what the innermost holds (may be empty). */
static char *nested(size_t n, const char *inner, size_t *len)
{
    size_t il = strlen(inner);
    char *doc = malloc(2 * n + il + 1);
    assert_non_null(doc);
    memset(doc, '[', n);
    memcpy(doc + n, inner, il);
    memset(doc + n + il, ']', n);
    *len = 2 * n + il;
    doc[*len] = 0;
    return doc;
}

/* jansson counts the scalar as a level: 2047 arrays may hold a scalar, 2048 only nothing. */
static void test_depth_limit(void **state)
{
    (void)state;
    char *pointer = malloc(2 * HK_JSON_MAX_DEPTH + 1);
    assert_non_null(pointer);
    for (size_t k = 0; k < HK_JSON_MAX_DEPTH - 1; k++)
        memcpy(pointer + 2 * k, "/0", 2);
    pointer[2 * (HK_JSON_MAX_DEPTH - 1)] = 0;
    size_t n;
    struct hk_json_error err;

    char *doc = nested(HK_JSON_MAX_DEPTH, "", &n);
    struct hk_json_want w = {pointer};
    scan_ok(doc, n, &w, 1);
    assert_found(doc, &w, HK_JSON_ARRAY, "[]");
    free(doc);

    doc = nested(HK_JSON_MAX_DEPTH - 1, "7", &n);
    scan_ok(doc, n, &w, 1);
    assert_found(doc, &w, HK_JSON_INTEGER, "7");
    free(doc);

    doc = nested(HK_JSON_MAX_DEPTH, "7", &n);
    assert_int_equal(hk_json_scan((const uint8_t *)doc, n, NULL, 0, &err), HK_EPARSE);
    assert_int_equal(err.off, HK_JSON_MAX_DEPTH);
    free(doc);

    doc = nested(HK_JSON_MAX_DEPTH + 1, "", &n);
    assert_int_equal(hk_json_scan((const uint8_t *)doc, n, NULL, 0, &err), HK_EPARSE);
    assert_int_equal(err.off, HK_JSON_MAX_DEPTH);
    free(doc);
    free(pointer);
}

/* jansson skips one NUL right after a number or literal; the span leaves it out. */
static void test_nul_after_scalar(void **state)
{
    (void)state;
    static const char doc[] = "{\"a\":12\0,\"b\":true\0}";
    struct hk_json_want w[] = {{"/a"}, {"/b"}};
    scan_ok(doc, sizeof doc - 1, w, 2);
    assert_found(doc, &w[0], HK_JSON_INTEGER, "12");
    assert_found(doc, &w[1], HK_JSON_TRUE, "true");
    static const char *bad[] = {"[1\0\0]", "[1 \0]", "[\"a\"\0]", "[1]\0"};
    static const size_t bad_len[] = {6, 5, 6, 4};
    for (size_t k = 0; k < ARRAY_LEN(bad); k++)
        assert_int_equal(hk_json_scan((const uint8_t *)bad[k], bad_len[k], NULL, 0, NULL),
                         HK_EPARSE);
}

static void test_errors_report_offset(void **state)
{
    (void)state;
    static const struct {
        const char *doc;
        size_t off;
    } cases[] = {
        {"", 0},          {"  ", 2},    {"1", 0},          {"[1,]", 3},
        {"{\"a\" 1}", 5}, {"{1:2}", 1}, {"[]x", 2},        {"[\"a\x01\"]", 3},
        {"[\"\\x\"]", 2}, {"[01]", 1},  {"[1e400]", 1},    {"[\"\xc0\x80\"]", 2},
        {"[tru]", 1},     {"[1 2]", 3}, {"{\"a\":1}}", 7}, {"[\"\\ud800\"]", 2},
    };
    for (size_t c = 0; c < ARRAY_LEN(cases); c++) {
        struct hk_json_error err = {0};
        const char *doc = cases[c].doc;
        assert_int_equal(hk_json_scan((const uint8_t *)doc, strlen(doc), NULL, 0, &err), HK_EPARSE);
        if (err.off != cases[c].off)
            fail_msg("'%s': error at %zu, expected %zu", doc, err.off, cases[c].off);
        assert_non_null(err.reason);
    }
    assert_int_equal(hk_json_scan((const uint8_t *)"[", 1, NULL, 0, NULL), HK_EPARSE);
    assert_int_equal(hk_json_scan(NULL, 0, NULL, 0, NULL), HK_EPARSE);
}

static void test_numbers_kinds_and_limits(void **state)
{
    (void)state;
    const char *doc = "[0,-0,0.5E-3,1e2,9223372036854775807,-9223372036854775808,1e-400,"
                      "1.7976931348623157e308]";
    struct hk_json_want w[] = {{"/0"}, {"/1"}, {"/2"}, {"/3"}, {"/4"}, {"/5"}, {"/6"}, {"/7"}};
    scan_str_ok(doc, w, ARRAY_LEN(w));
    static const enum hk_json_kind kinds[] = {HK_JSON_INTEGER, HK_JSON_INTEGER, HK_JSON_REAL,
                                              HK_JSON_REAL,    HK_JSON_INTEGER, HK_JSON_INTEGER,
                                              HK_JSON_REAL,    HK_JSON_REAL};
    for (size_t k = 0; k < ARRAY_LEN(w); k++)
        assert_int_equal(w[k].kind, kinds[k]);
    static const char *refused[] = {"[9223372036854775808]",
                                    "[-9223372036854775809]",
                                    "[1e309]",
                                    "[-1.8e308]",
                                    "[1.]",
                                    "[.5]",
                                    "[-]",
                                    "[1e]"};
    for (size_t k = 0; k < ARRAY_LEN(refused); k++)
        assert_int_equal(
            hk_json_scan((const uint8_t *)refused[k], strlen(refused[k]), NULL, 0, NULL),
            HK_EPARSE);
}

static void check_decoded(const char *json, const char *want, size_t want_len)
{
    char out[64];
    size_t len = 99;
    int rc = hk_json_string((const uint8_t *)json, strlen(json), out, sizeof out, &len);
    if (rc != 0)
        fail_msg("%s: %s", json, hk_strerror(rc));
    assert_int_equal(len, want_len);
    assert_memory_equal(out, want, want_len + 1);
}

static void check_decode_fails(const char *json, size_t n, int rc)
{
    char out[64];
    assert_int_equal(hk_json_string((const uint8_t *)json, n, out, sizeof out, NULL), rc);
}

static void test_string_decode(void **state)
{
    (void)state;
    check_decoded("\"plain\"", "plain", 5);
    check_decoded("\"\"", "", 0);
    check_decoded("\"\\\"\\\\\\/\\b\\f\\n\\r\\t\"", "\"\\/\b\f\n\r\t", 8);
    check_decoded("\"\\u0041\\u00e9\\u20AC\"", "A\xc3\xa9\xe2\x82\xac", 6);
    check_decoded("\"x\\ud83d\\ude00y\"", "x\xf0\x9f\x98\x80y", 6);
    check_decoded("\"\\uDBFF\\uDFFF\"", "\xf4\x8f\xbf\xbf", 4);
    check_decoded("\"caf\xc3\xa9 \xe2\x82\xac\"", "caf\xc3\xa9 \xe2\x82\xac", 9);
    check_decoded("\"\\u007f\\u0080\\u07ff\\u0800\\uffff\"",
                  "\x7f\xc2\x80\xdf\xbf\xe0\xa0\x80\xef\xbf\xbf", 11);

    check_decode_fails("\"\\ud800\"", 8, HK_EPARSE);         /* lone high surrogate */
    check_decode_fails("\"\\udc00\"", 8, HK_EPARSE);         /* lone low surrogate */
    check_decode_fails("\"\\ud800\\u0041\"", 14, HK_EPARSE); /* high, then no low */
    check_decode_fails("\"\\u0000\"", 8, HK_EPARSE);         /* jansson refuses NUL */
    check_decode_fails("\"\\u12\"", 6, HK_EPARSE);
    check_decode_fails("\"\\q\"", 4, HK_EPARSE);
    check_decode_fails("\"\xed\xa0\x80\"", 5, HK_EPARSE);     /* surrogate in UTF-8 */
    check_decode_fails("\"\xc1\xbf\"", 4, HK_EPARSE);         /* overlong */
    check_decode_fails("\"\xf4\x90\x80\x80\"", 6, HK_EPARSE); /* above U+10FFFF */
    check_decode_fails("\"\xe2\x82\"", 4, HK_EPARSE);         /* truncated */
    check_decode_fails("\"a\tb\"", 5, HK_EPARSE);             /* raw control */
    check_decode_fails("\"a\"b", 4, HK_EPARSE);
    check_decode_fails("\"a", 2, HK_EPARSE);
    check_decode_fails("a\"", 2, HK_EPARSE);
    check_decode_fails("\"", 1, HK_EPARSE);
    check_decode_fails("\"a\\\"", 4, HK_EPARSE);
}

static void test_string_capacity(void **state)
{
    (void)state;
    const uint8_t *json = (const uint8_t *)"\"ab\\u00e9\"";
    size_t n = strlen((const char *)json), len;
    char out[8];
    assert_int_equal(hk_json_string(json, n, out, 4, &len), HK_ERANGE);
    assert_int_equal(hk_json_string(json, n, out, 5, &len), 0);
    assert_int_equal(len, 4);
    assert_string_equal(out, "ab\xc3\xa9");
    assert_int_equal(hk_json_string((const uint8_t *)"\"\"", 2, NULL, 0, &len), HK_ERANGE);
    assert_int_equal(hk_json_string((const uint8_t *)"\"\"", 2, out, 1, &len), 0);
    assert_int_equal(hk_json_string((const uint8_t *)"\"abc\"", 5, out, 3, &len), HK_ERANGE);
    assert_int_equal(hk_json_string((const uint8_t *)"\"abc\"", 5, out, 4, &len), 0);
}

static void check_integer(const char *text, int rc, int64_t value)
{
    int64_t v = 12345;
    int got = hk_json_integer((const uint8_t *)text, strlen(text), &v);
    if (got != rc)
        fail_msg("'%s': %d, expected %d", text, got, rc);
    if (rc == 0)
        assert_int_equal(v, value);
}

static void test_integer_limits(void **state)
{
    (void)state;
    check_integer("0", 0, 0);
    check_integer("-0", 0, 0);
    check_integer("42", 0, 42);
    check_integer("-17", 0, -17);
    check_integer("9223372036854775807", 0, INT64_MAX);
    check_integer("-9223372036854775808", 0, INT64_MIN);
    check_integer("1000000000000000000", 0, 1000000000000000000);
    check_integer("9223372036854775808", HK_ERANGE, 0);
    check_integer("-9223372036854775809", HK_ERANGE, 0);
    check_integer("18446744073709551616", HK_ERANGE, 0);
    check_integer("99999999999999999999999", HK_ERANGE, 0);
    static const char *bad[] = {"", "-", "+1", " 1", "1 ", "01", "-01", "1.0", "1e3", "0x10", "a"};
    for (size_t k = 0; k < ARRAY_LEN(bad); k++)
        check_integer(bad[k], HK_EPARSE, 0);
}

static void test_position(void **state)
{
    (void)state;
    const char *text = "ab\ncd\n\nx";
    size_t n = strlen(text);
    static const struct {
        size_t off;
        int line, col;
    } cases[] = {{0, 1, 1}, {1, 1, 2}, {2, 1, 3}, {3, 2, 1},  {5, 2, 3},
                 {6, 3, 1}, {7, 4, 1}, {8, 4, 2}, {100, 4, 2}};
    for (size_t c = 0; c < ARRAY_LEN(cases); c++) {
        int line = 0, col = 0;
        hk_json_position(text, n, cases[c].off, &line, &col);
        assert_int_equal(line, cases[c].line);
        assert_int_equal(col, cases[c].col);
    }
    int line = 0, col = 0;
    hk_json_position("", 0, 0, &line, &col);
    assert_int_equal(line, 1);
    assert_int_equal(col, 1);
}

/* An error offset turned into a position points at the offending byte. */
static void test_position_of_error(void **state)
{
    (void)state;
    const char *doc = "{\n  \"a\": 1,\n  \"b\": tru\n}";
    struct hk_json_error err;
    assert_int_equal(hk_json_scan((const uint8_t *)doc, strlen(doc), NULL, 0, &err), HK_EPARSE);
    int line, col;
    hk_json_position(doc, strlen(doc), err.off, &line, &col);
    assert_int_equal(line, 3);
    assert_int_equal(col, 8);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_events_accepted),
        cmocka_unit_test(test_pointer_nested),
        cmocka_unit_test(test_pointer_top_array),
        cmocka_unit_test(test_pointer_index_after_descent),
        cmocka_unit_test(test_pointer_decoded_keys),
        cmocka_unit_test(test_pointer_malformed),
        cmocka_unit_test(test_duplicate_keys_last_wins),
        cmocka_unit_test(test_many_wants),
        cmocka_unit_test(test_depth_limit),
        cmocka_unit_test(test_nul_after_scalar),
        cmocka_unit_test(test_errors_report_offset),
        cmocka_unit_test(test_numbers_kinds_and_limits),
        cmocka_unit_test(test_string_decode),
        cmocka_unit_test(test_string_capacity),
        cmocka_unit_test(test_integer_limits),
        cmocka_unit_test(test_position),
        cmocka_unit_test(test_position_of_error),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
