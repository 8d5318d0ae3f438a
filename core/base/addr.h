/* addr.h -- client addresses, CIDR sets and how the real client is found behind proxies.
 *
 * Every address is kept as 16 bytes: IPv6 as is, IPv4 as the v4-mapped IPv6 address
 * ::ffff:a.b.c.d, so one set holds both families and a v4-mapped peer matches v4 rules. */
#ifndef HK_ADDR_H
#define HK_ADDR_H

#include "base/header.h"
#include "base/jconf.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#define HK_ADDR_STRLEN 64

struct hk_addr {
    uint8_t b[16];
};

/* Parses "192.0.2.1", "2001:db8::1" or "::ffff:192.0.2.1" from s[0..n). 0 or HK_EINVAL. */
int hk_addr_parse(const char *s, size_t n, struct hk_addr *out);
/* From a sockaddr_in / sockaddr_in6. 0 or HK_EINVAL for other families. */
int hk_addr_from_sockaddr(const struct sockaddr *sa, struct hk_addr *out);
/* Writes the usual text form (dotted quad for v4-mapped addresses) into out. */
void hk_addr_format(const struct hk_addr *a, char *out, size_t cap);

/* An immutable set of CIDR prefixes. Lookup costs O(prefix length), independent of how many
 * entries there are. Built once per configuration, shared read-only by every thread. */
struct hk_ipset;

/* Builds a set from a JSON array of strings at arr: CIDRs ("10.0.0.0/8", "2001:db8::/32"),
 * single addresses (a /32 or /128) and preset names ("flagright", "flagright-eu", ...).
 * 0 with *out set (NULL when the array is absent), or HK_ECONF with the problem reported. */
int hk_ipset_parse(const struct hk_jcur *arr, struct hk_ipset **out);
bool hk_ipset_contains(const struct hk_ipset *s, const struct hk_addr *a);
void hk_ipset_free(struct hk_ipset *s);

/* The address of the real client. When peer is not in trusted (or trusted is NULL), it is
 * peer. Otherwise X-Forwarded-For (all such headers, in order, as one list) is read right to
 * left, skipping addresses in trusted; the first address not in trusted is the client; if
 * every entry is trusted, the leftmost one is. 0, or HK_EPARSE when an entry that had to be
 * read is not an address (the request is then refused rather than guessed at). */
int hk_client_addr(const struct hk_addr *peer, const struct hk_ipset *trusted,
                   const struct hk_header *h, size_t nh, struct hk_addr *client);

#endif
