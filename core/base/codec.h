/* codec.h -- hex and base64 for signatures, a constant-time comparison, and decimal digits
 * without printf. */
#ifndef HK_CODEC_H
#define HK_CODEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The value of one hex digit (either case), or -1. */
int hk_hex_digit(int c);
/* Decodes hex (either case) s[0..n) into out; n must be even and n/2 <= cap. Returns the
 * number of bytes written, or -1 if s is not exactly that. */
long hk_hex_decode(const char *s, size_t n, uint8_t *out, size_t cap);
/* Writes 2n lowercase hex digits and a NUL into out (2n+1 bytes). */
void hk_hex_encode(const uint8_t *p, size_t n, char *out);
/* Decodes standard base64 (RFC 4648 section 4) with or without '=' padding; with url set,
 * the URL-safe alphabet ('-', '_') is accepted too. Returns the byte count, or -1 on any
 * invalid character, bad length, non-zero trailing bits, or more than cap bytes. */
long hk_base64_decode(const char *s, size_t n, uint8_t *out, size_t cap, bool url);
/* Writes padded standard base64 and a NUL into out (4*ceil(n/3)+1 bytes); returns length. */
size_t hk_base64_encode(const uint8_t *p, size_t n, char *out);
/* True if a[0..n) == b[0..n); the time taken depends only on n. */
bool hk_ct_equal(const uint8_t *a, const uint8_t *b, size_t n);

/* Writes the decimal digits of v, at least width of them (zeros in front), so that they end
 * just before end; returns where they start. Up to 20 digits: give it that much room. */
char *hk_decimal(char *end, uint64_t v, int width);

#endif
