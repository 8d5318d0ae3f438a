/* test_json_scan_diff.c -- differential test: hk_json_scan accepts exactly what jansson's
 * json_loadb(p, n, 0, &e) accepts.
 *
 * The corpus is built here: every event of tests/data/flagright-events.jsonl with all its
 * truncations, single-byte replacements, insertions and deletions; grids over UTF-8
 * sequences, escapes, numbers and single bytes in many contexts; nesting around the depth
 * limit; a seeded soup of tokens; and hand-written RFC 8259 edge cases.
 *
 * jansson behaviour that surprised us, all pinned by cases below:
 *  - every value counts as a nesting level, scalars too: 2048 nested arrays are accepted only
 *    when the innermost is empty, and 2047 may hold a scalar;
 *  - one NUL byte right after a number or true/false/null is silently skipped ("[1\0]" is
 *    accepted), because jansson's lookahead buffer takes NUL for "empty" when un-reading;
 *  - \u0000 is refused in values and keys alike (no JSON_ALLOW_NUL);
 *  - a real fails only on overflow to infinity: "1e-400" is accepted, and the exact tie
 *    2^1024 - 2^970 between DBL_MAX and 2^1024 is refused;
 *  - a BOM is not whitespace, and neither is \f or \v. */
#include "base/json_scan.h"

#include "testutil.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))
/* Disagreements printed before the test gives up listing them. */
#define MAX_REPORTS 20
/* Longest input the test builds by concatenation (nesting is built separately). */
#define MAX_DOC 4096
/* Depths around jansson's limit (HK_JSON_MAX_DEPTH), and one far beyond it. */
#define FAR_TOO_DEEP 100000
/* Inputs drawn from the token soup, and the most tokens in one. */
#define SOUP_INPUTS     200000
#define SOUP_MAX_TOKENS 12

struct diff {
    long compared;
    long disagreed;
};

/* One byte string with its length: the cases hold NUL bytes. */
struct bytes {
    const char *p;
    size_t n;
};
#define B(s)                                                                                       \
    {                                                                                              \
        s, sizeof(s) - 1                                                                           \
    }

static void print_input(const uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n && i < 160; i++)
        printf(p[i] >= 0x20 && p[i] < 0x7f ? "%c" : "\\x%02x", p[i]);
    printf(n > 160 ? "... (%zu bytes)\n" : " (%zu bytes)\n", n);
}

static void compare(struct diff *d, const void *text, size_t n)
{
    const uint8_t *p = text;
    json_error_t jerr;
    json_t *j = json_loadb(text, n, 0, &jerr);
    struct hk_json_want whole = {""};
    struct hk_json_error err = {0};
    int rc = hk_json_scan(p, n, &whole, 1, &err);
    d->compared++;
    bool agree = (j != NULL) == (rc == 0);
    if (agree && j)
        agree = whole.kind == (json_is_object(j) ? HK_JSON_OBJECT : HK_JSON_ARRAY);
    if (!agree && d->disagreed++ < MAX_REPORTS) {
        printf("disagree: jansson %s (%s), scan %s (%s at %zu): ", j ? "accepts" : "rejects",
               j ? "" : jerr.text, rc ? "rejects" : "accepts", rc ? err.reason : "", err.off);
        print_input(p, n);
    }
    json_decref(j);
}

static void compare_str(struct diff *d, const char *s)
{
    compare(d, s, strlen(s));
}

/* Bytes the mutations put in: structure, whitespace, NUL, escapes, UTF-8 lead and
 * continuation bytes, number parts. */
static const uint8_t mutation_bytes[] = {0x00, ' ',  '\t', '\f', '"',  '\\', '/',  '{',  '}', '[',
                                         ']',  ',',  ':',  '0',  '1',  '-',  '.',  'e',  'u', 't',
                                         'n',  0x1f, 0x7f, 0x80, 0xbf, 0xc3, 0xe2, 0xf0, 0xff};

