/*
 * Chat: rooms, membership, messages, read markers and typing, the core of
 * PROTOCOL.md. Requests: room_create, rooms, join, leave, send, history,
 * read, typing, edit, delete, member_add, member_remove. Validates input,
 * calls the store, and fans events out to the rooms' joined connections.
 * Loop thread only.
 */
#ifndef KOLAB_CHAT_H
#define KOLAB_CHAT_H

/* Registers the request table with the dispatcher. */
void chat_init(void);

#endif
