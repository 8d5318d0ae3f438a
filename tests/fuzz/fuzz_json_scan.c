/* fuzz_json_scan.c -- libFuzzer target for core/base/json_scan.c.
 *
 * hk_json_scan must accept exactly what jansson's json_loadb(p, n, 0, &e) accepts; on an
 * accepted input, every pointer must find what it names in jansson's tree (same kind, and a
 * span that parses back to an equal value), every string found must decode to jansson's
 * string, and every integer found to jansson's integer. Any disagreement aborts. */
#include "base/json_scan.h"

#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Longest token in the pointers below, unescaped. */
#define TOKEN_MAX 64

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Pointers into the Flagright events of the seed corpus, plus array, escape and odd ones. */
static const char *const pointers[] = {
    "",
    "/id",
    "/type",
    "/createdTimestamp",
    "/data",
    "/data/reasons/0",
    "/data/caseObject/alerts/0/ruleId",
    "/0",
    "/0/0",
    "/1",
    "/a~1b",
    "/~0",
    "/",
    "//",
    "/\xc3\xa9",
    "/data/status",
    "/-",
    "/01",
};
#define NPOINTERS (sizeof pointers / sizeof pointers[0])

static _Noreturn void disagree(const char *what, const char *pointer)
{
    fprintf(stderr, "fuzz_json_scan: %s (pointer \"%s\")\n", what, pointer ? pointer : "");
    abort();
}

static json_t *array_at(json_t *array, const char *tok, size_t len)
{
    size_t index = 0;
    if (len == 0 || (tok[0] == '0' && len > 1))
        return NULL;
    for (size_t i = 0; i < len; i++) {
        if (tok[i] < '0' || tok[i] > '9')
            return NULL;
        index = index * 10 + (size_t)(tok[i] - '0');
    }
    return json_array_get(array, index);
}

/* jansson's value at an RFC 6901 pointer: the reference the scanner is held to. */
static json_t *resolve(json_t *v, const char *ptr)
{
    while (*ptr && v) {
        char tok[TOKEN_MAX];
        size_t len = 0;
        for (ptr++; *ptr && *ptr != '/'; ptr++) {
            char c = *ptr;
            if (c == '~')
                c = *++ptr == '1' ? '/' : '~';
            tok[len++] = c;
        }
        if (json_is_object(v))
            v = json_object_getn(v, tok, len);
        else
            v = json_is_array(v) ? array_at(v, tok, len) : NULL;
    }
    return v;
}

static enum hk_json_kind kind_of(const json_t *v)
{
    static const enum hk_json_kind kinds[] = {
        [JSON_OBJECT] = HK_JSON_OBJECT, [JSON_ARRAY] = HK_JSON_ARRAY,
        [JSON_STRING] = HK_JSON_STRING, [JSON_INTEGER] = HK_JSON_INTEGER,
        [JSON_REAL] = HK_JSON_REAL,     [JSON_TRUE] = HK_JSON_TRUE,
        [JSON_FALSE] = HK_JSON_FALSE,   [JSON_NULL] = HK_JSON_NULL,
    };
    return v ? kinds[json_typeof(v)] : HK_JSON_ABSENT;
}

static void check_string(const uint8_t *p, size_t n, const json_t *expect, const char *ptr)
{
    char *out = malloc(n);
    size_t len;
    if (!out || hk_json_string(p, n, out, n, &len) != 0)
        disagree("a string found does not decode", ptr);
    if (len != json_string_length(expect) || memcmp(out, json_string_value(expect), len) != 0)
        disagree("a string decodes differently from jansson", ptr);
    free(out);
}

static void check_want(const uint8_t *data, size_t size, const struct hk_json_want *w, json_t *root)
{
    json_t *expect = resolve(root, w->pointer);
    if (w->kind != kind_of(expect))
        disagree("kind differs from jansson's tree", w->pointer);
    if (!expect)
        return;
    if (w->off > size || w->len > size - w->off)
        disagree("span outside the input", w->pointer);
    const uint8_t *p = data + w->off;
    json_t *again = json_loadb((const char *)p, w->len, JSON_DECODE_ANY, NULL);
    if (!again || !json_equal(again, expect))
        disagree("span does not parse back to jansson's value", w->pointer);
    json_decref(again);
    int64_t v;
    if (w->kind == HK_JSON_STRING)
        check_string(p, w->len, expect, w->pointer);
    if (w->kind == HK_JSON_INTEGER &&
        (hk_json_integer(p, w->len, &v) != 0 || v != json_integer_value(expect)))
        disagree("integer differs from jansson's", w->pointer);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct hk_json_want want[NPOINTERS];
    for (size_t k = 0; k < NPOINTERS; k++)
        want[k] = (struct hk_json_want){pointers[k]};
    struct hk_json_error err;
    int rc = hk_json_scan(data, size, want, NPOINTERS, &err);
    json_t *root = json_loadb((const char *)data, size, 0, NULL);
    if ((rc == 0) != (root != NULL))
        disagree(root ? "scan rejects what jansson accepts" : "scan accepts what jansson rejects",
                 NULL);
    if (rc != 0 && (err.off > size || !err.reason))
        disagree("error outside the input or without a reason", NULL);
    for (size_t k = 0; root && k < NPOINTERS; k++)
        check_want(data, size, &want[k], root);
    json_decref(root);
    return 0;
}