static void mutate_event(struct diff *d, const char *ev, size_t n)
{
    uint8_t *b = malloc(n + 1);
    assert_non_null(b);
    for (size_t k = 0; k <= n; k++)
        compare(d, ev, k);
    for (size_t i = 0; i < n; i++) {
        for (size_t r = 0; r < sizeof mutation_bytes; r++) {
            memcpy(b, ev, n);
            b[i] = mutation_bytes[r];
            compare(d, b, n);
            memcpy(b, ev, i);
            b[i] = mutation_bytes[r];
            memcpy(b + i + 1, ev + i, n - i);
            compare(d, b, n + 1);
        }
        memcpy(b, ev, i);
        memcpy(b + i, ev + i + 1, n - i - 1);
        compare(d, b, n - 1);
    }
    free(b);
}

static void corpus_events(struct diff *d)
{
    size_t n;
    char *text = tu_read_file(tu_data("flagright-events.jsonl"), &n);
    for (char *line = text, *nl; line < text + n; line = nl + 1) {
        nl = memchr(line, '\n', (size_t)(text + n - line));
        if (!nl)
            nl = text + n;
        compare(d, line, (size_t)(nl - line));
        mutate_event(d, line, (size_t)(nl - line));
    }
    free(text);
}

static const struct bytes edge_cases[] = {
    /* top level, whitespace, trailing bytes */
    B(""),
    B(" "),
    B("1"),
    B("\"a\""),
    B("null"),
    B("true"),
    B("[]"),
    B("{}"),
    B(" \t\r\n[] \t\r\n"),
    B("[]x"),
    B("[][]"),
    B("[]\f"),
    B("\f[]"),
    B("\v[]"),
    B("\xef\xbb\xbf[]"),
    B("[\"\xef\xbb\xbf\"]"),
    B("[]\0"),
    B("\0[]"),
    B("[\0]"),
    B("{\0}"),
    B("[ ]"),
    B("{ }"),
    B("[,]"),
    B("{,}"),
    B("["),
    B("]"),
    B("{"),
    B("}"),
    B("[}"),
    B("{]"),
    B("[[]"),
    B("[]]"),
    /* arrays and objects */
    B("[1,]"),
    B("[,1]"),
    B("[1,,2]"),
    B("[1 2]"),
    B("{\"a\":1,}"),
    B("{\"a\" 1}"),
    B("{\"a\":}"),
    B("{\"a\"}"),
    B("{1:2}"),
    B("{null:1}"),
    B("{\"a\":1 \"b\":2}"),
    B("{\"a\":1,\"a\":2}"),
    B("{\"\":0}"),
    B("{\"a\":{\"a\":{\"a\":[]}}}"),
    B("[[[[[]]]]]"),
    B("{'a':1}"),
    B("['a']"),
    /* literals */
    B("[true]"),
    B("[false]"),
    B("[null]"),
    B("[True]"),
    B("[tru]"),
    B("[truex]"),
    B("[true1]"),
    B("[nul]"),
    B("[nulll]"),
    B("[falsE]"),
    B("[true false]"),
    B("[NaN]"),
    B("[Infinity]"),
    B("[-Infinity]"),
    B("[undefined]"),
    /* jansson skips one NUL after a number or literal, nowhere else */
    B("[1\0]"),
    B("[1\0\0]"),
    B("[true\0]"),
    B("[false\0]"),
    B("[null\0]"),
    B("[1.5\0]"),
    B("[1e5\0]"),
    B("[1.\0]"),
    B("[-\0]"),
    B("[1e\0]"),
    B("{\"a\":1\0}"),
    B("[\"a\"\0]"),
    B("[1]\0"),
    B("[1\0 ]"),
    B("[1 \0]"),
    B("[null\0,false\0]"),
    B("[0\0]"),
    B("[-0\0]"),
    B("[0\0"
      "1]"),
    B("[1\0,2]"),
    B("[[]\0]"),
    B("[{}\0]"),
    B("{\"a\"\0:1}"),
    B("{\"a\":\0"
      "1}"),
    /* numbers */
    B("[01]"),
    B("[-01]"),
    B("[00]"),
    B("[-]"),
    B("[1.]"),
    B("[.5]"),
    B("[1e]"),
    B("[1e+]"),
    B("[1E-]"),
    B("[-0]"),
    B("[-0.0]"),
    B("[1E5]"),
    B("[+1]"),
    B("[0x10]"),
    B("[1.5e+3]"),
    B("[1_000]"),
    B("[1.2.3]"),
    B("[1e2e3]"),
    B("[- 1]"),
    B("[1 .5]"),
    B("[9223372036854775807]"),
    B("[9223372036854775808]"),
    B("[-9223372036854775808]"),
    B("[-9223372036854775809]"),
    B("[18446744073709551615]"),
    B("[100000000000000000000]"),
    B("[1e308]"),
    B("[1e309]"),
    B("[1e-400]"),
    B("[-1e400]"),
    B("[0e99999999999999999999]"),
    B("[1e-99999999999999999999]"),
    B("[0.0e500]"),
    B("[4.9e-324]"),
    B("[2.4e-324]"),
    B("[1.7976931348623157e308]"),
    B("[1.7976931348623158e308]"),
    B("[1.7976931348623159e308]"),
    B("[-1.7976931348623159e308]"),
    B("[179769313486231580793728971405303415079934132710037826"
      "936173778980444968292764750946649017977587207096330286416692887910946555547851940402630"
      "657488671505820681908902000708383676273854845817711531764475730270069855571366959622842"
      "914819860834936475292719074168444365510704342711559699508093042880177904174497792.0]"),
    B("[179769313486231580793728971405303415079934132710037826936173778980444968292764750946"
      "649017977587207096330286416692887910946555547851940402630657488671505820681908902000708"
      "383676273854845817711531764475730270069855571366959622842914819860834936475292719074168"
      "444365510704342711559699508093042880177904174497791.9999]"),
    /* strings: escapes */
    B("[\"\\u0000\"]"),
    B("{\"\\u0000\":1}"),
    B("{\"a\\u0000b\":1}"),
    B("[\"\\ud800\"]"),
    B("[\"\\udc00\"]"),
    B("[\"\\ud800\\udc00\"]"),
    B("[\"\\uD83D\\uDE00\"]"),
    B("[\"\\ud800\\u0041\"]"),
    B("[\"\\ud800x\"]"),
    B("[\"\\ud800\\\"]"),
    B("[\"\\ud800\\n\"]"),
    B("[\"\\udbff\\udfff\"]"),
    B("[\"\\udc00\\ud800\"]"),
    B("[\"\\ud800\\ud800\\udc00\"]"),
    B("[\"\\ud800\\u"),
    B("[\"\\ud800\\udc0\"]"),
    B("[\"\\x\"]"),
    B("[\"\\u12\"]"),
    B("[\"\\u123g\"]"),
    B("[\"\\U0041\"]"),
    B("[\"\\/\\b\\f\\n\\r\\t\\\"\\\\\"]"),
    B("[\"\\'\"]"),
    B("[\"\\0\"]"),
    B("[\"\\"),
    B("[\"\\\"]"),
    B("[\"\\u0001\\u001f\\u007f\"]"),
    B("[\"\\uFFFF\\uFFFE\\uFEFF\"]"),
    /* strings: raw bytes */
    B("[\"\x7f\"]"),
    B("[\"\x1f\"]"),
    B("[\"\t\"]"),
    B("[\"\n\"]"),
    B("[\"a\0b\"]"),
    B("[\"\x80\"]"),
    B("[\"\xc0\x80\"]"),
    B("[\"\xc1\xbf\"]"),
    B("[\"\xc2\x80\"]"),
    B("[\"\xdf\xbf\"]"),
    B("[\"\xe0\x80\x80\"]"),
    B("[\"\xe0\x9f\xbf\"]"),
    B("[\"\xe0\xa0\x80\"]"),
    B("[\"\xed\x9f\xbf\"]"),
    B("[\"\xed\xa0\x80\"]"),
    B("[\"\xed\xbf\xbf\"]"),
    B("[\"\xee\x80\x80\"]"),
    B("[\"\xef\xbf\xbf\"]"),
    B("[\"\xf0\x80\x80\x80\"]"),
    B("[\"\xf0\x8f\xbf\xbf\"]"),
    B("[\"\xf0\x90\x80\x80\"]"),
    B("[\"\xf4\x8f\xbf\xbf\"]"),
    B("[\"\xf4\x90\x80\x80\"]"),
    B("[\"\xf5\x80\x80\x80\"]"),
    B("[\"\xf8\x88\x80\x80\x80\"]"),
    B("[\"\xfe\"]"),
    B("[\"\xff\"]"),
    B("[\"\xe2\x82\"]"),
    B("[\"\xe2\x82\xac\"]"),
    B("[\"\xe2\"]"),
    B("[\"\xf0\x9f\x98\"]"),
    B("[\"\xf0\x9f\x98\x80\"]"),
    B("[\"\xc3\xa9"),
    B("[\"\xc3"),
    B("[\"\xe2\x82"),
    B("[\xc3\xa9]"),
    B("{\"\xc3\xa9\":1}"),
    B("{\"\xff\":1}"),
    B("[\"unterminated]"),
    B("[\"a\"\"b\"]"),
};

