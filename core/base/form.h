/* form.h -- application/x-www-form-urlencoded bodies (Slack slash commands, interactivity). */
#ifndef HK_FORM_H
#define HK_FORM_H

#include <stddef.h>
#include <stdint.h>

/* Finds field name in the form body p[0..n) and writes its percent- and '+'-decoded value,
 * NUL-terminated, into out. 0 with *out_len set; HK_ENOENT if absent; HK_ERANGE if it needs
 * more than cap bytes; HK_EPARSE on a bad percent escape. The first occurrence wins. */
int hk_form_find(const uint8_t *p, size_t n, const char *name, char *out, size_t cap,
                 size_t *out_len);

/* Decodes one encoded name or value p[0..n) ('+' is a space, %XX a byte) into out,
 * NUL-terminated. 0 with *out_len set; HK_ERANGE if it needs more than cap bytes; HK_EPARSE
 * on a bad escape or a NUL byte. */
int hk_form_decode(const uint8_t *p, size_t n, char *out, size_t cap, size_t *out_len);

#endif
