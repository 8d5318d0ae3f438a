/* fd_limit.h -- the open-file limit and the connections it allows. */
#ifndef HK_FD_LIMIT_H
#define HK_FD_LIMIT_H

#include "conf/conf.h"

/* Descriptors kept for everything but client connections: the store and its journal, the
 * listeners of every loop, the loops' own (epoll, eventfd, timers), plugins' files, worker
 * pipes, the admin API. */
#define HK_FD_RESERVE 256

/* Raises the soft RLIMIT_NOFILE to the hard one, and returns the connections that fit
 * (soft limit minus HK_FD_RESERVE, at least 16). When c's max_connections is more than that,
 * says so once with both numbers and the fix. Start-up, control thread. */
unsigned hk_fd_limit_raise(const struct hk_conf *c);
/* The connections that fit below nofile (a soft limit). */
unsigned hk_fd_connection_cap(unsigned long long nofile);

#endif
