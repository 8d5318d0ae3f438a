/* json_scan.c -- the request-path JSON validator: one pass, no allocation, no recursion.
 *
 * A four-state machine (value, key, after a value, end) walks the text; one bit per open
 * container says whether it is an object. Acceptance follows jansson 2.14's
 * json_loadb(p, n, 0, &e) rule for rule (src/load.c, src/utf.c, src/strconv.c); every place
 * where jansson departs from a plain reading of RFC 8259 is marked "jansson:".
 *
 * Wanted values are found without storing the path: each want remembers how many reference
 * tokens of its pointer the current path matches, and two more bit stacks mark the
 * containers whose members some want may still match and the containers that are some want's
 * value. The per-want work happens only inside such containers. */
#include "base/json_scan.h"

#include "base/codec.h"
#include "base/err.h"

#include <limits.h>
#include <stdbool.h>
#include <string.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

/* Wants tracked in one pass; hk_json_scan makes one more pass per further batch. */
#define WANT_BATCH 16
/* Bit-stack words for levels 0 (the document itself) to HK_JSON_MAX_DEPTH. */
#define WORD_BITS   64
#define STACK_WORDS (HK_JSON_MAX_DEPTH / WORD_BITS + 1)
/* "No array index": a token that is not one, or an array a want has already stepped into. */
#define NO_INDEX SIZE_MAX

/* SWAR constants: a byte repeated over a 64-bit word, and the top bit of every byte. */
#define BYTES_1  0x0101010101010101ull
#define BYTES_80 0x8080808080808080ull

/* int64 bounds as decimal digits: jansson rejects integers that strtoll cannot hold. */
#define INT64_DIGITS 19
static const char int64_max_digits[] = "9223372036854775807";
static const char int64_min_digits[] = "9223372036854775808";

/* jansson rejects a real exactly when strtod overflows to infinity, i.e. when its magnitude
 * is at least 2^1024 - 2^970, halfway between DBL_MAX and 2^1024 (the tie rounds to even,
 * which is 2^1024). These are the 309 digits of that threshold. */
#define DBL_OVERFLOW_EXP10 309
static const char dbl_overflow_digits[] =
    "17976931348623158079372897140530341507993413271003782693617377898044496829276475094664901797"
    "75872070963302864166928879109465555478519404026306574886715058206819089020007083836762738548"
    "45817711531764475730270069855571366959622842914819860834936475292719074168444365510704342711"
    "559699508093042880177904174497792";
/* Exponents are accumulated up to this bound; beyond it, more digits cannot change a verdict
 * unless the number itself is longer than this many bytes. */
#define EXP_SATURATE 1000000000000000ll

/* Code points that need special handling in \u escapes. */
#define SURROGATE_HIGH_FIRST 0xD800
#define SURROGATE_LOW_FIRST  0xDC00
#define SURROGATE_LOW_LAST   0xDFFF
#define SUPPLEMENTARY_FIRST  0x10000
/* "\uXXXX" is six bytes; a surrogate pair is two of them. */
#define U_ESCAPE_LEN 6

/*** bit stacks ***/

static inline bool bit_get(const uint64_t *bits, uint32_t level)
{
    return (bits[level / WORD_BITS] >> (level % WORD_BITS)) & 1;
}

static inline void bit_put(uint64_t *bits, uint32_t level, bool on)
{
    uint64_t *word = &bits[level / WORD_BITS];
    uint32_t shift = level % WORD_BITS;
    *word = (*word & ~(1ull << shift)) | ((uint64_t)on << shift);
}

/*** bytes, strings, numbers and literals ***/

static inline bool is_digit(uint8_t c)
{
    return (unsigned)(c - '0') < 10u;
}

/* jansson's whitespace is exactly space, tab, LF and CR (load.c lex_scan). */
static inline size_t skip_ws(const uint8_t *p, size_t n, size_t i)
{
    if (i < n && p[i] > ' ')
        return i; /* compact JSON: no whitespace between tokens */
    while (i < n && (p[i] == ' ' || p[i] == '\n' || p[i] == '\r' || p[i] == '\t'))
        i++;
    return i;
}

/* Marks (top bit set) every byte of w that a string cannot take as is: '"', '\\', controls
 * and non-ASCII. A borrow can only mark bytes above a truly marked one, so the lowest mark is
 * exact, which is all string_run needs. */
#ifndef __SSE2__
static inline uint64_t string_specials(uint64_t w)
{
    uint64_t quote = w ^ (BYTES_1 * '"');
    uint64_t bslash = w ^ (BYTES_1 * '\\');
    uint64_t control = (w - BYTES_1 * 0x20) & ~w;
    uint64_t is_quote = (quote - BYTES_1) & ~quote;
    uint64_t is_bslash = (bslash - BYTES_1) & ~bslash;
    return (control | is_quote | is_bslash | w) & BYTES_80;
}
#endif

