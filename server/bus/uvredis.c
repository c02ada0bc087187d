#include "uvredis.h"

#include <stdio.h>
#include <stdlib.h>

#include "log.h"

struct uvredis {
    uv_poll_t poll;
    /* NULL once hiredis has let go of the context; the handle is closing. */
    redisAsyncContext *ac;
    /* What the poll handle watches now (UV_READABLE | UV_WRITABLE). */
    int events;
};

static void on_poll(uv_poll_t *handle, int status, int events);

static void on_closed(uv_handle_t *handle)
{
    free(handle->data);
}

/* hiredis asks for the same events over and over (a write per command), and
 * each restart of a uv_poll costs system calls, so only changes go to libuv. */
static void watch(struct uvredis *u, int events)
{
    if (u->ac == NULL || events == u->events) {
        return;
    }
    int rc = events == 0 ? uv_poll_stop(&u->poll) : uv_poll_start(&u->poll, events, on_poll);
    if (rc != 0) {
        /* The bus's connect timeout or ping deadline notices the stalled
         * connection; there is nothing safe to do from inside hiredis. */
        log_error("bus", "poll failed", "err=%s", uv_err_name(rc));
        return;
    }
    u->events = events;
}

static void add_read(void *data)
{
    struct uvredis *u = data;
    watch(u, u->events | UV_READABLE);
}

static void del_read(void *data)
{
    struct uvredis *u = data;
    watch(u, u->events & ~UV_READABLE);
}

static void add_write(void *data)
{
    struct uvredis *u = data;
    watch(u, u->events | UV_WRITABLE);
}

static void del_write(void *data)
{
    struct uvredis *u = data;
    watch(u, u->events & ~UV_WRITABLE);
}

/* hiredis calls this while freeing the context, before it closes the socket:
 * the handle must stop watching the descriptor before that. */
static void cleanup(void *data)
{
    struct uvredis *u = data;
    u->ac->ev.data = NULL;
    u->ac = NULL;
    uv_close((uv_handle_t *)&u->poll, on_closed);
}

/*
 * libuv reports a socket error (POLLERR: refused, reset) as a negative
 * status and stops the handle. The error is still pending on the socket, so
 * a read lets hiredis find it the usual way: SO_ERROR while connecting, or
 * read(2) once connected. Either path frees the context and fires its
 * callback with REDIS_ERR.
 */
static void report_error(struct uvredis *u, int status)
{
    u->events = 0;
    redisAsyncHandleRead(u->ac);
    if (u->ac == NULL) {
        return;
    }

    /* The socket had nothing to say after all. hiredis gives up on a
     * context that carries an error at its next read, so set one. */
    redisContext *c = &u->ac->c;
    if (c->err == 0) {
        c->err = REDIS_ERR_IO;
        snprintf(c->errstr, sizeof(c->errstr), "socket error (%s)", uv_err_name(status));
    }
    redisAsyncHandleRead(u->ac);
}

static void on_poll(uv_poll_t *handle, int status, int events)
{
    struct uvredis *u = handle->data;

    if (status < 0) {
        report_error(u, status);
        return;
    }
    /* Each call may end with hiredis freeing the context (u->ac NULL). */
    if ((events & UV_READABLE) && u->ac != NULL) {
        redisAsyncHandleRead(u->ac);
    }
    if ((events & UV_WRITABLE) && u->ac != NULL) {
        redisAsyncHandleWrite(u->ac);
    }
}

enum status uvredis_attach(uv_loop_t *loop, redisAsyncContext *ac)
{
    if (ac->ev.data != NULL) {
        return STATUS_INTERNAL;
    }
    struct uvredis *u = calloc(1, sizeof(*u));
    if (u == NULL) {
        return STATUS_NOMEM;
    }
    if (uv_poll_init_socket(loop, &u->poll, ac->c.fd) != 0) {
        free(u);
        return STATUS_INTERNAL;
    }
    u->poll.data = u;
    u->ac = ac;

    ac->ev.data = u;
    ac->ev.addRead = add_read;
    ac->ev.delRead = del_read;
    ac->ev.addWrite = add_write;
    ac->ev.delWrite = del_write;
    ac->ev.cleanup = cleanup;
    return STATUS_OK;
}
