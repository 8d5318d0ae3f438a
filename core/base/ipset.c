/* ipset.c -- CIDR sets as a path-compressed binary trie over 128-bit addresses.
 *
 * IPv4 lives in the v4-mapped range ::ffff:0:0/96, so "a.b.c.d/n" is stored as /96+n and
 * one trie holds both families. Each node is a prefix (key, bits); a child extends its
 * parent's prefix, and only nodes where two subtrees part or an entry ends exist, so a set
 * of n entries has fewer than 2n+1 nodes whatever their lengths. A lookup walks at most one
 * node per bit, stopping at the first entry that covers the address. */
#include "base/addr.h"

#include "base/err.h"
#include "base/ip_presets.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ADDR_BITS      128
#define V4_BITS        32
#define V4_MAPPED_BITS 96
#define NO_CHILD       0 /* the root is never a child, so index 0 means "none" */
#define ENTRY_TEXT_MAX 64

struct node {
    struct hk_addr key; /* bits past `bits` are zero */
    uint8_t bits;
    bool terminal; /* an entry ends here: everything under it is in the set */
    uint32_t child[2];
};

struct hk_ipset {
    struct node *nodes; /* nodes[0] is the root, the empty prefix */
    size_t n, cap;
};

static unsigned bit_at(const struct hk_addr *a, unsigned i)
{
    return (a->b[i / 8] >> (7 - i % 8)) & 1;
}

/* Number of leading bits a and b share, at most max. */
static unsigned common_bits(const struct hk_addr *a, const struct hk_addr *b, unsigned max)
{
    unsigned i = 0;
    while (i < max && i / 8 < sizeof a->b) {
        uint8_t x = a->b[i / 8] ^ b->b[i / 8];
        if (x == 0) {
            i += 8;
            continue;
        }
        i += (unsigned)__builtin_clz((unsigned)x) - (sizeof(unsigned) * 8 - 8);
        break;
    }
    return i < max ? i : max;
}

static void mask(struct hk_addr *a, unsigned bits)
{
    for (unsigned i = 0; i < sizeof a->b; i++) {
        unsigned keep = bits > 8 * i ? bits - 8 * i : 0;
        a->b[i] &= keep >= 8 ? 0xff : (uint8_t)(0xff << (8 - keep));
    }
}

static int new_node(struct hk_ipset *s, const struct hk_addr *key, unsigned bits, bool terminal,
                    uint32_t *index)
{
    if (s->n == s->cap) {
        size_t cap = s->cap ? 2 * s->cap : 16;
        struct node *p = realloc(s->nodes, cap * sizeof *p);
        if (!p)
            return HK_ENOMEM;
        s->nodes = p;
        s->cap = cap;
    }
    struct node *nd = &s->nodes[s->n];
    memset(nd, 0, sizeof *nd);
    nd->key = *key;
    mask(&nd->key, bits);
    nd->bits = (uint8_t)bits;
    nd->terminal = terminal;
    *index = (uint32_t)s->n++;
    return 0;
}

/* Adds key/bits (host bits already zero). Indices, not pointers: new_node may move nodes. */
static int insert(struct hk_ipset *s, const struct hk_addr *key, unsigned bits)
{
    uint32_t cur = 0;
    for (;;) {
        if (s->nodes[cur].terminal)
            return 0; /* already covered by a shorter entry */
        if (s->nodes[cur].bits == bits) {
            s->nodes[cur].terminal = true;
            return 0;
        }
        unsigned side = bit_at(key, s->nodes[cur].bits);
        uint32_t c = s->nodes[cur].child[side], made;
        if (c == NO_CHILD) {
            int rc = new_node(s, key, bits, true, &made);
            if (rc == 0)
                s->nodes[cur].child[side] = made;
            return rc;
        }
        unsigned cbits = s->nodes[c].bits;
        unsigned common = common_bits(&s->nodes[c].key, key, cbits < bits ? cbits : bits);
        if (common == cbits) {
            cur = c;
            continue;
        }
        /* c and the new prefix part at bit `common`: put a node for their shared prefix
         * between cur and c. */
        uint32_t mid;
        int rc = new_node(s, key, common, common == bits, &mid);
        if (rc)
            return rc;
        s->nodes[mid].child[bit_at(&s->nodes[c].key, common)] = c;
        s->nodes[cur].child[side] = mid;
        if (common == bits)
            return 0;
        rc = new_node(s, key, bits, true, &made);
        if (rc == 0)
            s->nodes[mid].child[bit_at(key, common)] = made;
        return rc;
    }
}

