/* header.h -- HTTP request headers as the parser collected them. */
#ifndef HK_HEADER_H
#define HK_HEADER_H

#include <stdbool.h>
#include <stddef.h>

/* One header line; both spans point into the request's header storage and are valid for
 * as long as the request is. The value has no leading or trailing whitespace. */
struct hk_header {
    const char *name;
    size_t name_len;
    const char *value;
    size_t value_len;
};

/* The first header named name (ASCII case-insensitive), or NULL. */
const struct hk_header *hk_header_find(const struct hk_header *h, size_t n, const char *name);
/* True if s[0..n) equals the NUL-terminated lit, ignoring ASCII case. */
bool hk_span_ieq(const char *s, size_t n, const char *lit);
/* True for the headers that carry the client's credentials (Authorization,
 * Proxy-Authorization, Cookie): never stored, never handed to a plugin, never shown. */
bool hk_header_is_credential(const char *name, size_t n);

#endif
