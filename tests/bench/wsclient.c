/* WebSocket client framing; see wsclient.h. */
#include "wsclient.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

/* The key is not secret: it only proves to the server that the client speaks
 * WebSocket. The load generator does not check Sec-WebSocket-Accept, since it
 * only ever talks to the server it was pointed at. */
static const char WSCLIENT_KEY[] = "a29sYWItbG9hZGdlbi0xMg==";

size_t wsclient_handshake(char *out, size_t cap, const char *host, int port, const char *path,
                          const char *proto)
{
    int n = snprintf(out, cap,
                     "GET %s HTTP/1.1\r\n"
                     "Host: %s:%d\r\n"
                     "Upgrade: websocket\r\n"
                     "Connection: Upgrade\r\n"
                     "Sec-WebSocket-Key: %s\r\n"
                     "Sec-WebSocket-Version: 13\r\n"
                     "Sec-WebSocket-Protocol: %s\r\n"
                     "Origin: http://%s:%d\r\n"
                     "\r\n",
                     path, host, port, WSCLIENT_KEY, proto, host, port);
    if (n < 0 || (size_t)n >= cap) {
        return 0;
    }
    return (size_t)n;
}

/* True when the header block [buf, buf+len) holds `name: value` (the value
 * compared case-insensitively, as a prefix of the header's value). */
static bool wsclient_has_header(const char *buf, size_t len, const char *name, const char *value)
{
    size_t nlen = strlen(name);
    size_t vlen = strlen(value);
    const char *p = buf;
    const char *end = buf + len;
    while (p < end) {
        const char *eol = memchr(p, '\n', (size_t)(end - p));
        if (eol == NULL) {
            eol = end;
        }
        if ((size_t)(eol - p) > nlen + 1 && strncasecmp(p, name, nlen) == 0 && p[nlen] == ':') {
            const char *v = p + nlen + 1;
            while (v < eol && *v == ' ') {
                v++;
            }
            if ((size_t)(eol - v) >= vlen && strncasecmp(v, value, vlen) == 0) {
                return true;
            }
        }
        p = eol + 1;
    }
    return false;
}

long wsclient_handshake_done(const uint8_t *buf, size_t len, const char *proto)
{
    const char *s = (const char *)buf;
    const char *end = memmem(s, len, "\r\n\r\n", 4);
    if (end == NULL) {
        return len > 8192 ? -1 : 0;
    }
    size_t hlen = (size_t)(end - s) + 4;
    if (hlen < 12 || memcmp(s, "HTTP/1.1 101", 12) != 0) {
        return -1;
    }
    if (!wsclient_has_header(s, hlen, "Sec-WebSocket-Protocol", proto)) {
        return -1;
    }
    return (long)hlen;
}

long wsclient_frame_read(const uint8_t *buf, size_t len, struct wsclient_frame *f, uint64_t *need)
{
    *need = 0;
    if (len < 2) {
        return 0;
    }
    bool fin = (buf[0] & 0x80) != 0;
    bool control = (buf[0] & 0x08) != 0;
    if ((buf[0] & 0x70) != 0 || (buf[1] & 0x80) != 0 || (control && !fin)) {
        return -1;
    }
    uint64_t plen = buf[1] & 0x7f;
    size_t hlen = 2;
    if (plen == 126) {
        hlen = 4;
    } else if (plen == 127) {
        hlen = 10;
    }
    if (len < hlen) {
        return 0;
    }
    if (hlen > 2) {
        plen = 0;
        for (size_t i = 2; i < hlen; i++) {
            plen = (plen << 8) | buf[i];
        }
    }
    if (plen > ((uint64_t)1 << 40)) {
        return -1;
    }
    *need = hlen + plen;
    if (len < *need) {
        return 0;
    }
    f->opcode = buf[0] & 0x0f;
    f->fin = fin;
    f->payload = buf + hlen;
    f->len = plen;
    return (long)*need;
}

static uint32_t wsclient_next_mask(uint32_t *state)
{
    uint32_t x = *state;
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    *state = x;
    return x;
}

size_t wsclient_frame_write(uint8_t *out, size_t cap, uint8_t opcode, const uint8_t *payload,
                            size_t len, uint32_t *mask_state)
{
    size_t hlen = len < 126 ? 6 : (len <= 0xffff ? 8 : 14);
    if (cap < hlen + len) {
        return 0;
    }
    out[0] = (uint8_t)(0x80 | opcode);
    if (len < 126) {
        out[1] = (uint8_t)(0x80 | len);
    } else if (len <= 0xffff) {
        out[1] = 0x80 | 126;
        out[2] = (uint8_t)(len >> 8);
        out[3] = (uint8_t)len;
    } else {
        out[1] = 0x80 | 127;
        for (int i = 0; i < 8; i++) {
            out[2 + i] = (uint8_t)((uint64_t)len >> (8 * (7 - i)));
        }
    }
    uint32_t m = wsclient_next_mask(mask_state);
    uint8_t *key = out + hlen - 4;
    memcpy(key, &m, 4);
    uint8_t *dst = out + hlen;
    for (size_t i = 0; i < len; i++) {
        dst[i] = payload[i] ^ key[i & 3];
    }
    return hlen + len;
}
