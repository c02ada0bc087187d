/*
 * Checks on user-written text that the codec has already found to be valid
 * UTF-8: names, titles and message bodies must show something.
 */
#ifndef KOLAB_TEXT_H
#define KOLAB_TEXT_H

#include <stdbool.h>
#include <stddef.h>

/* True when `s` (valid UTF-8, `len` bytes) is empty or holds only white
 * space and invisible separators: ASCII space and controls, no-break and
 * ideographic spaces, the U+2000 spaces, zero-width spaces and joiners, and
 * the byte-order mark. */
bool text_is_blank(const char *s, size_t len);

#endif