static inline bool string_plain(uint8_t c)
{
    return c >= 0x20 && c < 0x80 && c != '"' && c != '\\';
}

#ifdef __SSE2__
/* Skips plain string bytes sixteen at a time (SSE2 is part of x86-64): a byte is special
 * when it is '"', '\\', below 0x20, or 0x80 and up -- the last two are exactly the bytes that
 * are below 0x20 as signed chars. Returns the offset of the next special byte, or n. */
static inline size_t string_run(const uint8_t *p, size_t n, size_t i)
{
    const __m128i quote = _mm_set1_epi8('"'), bslash = _mm_set1_epi8('\\');
    const __m128i space = _mm_set1_epi8(0x20);
    while (n - i >= 16) {
        __m128i v = _mm_loadu_si128((const __m128i *)(p + i));
        __m128i special =
            _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(v, quote), _mm_cmpeq_epi8(v, bslash)),
                         _mm_cmplt_epi8(v, space));
        unsigned mask = (unsigned)_mm_movemask_epi8(special);
        if (mask)
            return i + (size_t)__builtin_ctz(mask);
        i += 16;
    }
    while (i < n && string_plain(p[i]))
        i++;
    return i;
}
#else
/* Skips plain string bytes eight at a time; returns the offset of the next special byte or
 * n. */
static inline size_t string_run(const uint8_t *p, size_t n, size_t i)
{
    while (n - i >= sizeof(uint64_t)) {
        uint64_t w;
        memcpy(&w, p + i, sizeof w);
#if __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
        w = __builtin_bswap64(w);
#endif
        uint64_t special = string_specials(w);
        if (special)
            return i + (size_t)__builtin_ctzll(special) / 8;
        i += sizeof w;
    }
    while (i < n && string_plain(p[i]))
        i++;
    return i;
}
#endif

/* The four hex digits at p[i..i+4) as a code unit, or -1. */
static int32_t hex4(const uint8_t *p, size_t n, size_t i)
{
    if (i > n || n - i < 4)
        return -1;
    int32_t v = 0;
    for (size_t k = 0; k < 4; k++) {
        int h = hk_hex_digit(p[i + k]);
        if (h < 0)
            return -1;
        v = v << 4 | h;
    }
    return v;
}

/* The byte a one-letter escape stands for, or 0 for a letter that is no escape. */
static uint8_t simple_escape(uint8_t c)
{
    switch (c) {
    case '"':
    case '\\':
    case '/':
        return c;
    case 'b':
        return '\b';
    case 'f':
        return '\f';
    case 'n':
        return '\n';
    case 'r':
        return '\r';
    case 't':
        return '\t';
    default:
        return 0;
    }
}

/* Checks the \u escape at p[*ip] (the backslash), a surrogate pair counting as one. */
static const char *u_escape_check(const uint8_t *p, size_t n, size_t *ip)
{
    size_t i = *ip;
    int32_t cp = hex4(p, n, i + 2);
    if (cp < 0)
        return "invalid \\u escape: four hex digits expected";
    /* jansson: without JSON_ALLOW_NUL, \u0000 fails in values and in keys alike. */
    if (cp == 0)
        return "\\u0000 is not allowed";
    if (cp >= SURROGATE_LOW_FIRST && cp <= SURROGATE_LOW_LAST)
        return "unpaired low surrogate in \\u escape";
    if (cp >= SURROGATE_HIGH_FIRST && cp < SURROGATE_LOW_FIRST) {
        size_t j = i + U_ESCAPE_LEN;
        int32_t lo = j + 1 < n && p[j] == '\\' && p[j + 1] == 'u' ? hex4(p, n, j + 2) : -1;
        if (lo < SURROGATE_LOW_FIRST || lo > SURROGATE_LOW_LAST)
            return "unpaired high surrogate in \\u escape";
        i = j;
    }
    *ip = i + U_ESCAPE_LEN;
    return NULL;
}

static const char *escape_check(const uint8_t *p, size_t n, size_t *ip)
{
    size_t i = *ip;
    if (i + 1 >= n)
        return "unterminated string";
    if (p[i + 1] == 'u')
        return u_escape_check(p, n, ip);
    if (!simple_escape(p[i + 1]))
        return "invalid escape";
    *ip = i + 2;
    return NULL;
}

/* Checks the UTF-8 sequence at p[*ip] (a byte >= 0x80) the way jansson's utf8_check_full
 * does: no overlong forms, no surrogates, nothing above U+10FFFF, no truncation. */
