/* fuzz_form.c -- libFuzzer target for hk_form_find: the first byte picks a field name, the
 * rest is the body. A found value must fit the buffer, be NUL-terminated and hold no NUL. */
#include "base/err.h"
#include "base/form.h"

#include <stdlib.h>
#include <string.h>

#define VALUE_CAP 64

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const names[] = {"payload", "command", "trigger_id", "a", "a b", "%"};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char out[VALUE_CAP];
    size_t len = 0;
    if (size == 0)
        return 0;
    const char *name = names[data[0] % (sizeof names / sizeof names[0])];
    int rc = hk_form_find(data + 1, size - 1, name, out, sizeof out, &len);
    if (rc == 0 && (len >= sizeof out || out[len] != 0 || strlen(out) != len))
        abort();
    if (rc != 0 && rc != HK_ENOENT && rc != HK_ERANGE && rc != HK_EPARSE)
        abort();
    return 0;
}
