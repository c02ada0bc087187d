/*
 * The network layer: one libwebsockets context on the process's libuv loop
 * (a foreign loop), serving the WebSocket protocol `kolab.v1` at /ws, the
 * HTTP endpoints (http.c) and the built web client. This module and its
 * neighbours in net/ are the only code that includes libwebsockets.
 * Loop thread only.
 */
#ifndef KOLAB_NET_H
#define KOLAB_NET_H

#include "status.h"

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