static void corpus_edge_cases(struct diff *d)
{
    for (size_t c = 0; c < ARRAY_LEN(edge_cases); c++)
        compare(d, edge_cases[c].p, edge_cases[c].n);
}

/* open^levels + inner + close^levels, e.g. "[[[1]]]" or "{"a":{"a":1}}". */
static void compare_nested(struct diff *d, size_t levels, const char *open, const char *inner,
                           const char *close)
{
    size_t lo = strlen(open), li = strlen(inner), lc = strlen(close);
    size_t n = levels * (lo + lc) + li;
    char *doc = malloc(n + 1);
    assert_non_null(doc);
    for (size_t k = 0; k < levels; k++) {
        memcpy(doc + k * lo, open, lo);
        memcpy(doc + levels * lo + li + k * lc, close, lc);
    }
    memcpy(doc + levels * lo, inner, li);
    compare(d, doc, n);
    free(doc);
}

static void corpus_nesting(struct diff *d)
{
    static const size_t levels[] = {2046, 2047, 2048, 2049, FAR_TOO_DEEP};
    static const char *inner[] = {"", "1", "[]", "{}", "\"s\"", "true", "[1]", "{\"b\":1}"};
    for (size_t l = 0; l < ARRAY_LEN(levels); l++) {
        for (size_t i = 0; i < ARRAY_LEN(inner); i++) {
            compare_nested(d, levels[l], "[", inner[i], "]");
            compare_nested(d, levels[l], "[{\"a\":", inner[i], "}]");
            compare_nested(d, levels[l], "{\"a\":[", inner[i], "]}");
            compare_nested(d, levels[l], "[1,", inner[i], "]");
        }
        compare_nested(d, levels[l], "[", "", "");
        compare_nested(d, levels[l], "{\"a\":", "1", "}");
        compare_nested(d, levels[l], "{\"a\":", "{}", "}");
        compare_nested(d, levels[l], "[ ", "1", " ]");
    }
}

