/* buf.h -- a growable byte buffer. Not thread-safe; owned by whoever embeds it. */
#ifndef HK_BUF_H
#define HK_BUF_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

struct hk_buf {
    uint8_t *data; /* owned; NULL until the first append */
    size_t len;
    size_t cap;
};

/* Makes room for at least n more bytes. 0 or HK_ENOMEM (the buffer is unchanged then). */
int hk_buf_reserve(struct hk_buf *b, size_t n);
/* hk_buf_append when the bytes do not fit: grows the buffer first. */
int hk_buf_append_grow(struct hk_buf *b, const void *p, size_t n);

/* Appends n bytes. 0 or HK_ENOMEM. Inline: answers and log lines are made of many small
 * appends, and a literal's length and copy then fold into a few moves. */
static inline int hk_buf_append(struct hk_buf *b, const void *p, size_t n)
{
    if (b->cap - b->len < n || !n)
        return n ? hk_buf_append_grow(b, p, n) : 0;
    memcpy(b->data + b->len, p, n);
    b->len += n;
    return 0;
}

/* Appends a NUL-terminated string without its NUL. */
static inline int hk_buf_puts(struct hk_buf *b, const char *s)
{
    return hk_buf_append(b, s, strlen(s));
}
/* Appends printf-style text. 0 or HK_ENOMEM. */
int hk_buf_printf(struct hk_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Drops the first n bytes (n <= len). */
void hk_buf_consume(struct hk_buf *b, size_t n);
/* Frees the storage and empties the buffer. */
void hk_buf_free(struct hk_buf *b);
/* Ownership of the bytes passes to the caller (free() them); the buffer is emptied. */
uint8_t *hk_buf_steal(struct hk_buf *b);

#endif