bool hk_ipset_contains(const struct hk_ipset *s, const struct hk_addr *a)
{
    if (!s)
        return false;
    uint32_t cur = 0;
    for (;;) {
        const struct node *nd = &s->nodes[cur];
        if (nd->terminal)
            return true;
        if (nd->bits == ADDR_BITS)
            return false;
        uint32_t c = nd->child[bit_at(a, nd->bits)];
        if (c == NO_CHILD || common_bits(&s->nodes[c].key, a, s->nodes[c].bits) < s->nodes[c].bits)
            return false;
        cur = c;
    }
}

void hk_ipset_free(struct hk_ipset *s)
{
    if (!s)
        return;
    free(s->nodes);
    free(s);
}

static int create(struct hk_ipset **out)
{
    struct hk_ipset *s = calloc(1, sizeof *s);
    struct hk_addr zero = {{0}};
    uint32_t root;
    if (!s)
        return HK_ENOMEM;
    if (new_node(s, &zero, 0, false, &root)) {
        free(s);
        return HK_ENOMEM;
    }
    *out = s;
    return 0;
}

/* ---- configuration ---- */

static int bad_entry(const struct hk_jcur *el, const char *text)
{
    char names[256];
    hk_ip_preset_names(names, sizeof names);
    return hk_jcur_error(el,
                         "\"%s\" is not an address, a CIDR or a preset: write e.g. "
                         "\"203.0.113.7\", \"203.0.113.0/24\", \"2001:db8::/32\", or one of "
                         "the presets %s",
                         text, names);
}

/* The prefix length after '/', or -1. */
static int prefix_len(const char *s, size_t n)
{
    int v = 0;
    if (n == 0 || n > 3 || (s[0] == '0' && n > 1))
        return -1;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        v = v * 10 + (s[i] - '0');
    }
    return v;
}

static int add_cidr(struct hk_ipset *s, const struct hk_jcur *el, const char *text, size_t n)
{
    const char *slash = memchr(text, '/', n);
    size_t alen = slash ? (size_t)(slash - text) : n;
    bool v4 = !memchr(text, ':', alen);
    int max = v4 ? V4_BITS : ADDR_BITS;
    struct hk_addr a;
    if (hk_addr_parse(text, alen, &a))
        return bad_entry(el, text);
    int bits = slash ? prefix_len(slash + 1, n - alen - 1) : max;
    if (bits < 0 || bits > max)
        return hk_jcur_error(el,
                             "\"%s\": the prefix length of an %s network is 0 to %d: fix the "
                             "number after '/'",
                             text, v4 ? "IPv4" : "IPv6", max);
    unsigned total = (unsigned)bits + (v4 ? V4_MAPPED_BITS : 0);
    struct hk_addr net = a;
    mask(&net, total);
    if (memcmp(&net, &a, sizeof a) != 0) {
        char shown[HK_ADDR_STRLEN];
        hk_addr_format(&net, shown, sizeof shown);
        return hk_jcur_error(el,
                             "\"%s\" has host bits set: write \"%s/%d\" for the network, or "
                             "\"%.*s\" alone for the single address",
                             text, shown, bits, (int)alen, text);
    }
    return insert(s, &a, total);
}

static int add_preset(struct hk_ipset *s, const char *const *addrs)
{
    for (; *addrs; addrs++) {
        struct hk_addr a;
        int rc = hk_addr_parse(*addrs, strlen(*addrs), &a);
        rc = rc ? rc : insert(s, &a, ADDR_BITS);
        if (rc)
            return rc;
    }
    return 0;
}

static int add_entry(struct hk_ipset *s, const struct hk_jcur *el)
{
    if (!json_is_string(el->val))
        return hk_jcur_error(el, "expected a string: an address, a CIDR or a preset name");
    const char *text = json_string_value(el->val);
    size_t n = json_string_length(el->val);
    const char *const *preset = hk_ip_preset(text);
    if (preset)
        return add_preset(s, preset);
    if (n == 0 || n > ENTRY_TEXT_MAX || strlen(text) != n)
        return bad_entry(el, n > ENTRY_TEXT_MAX ? "(a long text)" : text);
    return add_cidr(s, el, text, n);
}

int hk_ipset_parse(const struct hk_jcur *arr, struct hk_ipset **out)
{
    size_t n;
    struct hk_ipset *s = NULL;
    *out = NULL;
    if (hk_jconf_array(arr, &n))
        return HK_ECONF;
    if (!arr->val)
        return 0;
    int rc = create(&s);
    if (rc)
        return rc;
    /* Every entry is checked even after a problem, so one run lists them all. */
    for (size_t i = 0; i < n; i++) {
        struct hk_jcur el = hk_jcur_element(arr, i);
        int one = add_entry(s, &el);
        rc = rc && one != HK_ENOMEM ? rc : one;
        if (rc == HK_ENOMEM)
            break;
    }
    if (rc) {
        hk_ipset_free(s);
        return rc;
    }
    *out = s;
    return 0;
}
