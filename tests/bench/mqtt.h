/*
 * MQTT 3.1.1 client packets for the load generator, so that its fan-out
 * scenario can drive an MQTT broker (Mosquitto over WebSockets) beside
 * kolabd. Like wsclient.h, it owns no socket and no memory: writers put one
 * packet into a caller's buffer, and the reader finds one packet at the start
 * of a caller's byte stream and points into it.
 *
 * What it covers is what a benchmark client needs: CONNECT with a clean
 * session, SUBSCRIBE to one topic, PUBLISH at QoS 0 or 1, and reading
 * CONNACK, SUBACK, PUBACK, PUBLISH and PINGRESP. The broker may split a
 * packet across WebSocket frames or put several in one (MQTT 3.1.1 section
 * 6), so the reader works on bytes, not on frames, and says how many more it
 * needs. Single-threaded; no global state.
 */
#ifndef KOLAB_BENCH_MQTT_H
#define KOLAB_BENCH_MQTT_H

#include <stddef.h>
#include <stdint.h>

/* Control packet types: the high nibble of the first byte. */
#define MQTT_CONNECT   1
#define MQTT_CONNACK   2
#define MQTT_PUBLISH   3
#define MQTT_PUBACK    4
#define MQTT_SUBSCRIBE 8
#define MQTT_SUBACK    9
#define MQTT_PINGRESP  13

/* The SUBACK code of a refused subscription. */
#define MQTT_SUBACK_FAILURE 0x80

/* The largest remaining length the four-byte encoding can state. */
#define MQTT_MAX_REMAINING 268435455u

/* The fields of one packet from the broker. Pointers are borrowed from the
 * buffer given to mqtt_packet_read; fields a type does not carry are zero. */
struct mqtt_packet {
    uint8_t type;
    uint8_t qos;            /* PUBLISH: 0, 1 or 2 */
    uint8_t code;           /* CONNACK: return code; SUBACK: first granted QoS */
    uint16_t id;            /* PUBACK, SUBACK, and PUBLISH above QoS 0 */
    const uint8_t *topic;   /* PUBLISH */
    size_t topic_len;       /* PUBLISH */
    const uint8_t *payload; /* PUBLISH: the application message */
    size_t len;             /* PUBLISH: its length */
};

/*
 * Reads the packet at the start of `buf`. Returns its total length and fills
 * *p; returns 0 while it is incomplete, with *need set to the total length it
 * will have (or to 0 while even its length is not all in); returns -1 for a
 * packet that is malformed (a length encoded in more than four bytes, or too
 * short for the fields its type must carry).
 */
long mqtt_packet_read(const uint8_t *buf, size_t len, struct mqtt_packet *p, size_t *need);

/*
 * Writes CONNECT for protocol level 4 with a clean session, the NUL-terminated
 * `client_id` and `keepalive` seconds. Returns its length, or 0 when `cap` is
 * too small.
 */
size_t mqtt_connect_write(uint8_t *out, size_t cap, const char *client_id, uint16_t keepalive);

/*
 * Writes SUBSCRIBE with packet identifier `id` (non-zero) to the single topic
 * filter `topic` at maximum QoS `qos`. Returns its length, or 0 when `cap` is
 * too small.
 */
size_t mqtt_subscribe_write(uint8_t *out, size_t cap, uint16_t id, const char *topic, uint8_t qos);

/*
 * Writes PUBLISH of `payload` to `topic` at `qos` (0 or 1); `id` (non-zero) is
 * written only above QoS 0. Returns its length, or 0 when `cap` is too small.
 */
size_t mqtt_publish_write(uint8_t *out, size_t cap, const char *topic, uint8_t qos, uint16_t id,
                          const uint8_t *payload, size_t len);

#endif
