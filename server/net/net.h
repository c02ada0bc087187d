/*
 * The network layer: one libwebsockets context on the process's libuv loop
 * (a foreign loop), serving the WebSocket protocol `kolab.v1` at /ws, the
 * HTTP endpoints (http.c) and the built web client. This module and its
 * neighbours in net/ are the only code that includes libwebsockets.
 * Loop thread only.
 */
#ifndef KOLAB_NET_H
#define KOLAB_NET_H

#include <stdbool.h>

#include "status.h"

/* Sockets libwebsockets holds now (listeners and connections). */
extern long net_sockets;

/*
 * True while one more connection leaves NET_FD_RESERVE descriptors of the
 * process's limit free for the database, Redis and the loop. Past that, new
 * connections are closed as soon as they are accepted: a process that runs
 * out of descriptors cannot accept at all, and its listener then keeps the
 * loop busy for nothing.
 */
#define NET_FD_RESERVE 64
bool net_room_for_one_more(void);

/* Raises the soft limit on open files to the hard limit. */
void net_raise_fd_limit(void);

/* Creates the context and starts listening, per app.cfg. */
enum status net_start(void);

/*
 * Starts a graceful stop: refuses new connections and closes every
 * WebSocket with 1001 after what is queued for it has been sent. `done`
 * runs once they have all closed or `grace_ms` has passed.
 */
void net_shutdown(unsigned grace_ms, void (*done)(void));

/* Destroys the context. Run the loop afterwards so its handles close. */
void net_destroy(void);

#endif
