/* secret.c -- loading signing secrets. */
#include "base/secret.h"

#include "base/err.h"

#include <limits.h>
#include <mbedtls/platform_util.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define SECRET_FILE_MAX 4096

static int take_bytes(struct hk_secret *s, const char *p, size_t n)
{
    s->bytes = malloc(n ? n : 1);
    if (!s->bytes)
        return HK_ENOMEM;
    memcpy(s->bytes, p, n);
    s->len = n;
    return 0;
}

static int from_env(struct hk_secret *s, const struct hk_jcur *el, const char *name)
{
    snprintf(s->label, sizeof s->label, "env %s", name);
    const char *v = getenv(name);
    if (!v)
        return hk_jcur_error(el,
                             "environment variable %s is not set: export it before "
                             "starting hookd, or read the secret from a file",
                             name);
    if (!*v)
        return hk_jcur_error(el, "environment variable %s is empty: set it to the secret", name);
    return take_bytes(s, v, strlen(v));
}

static int from_file(struct hk_secret *s, const struct hk_jcur *el, const char *confdir,
                     const char *file)
{
    char path[PATH_MAX], buf[SECRET_FILE_MAX + 1];
    snprintf(s->label, sizeof s->label, "file %s", file);
    snprintf(path, sizeof path, "%s%s%s", file[0] == '/' ? "" : confdir, file[0] == '/' ? "" : "/",
             file);
    FILE *f = fopen(path, "rb");
    if (!f)
        return hk_jcur_error(el, "cannot read secret file %s: %s: create it or fix the path", path,
                             strerror(errno));
    struct stat st;
    if (fstat(fileno(f), &st) == 0) {
        s->mode = (unsigned)(st.st_mode & 07777);
        s->readable_by_others = (st.st_mode & S_IROTH) != 0;
    }
    size_t n = fread(buf, 1, sizeof buf, f);
    fclose(f);
    int rc = 0;
    if (n > SECRET_FILE_MAX)
        rc = hk_jcur_error(el,
                           "secret file %s is larger than %d bytes: it must hold only the "
                           "secret",
                           path, SECRET_FILE_MAX);
    if (!rc && n > 0 && buf[n - 1] == '\n')
        n--;
    if (!rc && n > 0 && buf[n - 1] == '\r')
        n--;
    if (!rc && n == 0)
        rc = hk_jcur_error(el, "secret file %s is empty: write the secret into it", path);
    if (!rc)
        rc = take_bytes(s, buf, n);
    mbedtls_platform_zeroize(buf, sizeof buf);
    return rc;
}

static int load_one(struct hk_secret *s, const struct hk_jcur *el, const char *confdir,
                    size_t index)
{
    static const char *const keys[] = {"env", "file", "value", NULL};
    const char *env = NULL, *file = NULL, *value = NULL;
    if (!json_is_object(el->val))
        return hk_jcur_error(el, "expected {\"env\": NAME}, {\"file\": PATH} or {\"value\": ...}");
    int rc = hk_jconf_object(el, keys);
    rc |= hk_jconf_string(el, "env", false, &env);
    rc |= hk_jconf_string(el, "file", false, &file);
    rc |= hk_jconf_string(el, "value", false, &value);
    if (rc)
        return HK_ECONF;
    if ((env != NULL) + (file != NULL) + (value != NULL) != 1)
        return hk_jcur_error(el, "give exactly one of \"env\", \"file\" or \"value\"");
    if (env)
        return from_env(s, el, env);
    if (file)
        return from_file(s, el, confdir, file);
    snprintf(s->label, sizeof s->label, "inline value #%zu", index + 1);
    s->is_inline = true;
    if (!*value)
        return hk_jcur_error(el, "empty secret: give the secret's text");
    return take_bytes(s, value, strlen(value));
}

int hk_secrets_load(const struct hk_jcur *verify, const char *confdir, struct hk_secret **out,
                    size_t *n)
{
    struct hk_jcur arr = hk_jcur_member(verify, "secrets");
    size_t count = 0;
    *out = NULL;
    *n = 0;
    if (hk_jconf_array(&arr, &count))
        return HK_ECONF;
    if (count == 0)
        return hk_jcur_error(&arr, "no secrets: add at least one {\"env\": NAME} or "
                                   "{\"file\": PATH}");
    struct hk_secret *s = calloc(count, sizeof *s);
    if (!s)
        return HK_ENOMEM;
    int rc = 0;
    for (size_t i = 0; i < count; i++) {
        struct hk_jcur el = hk_jcur_element(&arr, i);
        int one = load_one(&s[i], &el, confdir, i);
        rc = rc ? rc : one;
    }
    if (rc) {
        hk_secrets_free(s, count);
        return rc;
    }
    *out = s;
    *n = count;
    return 0;
}

int hk_secret_load(const struct hk_jcur *el, const char *confdir, struct hk_secret *out)
{
    return load_one(out, el, confdir, 0);
}

void hk_secret_wipe(struct hk_secret *s)
{
    if (s->bytes)
        mbedtls_platform_zeroize(s->bytes, s->len);
    free(s->bytes);
    s->bytes = NULL;
    s->len = 0;
}

void hk_secrets_free(struct hk_secret *s, size_t n)
{
    for (size_t i = 0; s && i < n; i++)
        hk_secret_wipe(&s[i]);
    free(s);
}
