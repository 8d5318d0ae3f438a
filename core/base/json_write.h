/* json_write.h -- writing small JSON texts (answers, log-plugin lines) without a tree. */
#ifndef HK_JSON_WRITE_H
#define HK_JSON_WRITE_H

#include "base/buf.h"

#include <stddef.h>

/* Appends s[0..n) as a quoted JSON string, escaping '"', '\\' and control characters;
 * bytes >= 0x80 are copied as they are (the caller passes UTF-8). 0 or HK_ENOMEM. */
int hk_json_put_string(struct hk_buf *b, const char *s, size_t n);

#endif
