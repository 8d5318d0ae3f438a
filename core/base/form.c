/* form.c -- finding one field of an application/x-www-form-urlencoded body.
 *
 * Fields are separated by '&' (never ';'); a field without '=' has the empty value. Names
 * are compared after decoding, so "trigger%5Fid" finds trigger_id. A NUL byte, raw or as
 * %00, is refused like a bad escape: the value is handed out as a C string, and a NUL inside
 * it would make two readers see two different values. */
#include "base/form.h"

#include "base/codec.h"
#include "base/err.h"

#include <stdbool.h>
#include <string.h>

/* Decodes the byte at p[*i] (advancing *i past it). -1 on a bad escape, %00 or a raw NUL. */
static int next_byte(const uint8_t *p, size_t n, size_t *i)
{
    uint8_t c = p[(*i)++];
    if (c == 0)
        return -1;
    if (c == '+')
        return ' ';
    if (c != '%')
        return c;
    if (n - *i < 2)
        return -1;
    int hi = hk_hex_digit(p[*i]), lo = hk_hex_digit(p[*i + 1]);
    *i += 2;
    if (hi < 0 || lo < 0 || (hi == 0 && lo == 0))
        return -1;
    return hi << 4 | lo;
}

/* Whether the encoded name p[0..n) decodes to name. 1, 0, or HK_EPARSE. */
static int name_is(const uint8_t *p, size_t n, const char *name)
{
    size_t i = 0, k = 0, want = strlen(name);
    bool same = true;
    while (i < n) {
        int c = next_byte(p, n, &i);
        if (c < 0)
            return HK_EPARSE;
        same = same && k < want && (uint8_t)name[k] == c;
        k++;
    }
    return same && k == want;
}

int hk_form_decode(const uint8_t *p, size_t n, char *out, size_t cap, size_t *out_len)
{
    size_t i = 0, k = 0;
    while (i < n) {
        int c = next_byte(p, n, &i);
        if (c < 0)
            return HK_EPARSE;
        if (k + 1 >= cap)
            return HK_ERANGE;
        out[k++] = (char)c;
    }
    if (cap == 0)
        return HK_ERANGE;
    out[k] = 0;
    *out_len = k;
    return 0;
}

int hk_form_find(const uint8_t *p, size_t n, const char *name, char *out, size_t cap,
                 size_t *out_len)
{
    size_t start = 0;
    if (n == 0 || !*name)
        return HK_ENOENT;
    while (start <= n) {
        const uint8_t *amp = memchr(p + start, '&', n - start);
        size_t end = amp ? (size_t)(amp - p) : n;
        const uint8_t *eq = memchr(p + start, '=', end - start);
        size_t name_end = eq ? (size_t)(eq - p) : end;
        int is = name_is(p + start, name_end - start, name);
        if (is < 0)
            return is;
        if (is) {
            size_t v = eq ? name_end + 1 : end;
            return hk_form_decode(p + v, end - v, out, cap, out_len);
        }
        start = end + 1;
    }
    return HK_ENOENT;
}
