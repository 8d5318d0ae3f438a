/* testutil.h -- small helpers shared by the cmocka unit tests. */
#ifndef HK_TESTUTIL_H
#define HK_TESTUTIL_H

#include <stddef.h>

/* Reads a whole file into a NUL-terminated malloc'd buffer (caller frees); fails the test
 * when it cannot. *len may be NULL. */
char *tu_read_file(const char *path, size_t *len);
/* Path of a file under tests/data (static buffer, valid until the next call). */
const char *tu_data(const char *name);
/* Creates a fresh empty directory for this test under the build tree; returns its path
 * (static buffer, valid until the next call). */
const char *tu_tmpdir(const char *name);
/* Writes text to dir/name, creating parent directories. */
void tu_write_file(const char *dir, const char *name, const char *text);

#endif
