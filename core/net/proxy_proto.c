/* proxy_proto.c -- parsing the PROXY protocol header (HAProxy's proxy-protocol.txt, v1 and v2).
 *
 * Strict: a header is taken only in the exact form the specification gives, because the
 * bytes come before anything else on the connection and a lenient parser would let a client
 * that reaches the listener directly choose its own address. Incremental: with part of a
 * header, the answer is HK_PROXY_NEED_MORE as long as the bytes so far can still begin a
 * valid header (an address still being received is checked for its characters and length
 * only; the complete one is checked exactly), and HK_EPARSE as soon as they cannot.
 *
 * v1: "PROXY TCP4|TCP6 <src> <dst> <sport> <dport>\r\n" with single spaces, addresses of the
 * named family, ports 0-65535 without leading zeros, at most 107 bytes with the CRLF; or
 * "PROXY UNKNOWN[ anything]\r\n", a health check (local). v2: the 12-byte signature, version
 * 2, command LOCAL (local) or PROXY, family/protocol, 16-bit length, addresses, then TLVs,
 * which are checked for framing and otherwise skipped. PROXY over UNSPEC or AF_UNIX is local;
 * over INET/INET6 only STREAM (TCP) is accepted: hookd serves no datagrams. */
#include "net/proxy_proto.h"

#include "base/err.h"

#include <string.h>

#define V1_PREFIX       "PROXY "
#define V1_MAX_LINE     107 /* with the CRLF */
#define V1_FIELDS       4   /* src dst sport dport */
#define V4_TEXT_MAX     15
#define V6_TEXT_MAX     45
#define PORT_DIGITS_MAX 5
#define PORT_MAX        65535

#define V2_SIG_LEN      12
#define V2_HEADER_LEN   16
#define V2_VERSION      0x2
#define V2_CMD_LOCAL    0x0
#define V2_CMD_PROXY    0x1
#define V2_AF_UNSPEC    0x0
#define V2_AF_INET      0x1
#define V2_AF_INET6     0x2
#define V2_AF_UNIX      0x3
#define V2_PROTO_STREAM 0x1
#define V2_PROTO_MAX    0x2
#define V2_INET_LEN     12  /* 2 x 4 address bytes + 2 x 2 port bytes */
#define V2_INET6_LEN    36  /* 2 x 16 + 2 x 2 */
#define V2_UNIX_LEN     216 /* 2 x 108 */
#define V2_TLV_HEAD     3   /* type, 16-bit length */

static const uint8_t v2_sig[V2_SIG_LEN] = {0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D,
                                           0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A};

/* ---- v1 ---- */

enum v1_family { V1_TCP4, V1_TCP6, V1_UNKNOWN, V1_FAMILIES };
static const char *const v1_family_names[V1_FAMILIES] = {"TCP4", "TCP6", "UNKNOWN"};

static bool is_prefix_of(const char *s, size_t n, const char *word)
{
    return n <= strlen(word) && memcmp(s, word, n) == 0;
}

/* A port, or (partial) the start of one: digits, no leading zero, at most 65535. */
static bool port_ok(const char *s, size_t n, bool partial)
{
    unsigned v = 0;
    if ((n == 0 && !partial) || n > PORT_DIGITS_MAX || (n > 1 && s[0] == '0'))
        return false;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return false;
        v = v * 10 + (unsigned)(s[i] - '0');
    }
    return v <= PORT_MAX;
}

/* An address of the family, or (partial) text that may still become one. */
static bool addr_ok(const char *s, size_t n, enum v1_family fam, bool partial, struct hk_addr *out)
{
    const char *chars = fam == V1_TCP4 ? "0123456789." : "0123456789abcdefABCDEF:.";
    size_t max = fam == V1_TCP4 ? V4_TEXT_MAX : V6_TEXT_MAX;
    if (n > max)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!strchr(chars, s[i]) || s[i] == 0)
            return false;
    if (partial)
        return true;
    /* The family must match the text: TCP4 with an IPv6 address is not a valid header. */
    bool v6_text = memchr(s, ':', n) != NULL;
    return n > 0 && v6_text == (fam == V1_TCP6) && hk_addr_parse(s, n, out) == 0;
}

