/* fuzz_proxy_proto.c -- libFuzzer target for hk_proxy_parse.
 *
 * Besides memory errors it checks the parser's promises: an accepted header lies within the
 * input and the accepted maximum, every shorter prefix of it asks for more, and "need more"
 * is only ever said while a header could still fit. */
#include "base/err.h"
#include "net/proxy_proto.h"

#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    size_t consumed = 0, c2;
    struct hk_addr src, a2;
    bool local = false, l2;
    int rc = hk_proxy_parse(data, size, &consumed, &src, &local);
    if (rc != 0 && rc != HK_PROXY_NEED_MORE && rc != HK_EPARSE)
        abort();
    if (rc == HK_PROXY_NEED_MORE && size >= HK_PROXY_MAX_HEADER)
        abort();
    if (rc != 0)
        return 0;
    if (consumed == 0 || consumed > size || consumed > HK_PROXY_MAX_HEADER)
        abort();
    for (size_t k = 0; k < consumed; k++)
        if (hk_proxy_parse(data, k, &c2, &a2, &l2) != HK_PROXY_NEED_MORE)
            abort();
    return 0;
}
