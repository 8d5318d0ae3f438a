/* addr.c -- client addresses: text, sockaddr, and the real client behind trusted proxies.
 *
 * X-Forwarded-For entries are read as proxies write them: "203.0.113.7", "2001:db8::1", and,
 * because some proxies (IIS/ARR, Azure Application Gateway) append the client's port,
 * "203.0.113.7:51234", "[2001:db8::1]:51234" and "[2001:db8::1]". The port is dropped: only
 * the address is ever compared. A bare IPv6 address is never read as having a port (its
 * colons are ambiguous), so a port on IPv6 needs the brackets. Anything else, such as
 * "unknown" or an obfuscated RFC 7239 name, is malformed. */
#include "base/addr.h"

#include "base/err.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

#define V4_MAPPED_PREFIX_LEN 12
#define XFF_HEADER           "x-forwarded-for"
#define PORT_DIGITS_MAX      5
#define PORT_MAX             65535

static const uint8_t v4_mapped_prefix[V4_MAPPED_PREFIX_LEN] = {0, 0, 0, 0, 0,    0,
                                                               0, 0, 0, 0, 0xff, 0xff};

static void map_v4(const void *v4, struct hk_addr *out)
{
    memcpy(out->b, v4_mapped_prefix, V4_MAPPED_PREFIX_LEN);
    memcpy(out->b + V4_MAPPED_PREFIX_LEN, v4, 4);
}

int hk_addr_parse(const char *s, size_t n, struct hk_addr *out)
{
    char text[INET6_ADDRSTRLEN];
    uint8_t bin[16];
    if (n == 0 || n >= sizeof text || memchr(s, 0, n))
        return HK_EINVAL;
    memcpy(text, s, n);
    text[n] = 0;
    /* glibc's inet_pton takes only the 4-part dotted quad, without leading zeros, so "010.1"
     * or "0x7f.1" (which inet_aton would read as octal or hex) are refused. */
    if (inet_pton(AF_INET, text, bin) == 1) {
        map_v4(bin, out);
        return 0;
    }
    if (inet_pton(AF_INET6, text, bin) == 1) {
        memcpy(out->b, bin, sizeof bin);
        return 0;
    }
    return HK_EINVAL;
}

int hk_addr_from_sockaddr(const struct sockaddr *sa, struct hk_addr *out)
{
    if (sa->sa_family == AF_INET) {
        const struct sockaddr_in *in = (const struct sockaddr_in *)sa;
        map_v4(&in->sin_addr, out);
        return 0;
    }
    if (sa->sa_family == AF_INET6) {
        const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)sa;
        memcpy(out->b, &in6->sin6_addr, sizeof out->b);
        return 0;
    }
    return HK_EINVAL;
}

void hk_addr_format(const struct hk_addr *a, char *out, size_t cap)
{
    char text[INET6_ADDRSTRLEN] = "?";
    if (memcmp(a->b, v4_mapped_prefix, V4_MAPPED_PREFIX_LEN) == 0)
        inet_ntop(AF_INET, a->b + V4_MAPPED_PREFIX_LEN, text, sizeof text);
    else
        inet_ntop(AF_INET6, a->b, text, sizeof text);
    snprintf(out, cap, "%s", text);
}

/* ":port" with 1 to 5 digits, at most 65535. */
static bool is_port(const char *s, size_t n)
{
    unsigned v = 0;
    if (n < 2 || n > 1 + PORT_DIGITS_MAX || s[0] != ':')
        return false;
    for (size_t i = 1; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return false;
        v = v * 10 + (unsigned)(s[i] - '0');
    }
    return v <= PORT_MAX;
}

/* One X-Forwarded-For entry, trimmed; see the top of the file for the forms. */
static int parse_xff_entry(const char *s, size_t n, struct hk_addr *out)
{
    if (s[0] == '[') {
        const char *close = memchr(s, ']', n);
        if (!close || !memchr(s, ':', (size_t)(close - s)))
            return HK_EINVAL;
        size_t rest = n - (size_t)(close - s) - 1;
        if (rest && !is_port(close + 1, rest))
            return HK_EINVAL;
        return hk_addr_parse(s + 1, (size_t)(close - s) - 1, out);
    }
    const char *colon = memchr(s, ':', n);
    if (colon && !memchr(colon + 1, ':', n - (size_t)(colon - s) - 1)) {
        if (!is_port(colon, n - (size_t)(colon - s)))
            return HK_EINVAL;
        return hk_addr_parse(s, (size_t)(colon - s), out);
    }
    return hk_addr_parse(s, n, out);
}

static bool is_blank(char c)
{
    return c == ' ' || c == '\t';
}

/* Walks one header's entries right to left, leaving the last one read in *client. Returns 1
 * when that one is not trusted (it is the client), 0 to go on with the header to the left,
 * or HK_EPARSE. */
static int walk_header(const char *v, size_t end, const struct hk_ipset *trusted,
                       struct hk_addr *client)
{
    for (;;) {
        size_t start = end;
        while (start > 0 && v[start - 1] != ',')
            start--;
        size_t a = start, b = end;
        while (a < b && is_blank(v[a]))
            a++;
        while (b > a && is_blank(v[b - 1]))
            b--;
        if (b > a) {
            struct hk_addr addr;
            if (parse_xff_entry(v + a, b - a, &addr))
                return HK_EPARSE;
            *client = addr;
            if (!hk_ipset_contains(trusted, &addr))
                return 1;
        }
        if (start == 0)
            return 0;
        end = start - 1;
    }
}

int hk_client_addr(const struct hk_addr *peer, const struct hk_ipset *trusted,
                   const struct hk_header *h, size_t nh, struct hk_addr *client)
{
    struct hk_addr found = *peer;
    *client = *peer;
    if (!trusted || !hk_ipset_contains(trusted, peer))
        return 0;
    /* Right to left: each trusted proxy appended what it saw, so everything left of the
     * first untrusted entry was written by the client and may be forged. */
    for (size_t i = nh; i-- > 0;) {
        if (!hk_span_ieq(h[i].name, h[i].name_len, XFF_HEADER))
            continue;
        int rc = walk_header(h[i].value, h[i].value_len, trusted, &found);
        if (rc < 0)
            return rc;
        if (rc == 1)
            break;
    }
    /* Otherwise every entry was trusted and found is the leftmost one (or the peer). */
    *client = found;
    return 0;
}
