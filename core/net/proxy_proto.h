/* proxy_proto.h -- the PROXY protocol (HAProxy, versions 1 and 2) on a listener.
 *
 * When a listener sets "proxy_protocol": true, every connection must start with a PROXY
 * header that tells the real client address; a connection without one is closed. */
#ifndef HK_PROXY_PROTO_H
#define HK_PROXY_PROTO_H

#include "base/addr.h"

#include <stddef.h>
#include <stdint.h>

#define HK_PROXY_NEED_MORE  1   /* positive: not an error, more bytes are needed */
#define HK_PROXY_MAX_HEADER 536 /* v2: 16 + 520 bytes at most that we accept */

/* Parses a PROXY v1 ("PROXY TCP4 ...\r\n") or v2 (binary signature) header at the start of
 * p[0..n). Returns 0 with *consumed = header length and *src = the source address, and
 * *local = true when the header says LOCAL / UNKNOWN (health checks: keep the peer address);
 * HK_PROXY_NEED_MORE if p is a valid prefix of a header; HK_EPARSE if it is not one. */
int hk_proxy_parse(const uint8_t *p, size_t n, size_t *consumed, struct hk_addr *src, bool *local);

#endif