static const char *utf8_check(const uint8_t *p, size_t n, size_t *ip)
{
    size_t i = *ip;
    uint8_t c = p[i];
    size_t len = c < 0xE0 ? 2 : c < 0xF0 ? 3 : 4;
    /* the second byte's range is what excludes overlong forms, surrogates and > U+10FFFF */
    uint8_t lo = c == 0xE0 ? 0xA0 : c == 0xF0 ? 0x90 : 0x80;
    uint8_t hi = c == 0xED ? 0x9F : c == 0xF4 ? 0x8F : 0xBF;
    if (c < 0xC2 || c > 0xF4 || n - i < len || p[i + 1] < lo || p[i + 1] > hi)
        return "invalid UTF-8";
    for (size_t k = 2; k < len; k++) {
        if (p[i + k] < 0x80 || p[i + k] > 0xBF)
            return "invalid UTF-8";
    }
    *ip = i + len;
    return NULL;
}

/* string_scan from the string's first special byte at p[i], which is not its closing quote. */
static const char *string_scan_special(const uint8_t *p, size_t n, size_t *ip, size_t i,
                                       bool *escaped)
{
    const char *why = NULL;
    *escaped = false;
    for (;;) {
        size_t at = i;
        if (i == n)
            why = "unterminated string";
        else if (p[i] == '"')
            break;
        else if (p[i] == '\\') {
            *escaped = true;
            why = escape_check(p, n, &i);
        } else if (p[i] >= 0x80)
            why = utf8_check(p, n, &i);
        else
            why = "control character in string (escape it)";
        if (why) {
            *ip = at;
            return why;
        }
        i = string_run(p, n, i);
    }
    *ip = i + 1;
    return NULL;
}

/* Checks the string whose opening quote is at p[*ip]; moves *ip past the closing quote, or
 * to the offending byte on failure. *escaped tells whether the string holds escapes. Most
 * strings hold no special byte before their closing quote: that case is inline. */
static inline const char *string_scan(const uint8_t *p, size_t n, size_t *ip, bool *escaped)
{
    size_t i = string_run(p, n, *ip + 1);
    if (i < n && p[i] == '"') {
        *escaped = false;
        *ip = i + 1;
        return NULL;
    }
    return string_scan_special(p, n, ip, i, escaped);
}

struct number {
    size_t start;    /* first digit, after any '-' */
    size_t int_len;  /* digits before any '.' */
    size_t mant_end; /* just past the last digit before any exponent */
    int64_t exp;     /* the exponent, saturated at +-EXP_SATURATE */
    bool neg;
    bool real;
};

static size_t digits_end(const uint8_t *p, size_t n, size_t i)
{
    while (i < n && is_digit(p[i]))
        i++;
    return i;
}

/* Reads the exponent after 'e'/'E' at p[*ip]. */
static const char *exponent_scan(const uint8_t *p, size_t n, size_t *ip, int64_t *exp)
{
    size_t i = *ip + 1;
    bool neg = i < n && p[i] == '-';
    i += i < n && (p[i] == '-' || p[i] == '+');
    if (i == n || !is_digit(p[i]))
        return "digit expected in exponent";
    int64_t e = 0;
    for (; i < n && is_digit(p[i]); i++) {
        if (e < EXP_SATURATE)
            e = e * 10 + (p[i] - '0');
    }
    *exp = neg ? -e : e;
    *ip = i;
    return NULL;
}

/* Checks the grammar of the number at p[*ip] and moves *ip past it. */
static const char *number_scan(const uint8_t *p, size_t n, size_t *ip, struct number *num)
{
    size_t i = *ip;
    num->neg = p[i] == '-';
    i += num->neg;
    num->start = i;
    if (i == n || !is_digit(p[i]))
        return "digit expected in number";
    i = p[i] == '0' ? i + 1 : digits_end(p, n, i);
    if (i < n && is_digit(p[i]))
        return "leading zero in number";
    num->int_len = i - num->start;
    num->real = false;
    if (i < n && p[i] == '.') {
        size_t frac = i + 1;
        i = digits_end(p, n, frac);
        if (i == frac)
            return "digit expected after '.'";
        num->real = true;
    }
    num->mant_end = i;
    num->exp = 0;
    if (i < n && (p[i] | 0x20) == 'e') {
        *ip = i;
        num->real = true;
        return exponent_scan(p, n, ip, &num->exp);
    }
    *ip = i;
    return NULL;
}

static bool int_fits(const uint8_t *p, const struct number *num)
{
    if (num->int_len != INT64_DIGITS)
        return num->int_len < INT64_DIGITS;
    const char *limit = num->neg ? int64_min_digits : int64_max_digits;
    return memcmp(p + num->start, limit, INT64_DIGITS) <= 0;
}

/* The exact overflow test for the rare real that might reach DBL_MAX: writes the value as
 * 0.DDD x 10^e10 and compares with the threshold digit by digit. */