/* The family token l[0..n) (up to the next space or the end). */
static int v1_family(const char *l, size_t n, bool ended, bool partial, enum v1_family *fam)
{
    for (int f = 0; f < V1_FAMILIES; f++) {
        if (n == strlen(v1_family_names[f]) && memcmp(l, v1_family_names[f], n) == 0) {
            *fam = (enum v1_family)f;
            return 0;
        }
    }
    if (ended && partial)
        for (int f = 0; f < V1_FAMILIES; f++)
            if (is_prefix_of(l, n, v1_family_names[f]))
                return HK_PROXY_NEED_MORE;
    return HK_EPARSE;
}

/* The four fields after "PROXY TCPx ", starting at l[0..n). */
static int v1_fields(const char *l, size_t n, enum v1_family fam, bool partial, struct hk_addr *src)
{
    struct hk_addr a;
    size_t i = 0;
    for (int field = 0; field < V1_FIELDS; field++) {
        const char *tok = l + i;
        const char *sp = memchr(tok, ' ', n - i);
        size_t len = sp ? (size_t)(sp - tok) : n - i;
        bool last = !sp; /* the input ends inside this field */
        bool part = partial && last;
        if (sp && field == V1_FIELDS - 1)
            return HK_EPARSE; /* nothing may follow the destination port */
        bool ok = field < 2 ? addr_ok(tok, len, fam, part, field == 0 ? src : &a)
                            : port_ok(tok, len, part);
        if (!ok)
            return HK_EPARSE;
        if (last)
            return part ? HK_PROXY_NEED_MORE : field == V1_FIELDS - 1 ? 0 : HK_EPARSE;
        i += len + 1;
    }
    return HK_EPARSE;
}

/* Checks the v1 line l[0..n) (without its CRLF). With partial, l is all that arrived so far
 * and passes with HK_PROXY_NEED_MORE if it can still become a valid line. */
static int v1_line(const char *l, size_t n, bool partial, struct hk_addr *src, bool *local)
{
    size_t plen = strlen(V1_PREFIX);
    if (!is_prefix_of(l, n < plen ? n : plen, V1_PREFIX))
        return HK_EPARSE;
    if (n < plen)
        return partial ? HK_PROXY_NEED_MORE : HK_EPARSE;
    const char *tok = l + plen;
    const char *sp = memchr(tok, ' ', n - plen);
    size_t len = sp ? (size_t)(sp - tok) : n - plen;
    enum v1_family fam;
    int rc = v1_family(tok, len, !sp, partial, &fam);
    if (rc)
        return rc;
    if (fam == V1_UNKNOWN) {
        /* What follows UNKNOWN (after a space) is to be ignored, whatever it is. */
        *local = true;
        return partial ? HK_PROXY_NEED_MORE : 0;
    }
    if (!sp)
        return partial ? HK_PROXY_NEED_MORE : HK_EPARSE;
    *local = false;
    return v1_fields(sp + 1, n - plen - len - 1, fam, partial, src);
}

static int parse_v1(const uint8_t *p, size_t n, size_t *consumed, struct hk_addr *src, bool *local)
{
    size_t scan = n < V1_MAX_LINE - 1 ? n : V1_MAX_LINE - 1; /* where the CR may be */
    const uint8_t *cr = memchr(p, '\r', scan);
    struct hk_addr a;
    bool loc = false;
    if (!cr) {
        if (n >= V1_MAX_LINE - 1)
            return HK_EPARSE; /* the CRLF would end past the longest line */
        return v1_line((const char *)p, n, true, &a, &loc);
    }
    size_t len = (size_t)(cr - p);
    int rc = v1_line((const char *)p, len, false, &a, &loc);
    if (rc)
        return rc;
    if (len + 1 == n)
        return HK_PROXY_NEED_MORE;
    if (p[len + 1] != '\n')
        return HK_EPARSE;
    *consumed = len + 2;
    *local = loc;
    if (!loc)
        *src = a;
    return 0;
}

