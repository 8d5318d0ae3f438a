/* buf.c -- growable byte buffer. */
#include "base/buf.h"

#include "base/err.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define BUF_MIN_CAP 256

int hk_buf_reserve(struct hk_buf *b, size_t n)
{
    if (b->cap - b->len >= n)
        return 0;
    if (n > SIZE_MAX / 2 - b->len)
        return HK_ENOMEM;
    size_t cap = b->cap ? b->cap : BUF_MIN_CAP;
    while (cap - b->len < n)
        cap *= 2;
    uint8_t *p = realloc(b->data, cap);
    if (!p)
        return HK_ENOMEM;
    b->data = p;
    b->cap = cap;
    return 0;
}

int hk_buf_append_grow(struct hk_buf *b, const void *p, size_t n)
{
    int rc = hk_buf_reserve(b, n);
    if (rc)
        return rc;
    memcpy(b->data + b->len, p, n);
    b->len += n;
    return 0;
}

int hk_buf_printf(struct hk_buf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0)
        return HK_EINVAL;
    int rc = hk_buf_reserve(b, (size_t)n + 1);
    if (rc)
        return rc;
    va_start(ap, fmt);
    vsnprintf((char *)b->data + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
    return 0;
}

void hk_buf_consume(struct hk_buf *b, size_t n)
{
    if (n >= b->len) {
        b->len = 0;
        return;
    }
    memmove(b->data, b->data + n, b->len - n);
    b->len -= n;
}

void hk_buf_free(struct hk_buf *b)
{
    free(b->data);
    b->data = NULL;
    b->len = b->cap = 0;
}

uint8_t *hk_buf_steal(struct hk_buf *b)
{
    uint8_t *p = b->data;
    b->data = NULL;
    b->len = b->cap = 0;
    return p;
}