static bool real_overflows(const uint8_t *p, const struct number *num)
{
    size_t i = num->start, end = num->mant_end;
    int64_t e10 = (int64_t)num->int_len;
    for (; i < end && (p[i] == '0' || p[i] == '.'); i++)
        e10 -= p[i] == '0';
    if (i == end)
        return false; /* zero */
    e10 += num->exp;
    if (e10 != DBL_OVERFLOW_EXP10)
        return e10 > DBL_OVERFLOW_EXP10;
    for (size_t k = 0; k < sizeof dbl_overflow_digits - 1; k++, i++) {
        i += i < end && p[i] == '.';
        if (i == end)
            return false; /* shorter, and the threshold's tail is not all zeros */
        if (p[i] != (uint8_t)dbl_overflow_digits[k])
            return p[i] > (uint8_t)dbl_overflow_digits[k];
    }
    return true; /* at least the threshold */
}

static bool real_fits(const uint8_t *p, const struct number *num)
{
    /* int_len + exp bounds the decimal exponent from above: cheap for ordinary reals */
    if (num->int_len < DBL_OVERFLOW_EXP10 && (int64_t)num->int_len + num->exp < DBL_OVERFLOW_EXP10)
        return true;
    return !real_overflows(p, num);
}

/* Checks the number at p[*ip], its grammar and that jansson can hold it. */
static const char *number_check(const uint8_t *p, size_t n, size_t *ip, enum hk_json_kind *kind)
{
    struct number num;
    size_t start = *ip;
    const char *why = number_scan(p, n, ip, &num);
    if (why)
        return why;
    *kind = num.real ? HK_JSON_REAL : HK_JSON_INTEGER;
    if (num.real ? real_fits(p, &num) : int_fits(p, &num))
        return NULL;
    *ip = start;
    return num.real ? "real number overflows a double" : "integer does not fit in 64 bits";
}

static const char *literal_check(const uint8_t *p, size_t n, size_t *ip, enum hk_json_kind *kind)
{
    static const struct {
        const char *text;
        size_t len;
        enum hk_json_kind kind;
    } lits[] = {{"true", 4, HK_JSON_TRUE}, {"false", 5, HK_JSON_FALSE}, {"null", 4, HK_JSON_NULL}};
    size_t i = *ip;
    size_t l = p[i] == 't' ? 0 : p[i] == 'f' ? 1 : 2;
    if (n - i < lits[l].len || memcmp(p + i, lits[l].text, lits[l].len) != 0)
        return "invalid literal: true, false or null expected";
    *kind = lits[l].kind;
    *ip = i + lits[l].len;
    return NULL;
}

/* jansson: after a number or a literal, jansson reads one byte too many and "ungets" it,
 * and its one-character lookahead buffer treats a NUL as empty, so a NUL byte right there is
 * lost (load.c stream_get/stream_unget): "[1\0]" is accepted, "[1\0\0]" and "[1 \0]" are
 * not. */
static size_t skip_lookahead_nul(const uint8_t *p, size_t n, size_t i)
{
    return i + (i < n && p[i] == 0);
}

/*** decoding validated strings ***/

static size_t utf8_encode(uint32_t cp, uint8_t out[4])
{
    if (cp < 0x80) {
        out[0] = (uint8_t)cp;
        return 1;
    }
    if (cp < 0x800) {
        out[0] = (uint8_t)(0xC0 | cp >> 6);
        out[1] = (uint8_t)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < SUPPLEMENTARY_FIRST) {
        out[0] = (uint8_t)(0xE0 | cp >> 12);
        out[1] = (uint8_t)(0x80 | (cp >> 6 & 0x3F));
        out[2] = (uint8_t)(0x80 | (cp & 0x3F));
        return 3;
    }
    out[0] = (uint8_t)(0xF0 | cp >> 18);
    out[1] = (uint8_t)(0x80 | (cp >> 12 & 0x3F));
    out[2] = (uint8_t)(0x80 | (cp >> 6 & 0x3F));
    out[3] = (uint8_t)(0x80 | (cp & 0x3F));
    return 4;
}

/* Decodes one raw byte or one escape (a surrogate pair as one) of an already validated
 * string body s[*ip..n) into out; returns how many bytes it wrote. */
