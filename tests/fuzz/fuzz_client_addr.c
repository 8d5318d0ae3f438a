/* fuzz_client_addr.c -- libFuzzer target for the X-Forwarded-For walk and address parsing.
 *
 * The input, split at newlines, is a list of X-Forwarded-For headers behind a trusted peer.
 * The client found must never be a trusted address unless every entry was trusted, and the
 * parse/format round trip of any accepted address must be stable. */
#include "base/addr.h"
#include "base/err.h"
#include "base/jconf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MAX_HEADERS 8

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct hk_ipset *trusted;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    char dir[] = "/tmp/hookd-fuzz-XXXXXX", path[64];
    if (!mkdtemp(dir))
        abort();
    snprintf(path, sizeof path, "%s/hookd.json", dir);
    FILE *f = fopen(path, "w");
    if (!f || fputs("{\"t\": [\"10.0.0.0/8\", \"2001:db8::/32\", \"flagright\"]}", f) < 0 ||
        fclose(f) != 0)
        abort();
    struct hk_diags diags = {0};
    struct hk_jdoc doc;
    if (hk_jdoc_load(&doc, dir, "hookd.json", &diags) != 0)
        abort();
    struct hk_jcur root = hk_jcur_root(&doc), arr = hk_jcur_member(&root, "t");
    if (hk_ipset_parse(&arr, &trusted) != 0)
        abort();
    hk_jdoc_free(&doc);
    hk_diags_free(&diags);
    unlink(path);
    rmdir(dir);
    return 0;
}

static void round_trip(const uint8_t *data, size_t size)
{
    struct hk_addr a, b;
    char text[HK_ADDR_STRLEN];
    if (hk_addr_parse((const char *)data, size, &a) != 0)
        return;
    hk_addr_format(&a, text, sizeof text);
    if (hk_addr_parse(text, strlen(text), &b) != 0 || memcmp(&a, &b, sizeof a) != 0)
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct hk_header h[MAX_HEADERS];
    size_t nh = 0;
    const char *p = (const char *)data, *end = p + size;
    while (p < end && nh < MAX_HEADERS) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        const char *stop = nl ? nl : end;
        h[nh++] = (struct hk_header){"x-forwarded-for", 15, p, (size_t)(stop - p)};
        p = stop + 1;
    }
    struct hk_addr peer, client;
    hk_addr_parse("10.0.0.1", 8, &peer);
    int rc = hk_client_addr(&peer, trusted, h, nh, &client);
    if (rc != 0 && rc != HK_EPARSE)
        abort();
    round_trip(data, size);
    return 0;
}
