/* MQTT 3.1.1 client packets; see mqtt.h. */
#include "mqtt.h"

#include <stdbool.h>
#include <string.h>

/* Writes the fixed header (first byte, then the remaining length in base 128,
 * low digits first) and returns its length, or 0 when the whole packet would
 * not fit in `cap`. */
static size_t mqtt_header(uint8_t *out, size_t cap, uint8_t first, size_t rem)
{
    if (rem > MQTT_MAX_REMAINING) {
        return 0;
    }
    uint8_t head[5];
    size_t n = 0;
    head[n++] = first;
    do {
        uint8_t digit = rem % 128;
        rem /= 128;
        head[n++] = (uint8_t)(digit | (rem > 0 ? 0x80 : 0));
    } while (rem > 0);
    if (cap < n) {
        return 0;
    }
    memcpy(out, head, n);
    return n;
}

static uint8_t *mqtt_put_u16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
    return p + 2;
}

/* A UTF-8 string field: its two-byte length, then its bytes. */
static uint8_t *mqtt_put_str(uint8_t *p, const char *s, size_t len)
{
    p = mqtt_put_u16(p, (uint16_t)len);
    memcpy(p, s, len);
    return p + len;
}

static uint16_t mqtt_get_u16(const uint8_t *p)
{
    return (uint16_t)((p[0] << 8) | p[1]);
}

size_t mqtt_connect_write(uint8_t *out, size_t cap, const char *client_id, uint16_t keepalive)
{
    size_t idlen = strlen(client_id);
    if (idlen > 0xffff) {
        return 0;
    }
    /* Protocol name, level, flags and keepalive take 10 bytes. */
    size_t rem = 10 + 2 + idlen;
    size_t h = mqtt_header(out, cap, MQTT_CONNECT << 4, rem);
    if (h == 0 || cap - h < rem) {
        return 0;
    }
    uint8_t *p = mqtt_put_str(out + h, "MQTT", 4);
    *p++ = 4;    /* protocol level: 3.1.1 */
    *p++ = 0x02; /* clean session, no will, no user name or password */
    p = mqtt_put_u16(p, keepalive);
    mqtt_put_str(p, client_id, idlen);
    return h + rem;
}

size_t mqtt_subscribe_write(uint8_t *out, size_t cap, uint16_t id, const char *topic, uint8_t qos)
{
    size_t tlen = strlen(topic);
    if (tlen > 0xffff) {
        return 0;
    }
    size_t rem = 2 + 2 + tlen + 1;
    /* The low nibble of SUBSCRIBE's first byte is fixed at 0010. */
    size_t h = mqtt_header(out, cap, (MQTT_SUBSCRIBE << 4) | 0x02, rem);
    if (h == 0 || cap - h < rem) {
        return 0;
    }
    uint8_t *p = mqtt_put_u16(out + h, id);
    p = mqtt_put_str(p, topic, tlen);
    *p = qos;
    return h + rem;
}

size_t mqtt_publish_write(uint8_t *out, size_t cap, const char *topic, uint8_t qos, uint16_t id,
                          const uint8_t *payload, size_t len)
{
    size_t tlen = strlen(topic);
    if (tlen > 0xffff || len > MQTT_MAX_REMAINING) {
        return 0;
    }
    size_t rem = 2 + tlen + (qos > 0 ? 2 : 0) + len;
    size_t h = mqtt_header(out, cap, (uint8_t)((MQTT_PUBLISH << 4) | (qos << 1)), rem);
    if (h == 0 || cap - h < rem) {
        return 0;
    }
    uint8_t *p = mqtt_put_str(out + h, topic, tlen);
    if (qos > 0) {
        p = mqtt_put_u16(p, id);
    }
    memcpy(p, payload, len);
    return h + rem;
}

/* Fills the PUBLISH fields of *p from its variable header and payload
 * [b, b+rem), whose QoS is in the first byte's flags; false when malformed. */
static bool mqtt_publish_read(const uint8_t *b, size_t rem, uint8_t flags, struct mqtt_packet *p)
{
    p->qos = (flags >> 1) & 3;
    if (p->qos == 3 || rem < 2) {
        return false;
    }
    p->topic_len = mqtt_get_u16(b);
    size_t at = 2 + p->topic_len + (p->qos > 0 ? 2 : 0);
    if (at > rem) {
        return false;
    }
    p->topic = b + 2;
    if (p->qos > 0) {
        p->id = mqtt_get_u16(b + 2 + p->topic_len);
    }
    p->payload = b + at;
    p->len = rem - at;
    return true;
}

/* Fills the fields the packet's type carries; false when it is too short. */
static bool mqtt_fields_read(const uint8_t *b, size_t rem, uint8_t flags, struct mqtt_packet *p)
{
    switch (p->type) {
    case MQTT_CONNACK:
        if (rem < 2) {
            return false;
        }
        p->code = b[1];
        return true;
    case MQTT_PUBACK:
        if (rem < 2) {
            return false;
        }
        p->id = mqtt_get_u16(b);
        return true;
    case MQTT_SUBACK:
        if (rem < 3) {
            return false;
        }
        p->id = mqtt_get_u16(b);
        p->code = b[2];
        return true;
    case MQTT_PUBLISH:
        return mqtt_publish_read(b, rem, flags, p);
    default:
        return true;
    }
}

long mqtt_packet_read(const uint8_t *buf, size_t len, struct mqtt_packet *p, size_t *need)
{
    *need = 0;
    size_t rem = 0;
    size_t at = 1;
    for (unsigned shift = 0;; shift += 7) {
        if (at == 5) {
            return -1;
        }
        if (at >= len) {
            return 0;
        }
        uint8_t digit = buf[at++];
        rem |= (size_t)(digit & 0x7f) << shift;
        if ((digit & 0x80) == 0) {
            break;
        }
    }
    *need = at + rem;
    if (len < *need) {
        return 0;
    }
    memset(p, 0, sizeof(*p));
    p->type = buf[0] >> 4;
    if (!mqtt_fields_read(buf + at, rem, buf[0] & 0x0f, p)) {
        return -1;
    }
    return (long)*need;
}