static size_t decode_unit(const uint8_t *s, size_t n, size_t *ip, uint8_t out[4])
{
    size_t i = *ip;
    if (s[i] != '\\' || s[i + 1] != 'u') {
        out[0] = s[i] == '\\' ? simple_escape(s[i + 1]) : s[i];
        *ip = i + (s[i] == '\\' ? 2 : 1);
        return 1;
    }
    uint32_t cp = (uint32_t)hex4(s, n, i + 2);
    i += U_ESCAPE_LEN;
    if (cp >= SURROGATE_HIGH_FIRST && cp < SURROGATE_LOW_FIRST) {
        uint32_t lo = (uint32_t)hex4(s, n, i + 2);
        cp = SUPPLEMENTARY_FIRST + ((cp - SURROGATE_HIGH_FIRST) << 10) + (lo - SURROGATE_LOW_FIRST);
        i += U_ESCAPE_LEN;
    }
    *ip = i;
    return utf8_encode(cp, out);
}

/*** JSON pointers ***/

/* One want's progress along its pointer. */
struct track {
    struct hk_json_want *want; /* borrowed from the caller for the call */
    size_t pos;                /* offset in want->pointer of the next token to match */
    size_t tlen;               /* its length as written (with ~0 and ~1) */
    size_t index;              /* its value as an array index, or NO_INDEX */
    size_t count;              /* elements seen in the array it indexes, or NO_INDEX */
    uint32_t m;                /* leading tokens the current path matches */
    uint32_t k;                /* tokens in the pointer */
    uint32_t pend;             /* level of this want's value while it is being read, else 0 */
    bool tesc;                 /* the next token holds ~ escapes */
};

/* Counts the reference tokens of an RFC 6901 pointer; false when it is malformed ("" or a
 * leading '/', and '~' only as ~0 or ~1) or deeper than any accepted document. */
static bool pointer_parse(const char *ptr, uint32_t *k)
{
    uint32_t tokens = 0;
    if (!ptr || (*ptr && *ptr != '/'))
        return false;
    for (; *ptr; ptr++) {
        if (*ptr == '~' && ptr[1] != '0' && ptr[1] != '1')
            return false;
        tokens += *ptr == '/';
        if (tokens >= HK_JSON_MAX_DEPTH)
            return false;
    }
    *k = tokens;
    return true;
}

/* A token as an array index: "0" or digits without a leading zero, else NO_INDEX. */
static size_t token_index(const char *tok, size_t len)
{
    size_t v = 0;
    if (len == 0 || (tok[0] == '0' && len > 1))
        return NO_INDEX;
    for (size_t i = 0; i < len; i++) {
        unsigned d = (unsigned)((uint8_t)tok[i] - '0');
        if (d > 9 || v > (NO_INDEX - 1 - d) / 10)
            return NO_INDEX;
        v = v * 10 + d;
    }
    return v;
}

/* Length of the token at tok (up to the next '/' or the end). Pointers are short, so a
 * plain loop beats a call to strcspn here. */
static size_t token_len(const char *tok, bool *escaped)
{
    size_t len = 0;
    bool esc = false;
    for (; tok[len] && tok[len] != '/'; len++)
        esc |= tok[len] == '~';
    *escaped = esc;
    return len;
}

static void track_token(struct track *t, size_t pos)
{
    const char *tok = t->want->pointer + pos;
    t->pos = pos;
    t->tlen = token_len(tok, &t->tesc);
    t->index = token_index(tok, t->tlen);
}

/* Goes back to m matched tokens: the path left the value the (m+1)th token led to. A want
 * that matched all its tokens still holds its last one, so the common rewind from a found
 * value to its parent needs no look at the pointer. */
static void track_rewind(struct track *t, uint32_t m)
{
    uint32_t held = t->m < t->k ? t->m : t->k - 1; /* the token t->pos points at */
    t->m = m;
    t->count = NO_INDEX; /* an index matches once per array: never again in this one */
    if (held == m)
        return;
    size_t pos = 0;
    bool escaped;
    for (uint32_t j = 0; j <= m; j++)
        pos += token_len(t->want->pointer + pos, &escaped) + 1;
    track_token(t, pos);
}

static void track_advance(struct track *t)
{
    t->m++;
    if (t->m < t->k)
        track_token(t, t->pos + t->tlen + 1);
}

/* One byte of an unescaped token (~0 is '~', ~1 is '/'). */
static uint8_t token_byte(const char *tok, size_t *j)
{
    uint8_t c = (uint8_t)tok[*j];
    if (c != '~') {
        *j += 1;
        return c;
    }
    *j += 2;
    return tok[*j - 1] == '1' ? '/' : '~';
}

/* Compares a key, escapes decoded, with a token, ~ escapes decoded. */
static bool key_equals_decoded(const uint8_t *key, size_t klen, const char *tok, size_t tlen)
{
    size_t i = 0, j = 0;
    while (i < klen) {
        uint8_t unit[4];
        size_t ulen = decode_unit(key, klen, &i, unit);
        for (size_t u = 0; u < ulen; u++) {
            if (j == tlen || token_byte(tok, &j) != unit[u])
                return false;
        }
    }
    return j == tlen;
}

