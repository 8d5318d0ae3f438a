/* json_write.c -- JSON string quoting. */
#include "base/json_write.h"

#include "base/err.h"

#include <stdbool.h>

static bool plain(unsigned char c)
{
    return c >= 0x20 && c != '"' && c != '\\';
}

/* Plain runs are copied whole: this writes the id of every answer. */
int hk_json_put_string(struct hk_buf *b, const char *s, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    int rc = hk_buf_append(b, "\"", 1);
    for (size_t i = 0; i < n && rc == 0;) {
        size_t run = i;
        while (run < n && plain((unsigned char)s[run]))
            run++;
        rc = hk_buf_append(b, s + i, run - i);
        if (run == n || rc)
            break;
        unsigned char c = (unsigned char)s[run];
        if (c == '"' || c == '\\') {
            char esc[2] = {'\\', (char)c};
            rc = hk_buf_append(b, esc, 2);
        } else {
            char esc[6] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 15]};
            rc = hk_buf_append(b, esc, 6);
        }
        i = run + 1;
    }
    return rc ? rc : hk_buf_append(b, "\"", 1);
}
