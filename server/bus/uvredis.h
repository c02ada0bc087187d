/*
 * Runs a hiredis async context on a libuv loop: one uv_poll handle per
 * context, started and stopped through hiredis's event hooks. Part of the bus
 * (only the bus includes hiredis).
 *
 * We do not use the adapter shipped with hiredis 0.14: it drops the status
 * of the poll callback, so a refused or reset connection stays silent until
 * something else notices. This one hands every poll error to hiredis, which
 * then calls the context's connect callback (while connecting) or its
 * disconnect callback with REDIS_ERR and frees the context as usual.
 *
 * Loop thread only.
 */
#ifndef KOLAB_UVREDIS_H
#define KOLAB_UVREDIS_H

#include <hiredis/async.h>
#include <uv.h>

#include "status.h"

/*
 * Attaches `ac` (borrowed: hiredis keeps owning it) to `loop`. Call it right
 * after redisAsyncConnect and before redisAsyncSetConnectCallback, which
 * asks the adapter for the first write event. When hiredis frees the
 * context, the adapter closes its handle; the loop must run once more
 * afterwards to release it.
 *
 * STATUS_NOMEM, or STATUS_INTERNAL when `ac` already has an adapter or libuv
 * refuses its socket. On failure nothing is attached and the caller still
 * frees `ac` with redisAsyncFree.
 */
enum status uvredis_attach(uv_loop_t *loop, redisAsyncContext *ac);

#endif