/* ---- v2 ---- */

static uint16_t be16(const uint8_t *p)
{
    return (uint16_t)(p[0] << 8 | p[1]);
}

/* TLVs must tile p[0..n) exactly. */
static bool tlvs_ok(const uint8_t *p, size_t n)
{
    size_t i = 0;
    while (i < n) {
        if (n - i < V2_TLV_HEAD || n - i - V2_TLV_HEAD < be16(p + i + 1))
            return false;
        i += V2_TLV_HEAD + be16(p + i + 1);
    }
    return true;
}

static size_t address_len(unsigned af)
{
    return af == V2_AF_INET    ? V2_INET_LEN
           : af == V2_AF_INET6 ? V2_INET6_LEN
           : af == V2_AF_UNIX  ? V2_UNIX_LEN
                               : 0;
}

/* Checks the fixed 16 bytes as far as they have arrived; 0 once all are there. */
static int v2_head(const uint8_t *p, size_t n)
{
    if (memcmp(p, v2_sig, n < V2_SIG_LEN ? n : V2_SIG_LEN) != 0)
        return HK_EPARSE;
    if (n > V2_SIG_LEN && ((p[12] >> 4) != V2_VERSION || (p[12] & 0xF) > V2_CMD_PROXY))
        return HK_EPARSE;
    if (n > V2_SIG_LEN + 1 && ((p[13] >> 4) > V2_AF_UNIX || (p[13] & 0xF) > V2_PROTO_MAX))
        return HK_EPARSE;
    if (n < V2_HEADER_LEN)
        return HK_PROXY_NEED_MORE;
    size_t len = be16(p + 14);
    if (V2_HEADER_LEN + len > HK_PROXY_MAX_HEADER)
        return HK_EPARSE;
    /* A PROXY header must hold its family's addresses. */
    if ((p[12] & 0xF) == V2_CMD_PROXY && len < address_len(p[13] >> 4))
        return HK_EPARSE;
    return 0;
}

static int parse_v2(const uint8_t *p, size_t n, size_t *consumed, struct hk_addr *src, bool *local)
{
    int rc = v2_head(p, n);
    if (rc)
        return rc;
    size_t total = V2_HEADER_LEN + be16(p + 14);
    unsigned cmd = p[12] & 0xF, af = p[13] >> 4, proto = p[13] & 0xF;
    if (n < total)
        return HK_PROXY_NEED_MORE;
    if (cmd == V2_CMD_LOCAL || af == V2_AF_UNSPEC || af == V2_AF_UNIX) {
        *consumed = total;
        *local = true;
        return 0;
    }
    if (proto != V2_PROTO_STREAM)
        return HK_EPARSE;
    size_t alen = address_len(af);
    if (!tlvs_ok(p + V2_HEADER_LEN + alen, total - V2_HEADER_LEN - alen))
        return HK_EPARSE;
    if (af == V2_AF_INET) {
        memset(src->b, 0, 10);
        src->b[10] = src->b[11] = 0xff;
        memcpy(src->b + 12, p + V2_HEADER_LEN, 4);
    } else {
        memcpy(src->b, p + V2_HEADER_LEN, sizeof src->b);
    }
    *consumed = total;
    *local = false;
    return 0;
}

int hk_proxy_parse(const uint8_t *p, size_t n, size_t *consumed, struct hk_addr *src, bool *local)
{
    if (n == 0)
        return HK_PROXY_NEED_MORE;
    if (p[0] == V1_PREFIX[0])
        return parse_v1(p, n, consumed, src, local);
    if (p[0] == v2_sig[0])
        return parse_v2(p, n, consumed, src, local);
    return HK_EPARSE;
}
