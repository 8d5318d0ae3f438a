/* json_write.c -- JSON string quoting. */
#include "base/json_write.h"

#include "base/err.h"

int hk_json_put_string(struct hk_buf *b, const char *s, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    int rc = hk_buf_reserve(b, n + 2);
    if (rc)
        return rc;
    b->data[b->len++] = '"';
    for (size_t i = 0; i < n && rc == 0; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '"' || c == '\\') {
            char esc[2] = {'\\', (char)c};
            rc = hk_buf_append(b, esc, 2);
        } else if (c < 0x20) {
            char esc[6] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 15]};
            rc = hk_buf_append(b, esc, 6);
        } else {
            rc = hk_buf_append(b, &c, 1);
        }
    }
    return rc ? rc : hk_buf_append(b, "\"", 1);
}
