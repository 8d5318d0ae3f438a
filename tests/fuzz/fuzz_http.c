/* fuzz_http.c -- the request parser on arbitrary bytes. The input is parsed whole and again
 * split in two at a position taken from the input: the sequence of events, statuses, paths,
 * header counts and body lengths must be the same, since TCP may cut a request anywhere. */
#include "net/http.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static const struct hk_limits limits = {.max_body_bytes = 4096,
                                        .max_header_bytes = 2048,
                                        .header_timeout_ms = 1000,
                                        .body_timeout_ms = 1000,
                                        .idle_timeout_ms = 1000,
                                        .max_connections = 1};

static uint64_t mix(uint64_t h, uint64_t v)
{
    return (h ^ v) * 1099511628211ull;
}

static uint64_t run(const uint8_t *data, size_t n, size_t split)
{
    struct hk_http h;
    uint64_t digest = 1469598103934665603ull;
    size_t pos = 0;
    bool again = false;
    hk_http_init(&h, &limits);
    while (pos < n || again) {
        size_t end = split && pos < split ? split : n, used = 0;
        enum hk_http_event ev = hk_http_feed(&h, data + pos, end - pos, &used);
        pos += used;
        again = ev == HK_HTTP_HEAD;
        if (ev == HK_HTTP_NEED_MORE && end == n)
            break;
        if (ev == HK_HTTP_NEED_MORE)
            continue;
        digest = mix(digest, (uint64_t)ev);
        if (ev == HK_HTTP_HEAD) {
            digest = mix(digest, h.req.nheaders);
            digest = mix(digest, h.req.path_len);
            for (size_t i = 0; i < h.req.nheaders; i++)
                digest =
                    mix(digest, h.req.headers[i].name_len * 65536 + h.req.headers[i].value_len);
        } else if (ev == HK_HTTP_MESSAGE) {
            digest = mix(digest, h.req.body.len);
            hk_http_next(&h);
        } else {
            digest = mix(digest, (uint64_t)h.error_status);
            break;
        }
    }
    hk_http_free(&h);
    return digest;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t n);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t n)
{
    if (n < 2)
        return 0;
    size_t split = 1 + data[0] % (n - 1);
    if (run(data + 1, n - 1, 0) != run(data + 1, n - 1, split))
        abort(); /* the parser's outcome depended on where the bytes were cut */
    return 0;
}
