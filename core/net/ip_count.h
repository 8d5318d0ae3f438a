/* ip_count.h -- open connections per client address, shared by every I/O loop, so that
 * limits.max_connections_per_ip holds across loops (SO_REUSEPORT spreads one address's
 * connections over all of them). */
#ifndef HK_IP_COUNT_H
#define HK_IP_COUNT_H

#include "base/addr.h"

#include <stdbool.h>

struct hk_ip_count;

/* NULL when out of memory. */
struct hk_ip_count *hk_ip_count_new(void);
void hk_ip_count_free(struct hk_ip_count *t);
/* Counts one more connection of a unless a already holds max (max 0: no cap): true if it
 * was counted (hand it back with hk_ip_count_drop), false if refused or out of memory. Any
 * thread. */
bool hk_ip_count_take(struct hk_ip_count *t, const struct hk_addr *a, unsigned max);
void hk_ip_count_drop(struct hk_ip_count *t, const struct hk_addr *a);
/* Connections a holds now (for tests and logs). */
unsigned hk_ip_count_of(struct hk_ip_count *t, const struct hk_addr *a);

#endif
