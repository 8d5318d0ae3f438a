/* fuzz_wire.c -- libFuzzer target for the worker messages (plugin/wire.h): any bytes, taken
 * as a frame, decode as their type or fail with HK_EINVAL, never read past the input; what
 * decodes encodes back to the very same bytes. */
#include "base/err.h"
#include "plugin/wire.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Every borrowed string lies inside the frame. */
static void inside(const uint8_t *p, size_t n, struct hk_wire_str s)
{
    if ((const uint8_t *)s.p < p || (const uint8_t *)s.p + s.n > p + n)
        abort();
}

static void same(const uint8_t *p, size_t n, struct hk_buf *b)
{
    if (b->len != n || memcmp(b->data, p, n) != 0)
        abort();
    hk_buf_free(b);
}

static void roundtrip(const uint8_t *p, size_t n, int type)
{
    struct hk_buf b = {0};
    int rc = HK_EINVAL;
    if (type == HK_WIRE_INIT) {
        struct hk_wire_init m;
        if ((rc = hk_wire_get_init(p, n, &m)) == 0) {
            inside(p, n, m.name);
            inside(p, n, m.config);
            hk_wire_put_init(&b, &m);
        }
    } else if (type == HK_WIRE_HELLO) {
        static struct hk_wire_hello m;
        if ((rc = hk_wire_get_hello(p, n, &m)) == 0) {
            for (uint32_t i = 0; i < m.nsubscribe; i++)
                inside(p, n, m.subscribe[i]);
            hk_wire_put_hello(&b, &m);
        }
    } else if (type == HK_WIRE_EVENT) {
        struct hk_wire_event m;
        if ((rc = hk_wire_get_event(p, n, &m)) == 0) {
            inside(p, n, m.body);
            hk_wire_put_event(&b, &m);
        }
    } else {
        static struct hk_wire_result m;
        if ((rc = hk_wire_get_result(p, n, &m)) == 0) {
            for (uint32_t i = 0; i < m.nmetrics; i++)
                inside(p, n, m.metrics[i].name);
            hk_wire_put_result(&b, &m);
        }
    }
    if (rc == 0)
        same(p, n, &b);
    else if (rc != HK_EINVAL)
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    int64_t len = hk_wire_frame_len(data, size);
    if (len < 0 && len != HK_EINVAL)
        abort();
    if (len <= 0 || (size_t)len > size)
        return 0;
    int type = hk_wire_type(data, (size_t)len);
    if (type == HK_EINVAL)
        return 0;
    roundtrip(data, (size_t)len, type);
    return 0;
}