/* Every two-byte string body, and three- and four-byte ones around every boundary. */
static void corpus_utf8(struct diff *d)
{
    static const uint8_t second[] = {0x00, 0x22, 0x41, 0x7f, 0x80, 0x8f, 0x90, 0x9f,
                                     0xa0, 0xbf, 0xc0, 0xc2, 0xe0, 0xf0, 0xff};
    static const uint8_t tail[] = {0x22, 0x41, 0x7f, 0x80, 0xbf, 0xc0};
    uint8_t doc[8] = {'[', '"'};
    for (unsigned a = 0; a < 256; a++) {
        for (unsigned b = 0; b < 256; b++) {
            doc[2] = (uint8_t)a;
            doc[3] = (uint8_t)b;
            memcpy(doc + 4, "\"]", 2);
            compare(d, doc, 6);
        }
    }
    for (unsigned a = 0xc0; a < 256; a++) {
        for (size_t b = 0; b < sizeof second; b++) {
            for (size_t c = 0; c < sizeof tail; c++) {
                for (size_t e = 0; e < sizeof tail; e++) {
                    uint8_t seq[4] = {(uint8_t)a, second[b], tail[c], tail[e]};
                    memcpy(doc + 2, seq, 4);
                    memcpy(doc + 6, "\"]", 2);
                    compare(d, doc, 8);
                    memcpy(doc + 5, "\"]", 2); /* three-byte form */
                    compare(d, doc, 7);
                }
            }
        }
    }
}

