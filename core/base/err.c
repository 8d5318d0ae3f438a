/* err.c -- texts for the codes of err.h. */
#include "base/err.h"

#include <string.h>

const char *hk_strerror(int err)
{
    switch (err) {
#define HK_ERR_CASE_(name, value, text)                                                            \
    case value:                                                                                    \
        return text;
        HK_ERRNO_MAP(HK_ERR_CASE_)
#undef HK_ERR_CASE_
    case 0:
        return "success";
    default:
        return err < 0 && err > -4096 ? strerror(-err) : "unknown error";
    }
}
