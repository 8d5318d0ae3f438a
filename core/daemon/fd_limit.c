/* fd_limit.c -- raising the open-file limit at start and capping connections below it. */
#include "daemon/fd_limit.h"

#include "base/log.h"

#include <stdio.h>
#include <sys/resource.h>

unsigned hk_fd_connection_cap(unsigned long long nofile)
{
    unsigned long long cap = nofile > HK_FD_RESERVE + 16 ? nofile - HK_FD_RESERVE : 16;
    return cap > 4000000000ull ? 4000000000u : (unsigned)cap;
}

unsigned hk_fd_limit_raise(const struct hk_conf *c)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
        return 0; /* unknown: max_connections alone decides */
    rlim_t before = rl.rlim_cur;
    if (rl.rlim_cur != rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        if (setrlimit(RLIMIT_NOFILE, &rl) != 0)
            rl.rlim_cur = before;
    }
    unsigned cap = hk_fd_connection_cap(rl.rlim_cur == RLIM_INFINITY ? 1ull << 31 : rl.rlim_cur);
    char limit[64];
    snprintf(limit, sizeof limit, "%llu (hard %llu)", (unsigned long long)rl.rlim_cur,
             (unsigned long long)rl.rlim_max);
    if (c->limits.max_connections > cap)
        hk_log(HK_LOG_WARN, "max_connections is more than the open-file limit allows: capped",
               HK_I("max_connections", c->limits.max_connections), HK_I("capped_at", cap),
               HK_S("open_file_limit", limit), HK_I("kept_for_hookd", HK_FD_RESERVE),
               HK_S("fix", "raise the limit (systemd LimitNOFILE=, ulimit -n) or lower "
                           "limits.max_connections"));
    else if (rl.rlim_cur != before)
        hk_log(HK_LOG_DEBUG, "open-file limit raised", HK_S("open_file_limit", limit));
    return cap;
}