/*** the scanner ***/

enum state { ST_VALUE, ST_KEY, ST_AFTER, ST_END, ST_DONE, ST_FAIL };

struct scan {
    const uint8_t *p;
    size_t n;
    size_t i;         /* next byte to read */
    uint32_t depth;   /* open containers; a value begins at level depth + 1 */
    uint32_t nt;      /* wants in tr */
    uint32_t ntarget; /* wants whose value is the one just begun */
    bool key_esc;     /* the last key holds escapes */
    size_t key_off;   /* the last key, without its quotes */
    size_t key_len;
    struct hk_json_error *err;
    struct track tr[WANT_BATCH];
    uint64_t is_obj[STACK_WORDS];   /* level L is an object (else an array) */
    uint64_t interest[STACK_WORDS]; /* some want may match a member of level L */
    uint64_t watch[STACK_WORDS];    /* the container at level L is some want's value */
};

static enum state fail(struct scan *s, size_t off, const char *why)
{
    if (s->err) {
        s->err->off = off;
        s->err->reason = why;
    }
    return ST_FAIL;
}

/* Keys and tokens are short: an inline loop beats a call to memcmp. */
static bool bytes_equal(const uint8_t *a, const char *b, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (a[i] != (uint8_t)b[i])
            return false;
    }
    return true;
}

static bool key_matches(const struct scan *s, const struct track *t)
{
    const uint8_t *key = s->p + s->key_off;
    const char *tok = t->want->pointer + t->pos;
    if (!s->key_esc && !t->tesc)
        return s->key_len == t->tlen && bytes_equal(key, tok, t->tlen);
    return key_equals_decoded(key, s->key_len, tok, t->tlen);
}

static bool index_matches(struct track *t)
{
    bool hit = t->index != NO_INDEX && t->count == t->index;
    t->count += t->count != NO_INDEX;
    return hit;
}

/* True when the member beginning in the container at level parent is the next step of t. */
static bool track_member(struct scan *s, struct track *t, uint32_t parent)
{
    if (t->m >= parent)
        track_rewind(t, parent - 1);
    if (t->m != parent - 1 || t->k < parent)
        return false;
    bool hit = bit_get(s->is_obj, parent) ? key_matches(s, t) : index_matches(t);
    if (hit)
        track_advance(t);
    return hit;
}

/* A value begins at s->i inside the container at level s->depth (0: the document). */
static void track_value(struct scan *s)
{
    uint32_t parent = s->depth;
    s->ntarget = 0;
    for (uint32_t w = 0; w < s->nt; w++) {
        struct track *t = &s->tr[w];
        if (parent > 0 && !track_member(s, t, parent))
            continue;
        if (t->m < t->k) {
            /* last duplicate wins: a later key replaces the whole value an earlier one held */
            t->want->kind = HK_JSON_ABSENT;
            continue;
        }
        t->want->off = s->i;
        t->pend = parent + 1;
        s->ntarget++;
    }
}

/* The container at level s->depth was just opened, inside a container with interest. */
static void track_open(struct scan *s, bool obj)
{
    uint32_t level = s->depth;
    bool any = false;
    for (uint32_t w = 0; w < s->nt; w++) {
        struct track *t = &s->tr[w];
        if (t->pend == level) {
            t->want->kind = obj ? HK_JSON_OBJECT : HK_JSON_ARRAY;
            bit_put(s->watch, level, true);
        } else if (t->m == level - 1 && t->k > t->m) {
            any = true;
            t->count = 0;
        }
    }
    bit_put(s->interest, level, any);
    s->ntarget = 0;
}

/* The scalar at p[start..s->i) just ended and some wants want it. */
static void track_scalar(struct scan *s, enum hk_json_kind kind, size_t start)
{
    for (uint32_t w = 0; w < s->nt; w++) {
        struct track *t = &s->tr[w];
        if (t->pend == s->depth + 1) {
            t->want->kind = kind;
            t->want->len = s->i - start;
            t->pend = 0;
        }
    }
    s->ntarget = 0;
}

/* The container at level s->depth, some want's value, ends just before end. */
static void track_close(struct scan *s, size_t end)
{
    for (uint32_t w = 0; w < s->nt; w++) {
        struct track *t = &s->tr[w];
        if (t->pend == s->depth) {
            t->want->len = end - t->want->off;
            t->pend = 0;
        }
    }
}

/* Bit-stack words are cleared only when the scan first climbs into them, and a level's bits
 * are cleared when its container closes, so a short document costs three stores, not a
 * memset of the whole stack. */
static void stack_word_reset(struct scan *s, uint32_t word)
{
    s->is_obj[word] = s->interest[word] = s->watch[word] = 0;
}

