/*
 * WebSocket client framing for the load generator (RFC 6455), with no socket
 * of its own: the caller owns the file descriptor and the buffers, and these
 * functions only write requests and frames into a buffer and read what the
 * server sent out of one. Nothing here allocates.
 *
 * What it covers is what kolabd and an MQTT broker need: the HTTP/1.1
 * upgrade offering one subprotocol (`kolab.v1` or `mqtt`) with an Origin
 * header, masked client frames, and unmasked server frames with 7-, 16- and
 * 64-bit lengths. Frames are read one at a time with their FIN bit, so joining
 * fragments is the caller's choice: MQTT is a byte stream across frames, and
 * the load generator reads it that way.
 *
 * LIMITATION: for kolab.v1, fragmented server messages (a frame without FIN,
 * then continuation frames) are reported as a protocol error rather than
 * joined. kolabd writes every message as one frame, so nothing the load
 * generator meets today is fragmented; a proxy in between could fragment, and
 * joining would need a reassembly buffer per connection.
 */
#ifndef KOLAB_BENCH_WSCLIENT_H
#define KOLAB_BENCH_WSCLIENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define WSCLIENT_OP_CONT   0x0
#define WSCLIENT_OP_BINARY 0x2
#define WSCLIENT_OP_CLOSE  0x8
#define WSCLIENT_OP_PING   0x9
#define WSCLIENT_OP_PONG   0xa
/* The largest header a client frame can need: 2 + 8 (length) + 4 (mask). */
#define WSCLIENT_MAX_HEADER 14

/* One frame read from the server; `payload` is borrowed from the buffer. */
struct wsclient_frame {
    uint8_t opcode;
    bool fin; /* false when continuation frames follow */
    const uint8_t *payload;
    uint64_t len;
};

/*
 * Writes the upgrade request for ws://host:port/path offering the subprotocol
 * `proto` into `out` (with the Origin http://host:port) and returns its
 * length, or 0 when `cap` is too small.
 */
size_t wsclient_handshake(char *out, size_t cap, const char *host, int port, const char *path,
                          const char *proto);

/*
 * Reads the server's answer to the upgrade from `buf`. Returns the length of
 * the HTTP response (the frames start after it) once it is complete and is a
 * 101 that accepted the subprotocol `proto`, 0 while it is incomplete, and -1
 * for a refusal.
 */
long wsclient_handshake_done(const uint8_t *buf, size_t len, const char *proto);

/*
 * Reads one server frame from the start of `buf`. Returns the frame's total
 * length (header and payload) and fills *f; returns 0 while the frame is
 * incomplete, with *need set to the total length it will have once its header
 * is in (or to 0 when even the header is not); returns -1 for a frame a
 * server must not send (masked, reserved bits, a fragmented control frame).
 */
long wsclient_frame_read(const uint8_t *buf, size_t len, struct wsclient_frame *f, uint64_t *need);

/*
 * Writes a masked client frame of `opcode` holding `payload` into `out`.
 * Returns its length, or 0 when `cap` cannot hold it. `mask_state` is the
 * caller's xorshift state for the masking keys (any non-zero start).
 */
size_t wsclient_frame_write(uint8_t *out, size_t cap, uint8_t opcode, const uint8_t *payload,
                            size_t len, uint32_t *mask_state);

#endif
