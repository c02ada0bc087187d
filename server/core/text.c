#include "text.h"

#include <stdint.h>

/* Decodes the code point at `s` (valid UTF-8) and returns its length. */
static size_t decode(const unsigned char *s, size_t left, uint32_t *cp)
{
    if (s[0] < 0x80 || left < 2) {
        *cp = s[0];
        return 1;
    }
    if (s[0] < 0xe0) {
        *cp = ((uint32_t)(s[0] & 0x1f) << 6) | (s[1] & 0x3f);
        return 2;
    }
    if (s[0] < 0xf0 || left < 4) {
        *cp = left < 3 ? 0xfffd
                       : ((uint32_t)(s[0] & 0x0f) << 12) | ((uint32_t)(s[1] & 0x3f) << 6) |
                             (s[2] & 0x3f);
        return left < 3 ? left : 3;
    }
    *cp = ((uint32_t)(s[0] & 0x07) << 18) | ((uint32_t)(s[1] & 0x3f) << 12) |
          ((uint32_t)(s[2] & 0x3f) << 6) | (s[3] & 0x3f);
    return 4;
}

static bool is_blank(uint32_t cp)
{
    if (cp <= 0x20 || cp == 0x7f || cp == 0x85 || cp == 0xa0 || cp == 0x1680) {
        return true;
    }
    if ((cp >= 0x2000 && cp <= 0x200f) || cp == 0x2028 || cp == 0x2029 || cp == 0x202f) {
        return true;
    }
    return cp == 0x205f || cp == 0x2060 || cp == 0x3000 || cp == 0xfeff;
}

bool text_is_blank(const char *s, size_t len)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t i = 0;
    while (i < len) {
        uint32_t cp = 0;
        i += decode(p + i, len - i, &cp);
        if (!is_blank(cp)) {
            return false;
        }
    }
    return true;
}