static inline __attribute__((always_inline)) enum state close_container(struct scan *s, size_t at)
{
    if (bit_get(s->watch, s->depth))
        track_close(s, at + 1);
    bit_put(s->interest, s->depth, false);
    bit_put(s->watch, s->depth, false);
    s->i = at + 1;
    s->depth--;
    return s->depth ? ST_AFTER : ST_END;
}

static inline __attribute__((always_inline)) enum state open_container(struct scan *s, bool obj)
{
    uint8_t closer = obj ? '}' : ']';
    s->depth++;
    if (s->depth % WORD_BITS == 0)
        stack_word_reset(s, s->depth / WORD_BITS);
    bit_put(s->is_obj, s->depth, obj);
    if (bit_get(s->interest, s->depth - 1))
        track_open(s, obj);
    size_t i = skip_ws(s->p, s->n, s->i + 1);
    if (i < s->n && s->p[i] == closer)
        return close_container(s, i);
    s->i = i;
    return obj ? ST_KEY : ST_VALUE;
}

static inline __attribute__((always_inline)) enum state on_scalar(struct scan *s)
{
    enum hk_json_kind kind = HK_JSON_STRING;
    size_t start = s->i;
    const char *why;
    bool escaped;
    uint8_t c = s->p[start];
    if (c == '"')
        why = string_scan(s->p, s->n, &s->i, &escaped);
    else if (c == '-' || is_digit(c))
        why = number_check(s->p, s->n, &s->i, &kind);
    else if (c == 't' || c == 'f' || c == 'n')
        why = literal_check(s->p, s->n, &s->i, &kind);
    else
        return fail(s, start, "a value expected");
    if (why)
        return fail(s, s->i, why);
    if (s->ntarget)
        track_scalar(s, kind, start);
    if (kind != HK_JSON_STRING)
        s->i = skip_lookahead_nul(s->p, s->n, s->i);
    return ST_AFTER;
}

static inline __attribute__((always_inline)) enum state on_value(struct scan *s)
{
    size_t i = skip_ws(s->p, s->n, s->i);
    if (i == s->n)
        return fail(s, i, "unexpected end of input: a value expected");
    /* jansson counts every value as a level, scalars too (load.c parse_value), so a value
     * inside HK_JSON_MAX_DEPTH open containers is one level too deep. */
    if (s->depth == HK_JSON_MAX_DEPTH)
        return fail(s, i, "nesting deeper than HK_JSON_MAX_DEPTH");
    s->i = i;
    if (bit_get(s->interest, s->depth))
        track_value(s);
    if (s->p[i] == '{' || s->p[i] == '[')
        return open_container(s, s->p[i] == '{');
    return on_scalar(s);
}

static inline __attribute__((always_inline)) enum state on_key(struct scan *s)
{
    size_t i = skip_ws(s->p, s->n, s->i);
    if (i == s->n || s->p[i] != '"')
        return fail(s, i, "a string key expected");
    s->i = i;
    const char *why = string_scan(s->p, s->n, &s->i, &s->key_esc);
    if (why)
        return fail(s, s->i, why);
    s->key_off = i + 1;
    s->key_len = s->i - 1 - s->key_off;
    i = skip_ws(s->p, s->n, s->i);
    if (i == s->n || s->p[i] != ':')
        return fail(s, i, "':' expected after an object key");
    s->i = i + 1;
    return ST_VALUE;
}

static inline __attribute__((always_inline)) enum state on_after(struct scan *s)
{
    size_t i = skip_ws(s->p, s->n, s->i);
    bool obj = bit_get(s->is_obj, s->depth);
    if (i == s->n)
        return fail(s, i, "unexpected end of input: ',' or a closing bracket expected");
    if (s->p[i] == ',') {
        s->i = i + 1;
        return obj ? ST_KEY : ST_VALUE;
    }
    if (s->p[i] == (obj ? '}' : ']'))
        return close_container(s, i);
    return fail(s, i, obj ? "',' or '}' expected" : "',' or ']' expected");
}

static enum state on_end(struct scan *s)
{
    size_t i = skip_ws(s->p, s->n, s->i);
    return i == s->n ? ST_DONE : fail(s, i, "trailing bytes after the JSON text");
}

/* jansson without JSON_DECODE_ANY takes only an object or an array at the top. */
static enum state on_start(struct scan *s)
{
    size_t i = skip_ws(s->p, s->n, 0);
    if (i == s->n)
        return fail(s, i, "empty input: an object or array expected");
    if (s->p[i] != '{' && s->p[i] != '[')
        return fail(s, i, "the top-level value must be an object or array");
    s->i = i;
    return ST_VALUE;
}