/* \u escapes at every boundary, each followed by what may or may not complete it. */
static void corpus_escapes(struct diff *d)
{
    static const char *units[] = {"0000", "0001", "001f", "0020", "007F", "0080", "07ff", "0800",
                                  "d7ff", "D800", "dbff", "DBFF", "dc00", "DFFF", "e000", "fffe",
                                  "FFFF", "00e9", "12",   "123",  "123g", "g123", "+123", "-123"};
    static const char *after[] = {"",        "\\udc00", "\\uDFFF", "\\udbff", "\\ud800",
                                  "\\ue000", "\\u0041", "\\u0000", "x",       "\\n",
                                  "\\u12",   "\\",      "\\u",     "\\udc0"};
    char doc[64];
    for (size_t u = 0; u < ARRAY_LEN(units); u++) {
        for (size_t a = 0; a < ARRAY_LEN(after); a++) {
            snprintf(doc, sizeof doc, "[\"\\u%s%s\"]", units[u], after[a]);
            compare_str(d, doc);
            snprintf(doc, sizeof doc, "{\"\\u%s%s\":0}", units[u], after[a]);
            compare_str(d, doc);
        }
    }
    for (unsigned c = 0; c < 256; c++) {
        char esc[8] = {'[', '"', '\\', (char)c, '"', ']'};
        compare(d, esc, 6);
    }
}

static void corpus_numbers(struct diff *d)
{
    static const char *sign[] = {"", "-", "+", "--"};
    static const char *ints[] = {"",
                                 "0",
                                 "00",
                                 "01",
                                 "1",
                                 "12",
                                 "9223372036854775807",
                                 "9223372036854775808",
                                 "18446744073709551616",
                                 "1797693134862315807937289714053034150799341327100378269361737"
                                 "7898044496829276475094664901797758720709633028641669288791094"
                                 "6555547851940402630657488671505820681908902000708383676273854"
                                 "8458177115317644757302700698555713669596228429148198608349364"
                                 "752927190741684443655107043427115596995080930428801779041744977"
                                 "92"};
    static const char *frac[] = {"", ".", ".0", ".5", ".00001", "..5", ".e"};
    static const char *expo[] = {"",
                                 "e",
                                 "E",
                                 "e+",
                                 "e-",
                                 "e0",
                                 "e+5",
                                 "E-5",
                                 "E308",
                                 "e309",
                                 "e-400",
                                 "e-1",
                                 "e-309",
                                 "e+-1",
                                 "ee1",
                                 "e99999999999999999999",
                                 "e-99999999999999999999"};
    char num[512], doc[600];
    for (size_t s = 0; s < ARRAY_LEN(sign); s++)
        for (size_t i = 0; i < ARRAY_LEN(ints); i++)
            for (size_t f = 0; f < ARRAY_LEN(frac); f++)
                for (size_t e = 0; e < ARRAY_LEN(expo); e++) {
                    snprintf(num, sizeof num, "%s%s%s%s", sign[s], ints[i], frac[f], expo[e]);
                    snprintf(doc, sizeof doc, "[%s]", num);
                    compare_str(d, doc);
                    snprintf(doc, sizeof doc, "{\"k\":%s,\"l\":0}", num);
                    compare_str(d, doc);
                }
}

/* The overflow threshold T = 2^1024 - 2^970 written in many equivalent ways, with values just
 * below and above it. */