static void scan_init(struct scan *s, const uint8_t *p, size_t n, struct hk_json_want *want,
                      size_t nwant, struct hk_json_error *err)
{
    s->p = p;
    s->n = p ? n : 0;
    s->i = 0;
    s->depth = 0;
    s->nt = 0;
    s->ntarget = 0;
    s->err = err;
    stack_word_reset(s, 0);
    for (size_t w = 0; w < nwant; w++) {
        struct track *t = &s->tr[s->nt];
        want[w].kind = HK_JSON_ABSENT;
        want[w].off = want[w].len = 0;
        if (!pointer_parse(want[w].pointer, &t->k))
            continue;
        t->want = &want[w];
        t->m = t->pend = 0;
        t->count = NO_INDEX;
        if (t->k > 0)
            track_token(t, 1);
        s->nt++;
    }
    bit_put(s->interest, 0, s->nt > 0);
}

/* Validates the text and fills at most WANT_BATCH wants. */
static int scan_pass(const uint8_t *p, size_t n, struct hk_json_want *want, size_t nwant,
                     struct hk_json_error *err)
{
    struct scan s;
    scan_init(&s, p, n, want, nwant, err);
    /* Every state jumps straight to the next one: with the handlers inline, each jump site
     * is its own branch, which the processor predicts far better than one shared switch. */
#define NEXT(handler)                                                                              \
    switch (handler(&s)) {                                                                         \
    case ST_VALUE:                                                                                 \
        goto value;                                                                                \
    case ST_KEY:                                                                                   \
        goto key;                                                                                  \
    case ST_AFTER:                                                                                 \
        goto after;                                                                                \
    case ST_END:                                                                                   \
        goto end;                                                                                  \
    case ST_DONE:                                                                                  \
        return 0;                                                                                  \
    case ST_FAIL:                                                                                  \
        return HK_EPARSE;                                                                          \
    }                                                                                              \
    return HK_EPARSE
    NEXT(on_start);
value:
    NEXT(on_value);
key:
    NEXT(on_key);
after:
    NEXT(on_after);
end:
    NEXT(on_end);
#undef NEXT
}

int hk_json_scan(const uint8_t *p, size_t n, struct hk_json_want *want, size_t nwant,
                 struct hk_json_error *err)
{
    size_t batch = nwant < WANT_BATCH ? nwant : WANT_BATCH;
    int rc = scan_pass(p, n, want, batch, err);
    for (size_t done = batch; rc == 0 && done < nwant; done += batch) {
        batch = nwant - done < WANT_BATCH ? nwant - done : WANT_BATCH;
        rc = scan_pass(p, n, want + done, batch, err);
    }
    return rc;
}

/*** helpers for the values found ***/

int hk_json_string(const uint8_t *p, size_t n, char *out, size_t cap, size_t *out_len)
{
    size_t end = 0, o = 0;
    bool escaped;
    if (!p || n < 2 || p[0] != '"' || string_scan(p, n, &end, &escaped) || end != n)
        return HK_EPARSE;
    for (size_t i = 1; i < n - 1;) {
        const uint8_t *bs = escaped ? memchr(p + i, '\\', n - 1 - i) : NULL;
        size_t run = (bs ? (size_t)(bs - p) : n - 1) - i;
        uint8_t unit[4];
        size_t ulen = run ? run : decode_unit(p, n - 1, &i, unit);
        if (cap - o <= ulen)
            return HK_ERANGE;
        memcpy(out + o, run ? p + i : unit, ulen);
        i += run;
        o += ulen;
    }
    if (o >= cap)
        return HK_ERANGE;
    out[o] = '\0';
    if (out_len)
        *out_len = o;
    return 0;
}

int hk_json_integer(const uint8_t *p, size_t n, int64_t *out)
{
    struct number num;
    size_t end = 0;
    if (!p || n == 0 || number_scan(p, n, &end, &num) || end != n || num.real)
        return HK_EPARSE;
    if (!int_fits(p, &num))
        return HK_ERANGE;
    uint64_t mag = 0;
    for (size_t i = num.start; i < n; i++)
        mag = mag * 10 + (uint64_t)(p[i] - '0');
    /* -(mag - 1) - 1 reaches INT64_MIN without overflowing */
    *out = num.neg && mag ? -(int64_t)(mag - 1) - 1 : (int64_t)mag;
    return 0;
}

void hk_json_position(const char *text, size_t n, size_t off, int *line, int *col)
{
    size_t ln = 1, start = 0;
    if (off > n)
        off = n;
    for (const char *nl; start < off && (nl = memchr(text + start, '\n', off - start));) {
        start = (size_t)(nl - text) + 1;
        ln++;
    }
    size_t cl = off - start + 1;
    *line = ln > INT_MAX ? INT_MAX : (int)ln;
    *col = cl > INT_MAX ? INT_MAX : (int)cl;
}