static void corpus_real_threshold(struct diff *d)
{
    static const char t[] = "17976931348623158079372897140530341507993413271003782693617377898044"
                            "49682927647509466490179775872070963302864166928879109465555478519404"
                            "02630657488671505820681908902000708383676273854845817711531764475730"
                            "27006985557136695962284291481986083493647529271907416844436551070434"
                            "2711559699508093042880177904174497792";
    static const char *mant[] = {"", "0", "0000001", "9", "99999999999"};
    char below[sizeof t], doc[MAX_DOC];
    memcpy(below, t, sizeof t);
    below[sizeof t - 2] = '1'; /* ...791, then the tail makes it 791.xxx */
    const char *bases[] = {t, below};
    for (size_t b = 0; b < ARRAY_LEN(bases); b++) {
        for (size_t m = 0; m < ARRAY_LEN(mant); m++) {
            const char *v = bases[b];
            snprintf(doc, sizeof doc, "[%s%s%s]", v, *mant[m] ? "." : "", mant[m]);
            compare_str(d, doc);
            snprintf(doc, sizeof doc, "[-%c.%s%se308]", v[0], v + 1, mant[m]);
            compare_str(d, doc);
            snprintf(doc, sizeof doc, "[0.%s%se309]", v, mant[m]);
            compare_str(d, doc);
            snprintf(doc, sizeof doc, "[0.000%s%se312]", v, mant[m]);
            compare_str(d, doc);
            snprintf(doc, sizeof doc, "[%s%s0e-1]", v, mant[m]);
            compare_str(d, doc);
            snprintf(doc, sizeof doc, "[%.100s.%s%se209]", v, v + 100, mant[m]);
            compare_str(d, doc);
        }
    }
}

static void corpus_single_bytes(struct diff *d)
{
    static const char *contexts[][2] = {
        {"", ""},         {"[", "]"},        {"[\"", "\"]"}, {"{", "}"},       {"[1", "]"},
        {"[true", "]"},   {"[]", ""},        {"", "[]"},     {"{\"a\"", "1}"}, {"[1,", "2]"},
        {"[\"\\", "\"]"}, {"{\"a\":1", "}"}, {"[1.", "]"},   {"[1e", "]"},     {"[-", "1]"},
    };
    char doc[32];
    for (size_t c = 0; c < ARRAY_LEN(contexts); c++) {
        for (unsigned b = 0; b < 256; b++) {
            size_t lp = strlen(contexts[c][0]), ls = strlen(contexts[c][1]);
            memcpy(doc, contexts[c][0], lp);
            doc[lp] = (char)b;
            memcpy(doc + lp + 1, contexts[c][1], ls);
            compare(d, doc, lp + 1 + ls);
        }
    }
}

/* Seeded token soup: short sequences of JSON tokens and near-tokens. */
static void corpus_soup(struct diff *d)
{
    static const struct bytes tokens[] = {
        B("{"),           B("}"),
        B("["),           B("]"),
        B(","),           B(":"),
        B("\"a\""),       B("\"\""),
        B("1"),           B("-0.5e3"),
        B("true"),        B("null"),
        B(" "),           B("\n"),
        B("\0"),          B("-"),
        B("\"\\u00e9\""), B("\"\\ud83d\\ude00\""),
        B("\"\\u0000\""), B("\"\xc3\xa9\""),
        B("\xc3\xa9"),    B("\""),
        B("1e999"),       B("tru"),
        B("\t"),          B("0"),
    };
    uint64_t seed = 0x9e3779b97f4a7c15ull;
    char doc[SOUP_MAX_TOKENS * 16];
    for (long k = 0; k < SOUP_INPUTS; k++) {
        size_t n = 0;
        seed = seed * 6364136223846793005ull + 1442695040888963407ull;
        size_t count = 1 + (seed >> 33) % SOUP_MAX_TOKENS;
        /* most inputs start like a document, so the grammar behind the first byte is tried */
        doc[n++] = (seed >> 20) % 2 ? '[' : '{';
        for (size_t t = 0; t < count; t++) {
            seed = seed * 6364136223846793005ull + 1442695040888963407ull;
            const struct bytes *tok = &tokens[(seed >> 33) % ARRAY_LEN(tokens)];
            memcpy(doc + n, tok->p, tok->n);
            n += tok->n;
        }
        compare(d, doc, n);
    }
}

static void test_agrees_with_jansson(void **state)
{
    (void)state;
    struct diff d = {0};
    corpus_events(&d);
    corpus_edge_cases(&d);
    corpus_nesting(&d);
    corpus_utf8(&d);
    corpus_escapes(&d);
    corpus_numbers(&d);
    corpus_real_threshold(&d);
    corpus_single_bytes(&d);
    corpus_soup(&d);
    printf("json_scan differential test: %ld inputs compared with jansson %s, %ld disagreed\n",
           d.compared, JANSSON_VERSION, d.disagreed);
    assert_int_equal(d.disagreed, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_agrees_with_jansson),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
