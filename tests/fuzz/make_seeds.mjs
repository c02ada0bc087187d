// Writes the seed corpora of the two fuzz harnesses and their dictionary:
//
//   corpus/codec/     one frame per file: a real request of every type in
//                     PROTOCOL.md, and the hostile shapes the codec must refuse
//   corpus/dispatch/  inputs of fuzz_dispatch.c: sequences of frames from its
//                     eight connections, each a scenario of the protocol
//   kolab.dict        libFuzzer dictionary: the protocol's keys, request types
//                     and values, msgpack-encoded, and a few hostile headers
//
// Usage: node make_seeds.mjs [OUT_DIR]   (default: next to this file).
// The output is the same on every run except for the session times, which
// must lie between now and 366 days ahead: run it again to refresh them
// (tests/fuzz/run does, into its temporary corpus).

import { encode } from '@msgpack/msgpack';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const out = process.argv[2] ?? here;

// The world every fuzz_dispatch input starts from (demo.c, fuzz_dispatch.c).
const USER = { ayu: 1, made: 2, putu: 3, wayan: 4, dinas: 5, komang: 6, kadek: 7 };
const CONN = { ayu: 0, made: 1, dinas: 2, anon: 3, komang: 4, ayu2: 5, wayan: 6, kadek: 7 };
const DM_ROOM = 1;
const GROUP_ROOM = 2;
// A mentoring request made by a scenario is the demo's next one, and its
// room the next room: 2 and 3 in a fresh copy of the demo database.
const NEW_REQUEST = 2;
const NEW_ROOM = 3;
const SETTLE = 0x08;
const DAY_MS = 24 * 3600 * 1000;
// A session start a month ahead, whole minutes; as a BigInt, since the
// encoder writes larger plain numbers as floats when BigInts are on.
const SOON = BigInt(Math.floor((Date.now() + 30 * DAY_MS) / 60000) * 60000);
// A session start close enough for its reminder to be due at once.
const IN_TEN_MINUTES = BigInt(Math.floor((Date.now() + 10 * 60000) / 60000) * 60000);

const tokenOf = (user) => user.toString(16).padStart(64, '0');
const bytes = (...parts) =>
    Buffer.concat(parts.map((p) => (typeof p === 'string' ? Buffer.from(p, 'utf8') : Buffer.from(typeof p === 'number' ? [p] : p))));
const pack = (value) => Buffer.from(encode(value, { useBigInt64: true }));

// msgpack headers written by hand, for shapes no encoder makes.
const fixstr = (s) => {
    const b = Buffer.from(s, 'utf8');
    return bytes([0xa0 | b.length], b);
};
const fixmap = (n) => [0x80 | n];
const typeKey = (t) => bytes(fixstr('type'), fixstr(t));
const idKey = (id) => bytes(fixstr('id'), [id]);

// ---- real requests ----------------------------------------------------------

let nextId = 1;
const req = (type, fields = {}) => ({ type, id: nextId++, ...fields });

// One of each request of PROTOCOL.md, with plausible fields.
const requests = {
    register: req('register', { username: 'baru', password: 'rahasia-sekali', name: 'Baru', role: 'umkm' }),
    login: req('login', { username: 'ayu', password: 'kolab-demo' }),
    auth: req('auth', { token: tokenOf(USER.ayu) }),
    logout: req('logout'),
    ping: req('ping'),
    users: req('users', { query: 'komang', limit: 5 }),
    room_create_dm: req('room_create', { kind: 'dm', members: [USER.komang] }),
    room_create_group: req('room_create', {
        kind: 'group',
        title: 'Kelompok Tenun',
        members: [USER.made, USER.putu, USER.wayan],
    }),
    rooms: req('rooms'),
    join: req('join', { room: DM_ROOM }),
    join_since: req('join', { room: DM_ROOM, since: 2, epoch: '0123456789abcdef' }),
    leave: req('leave', { room: DM_ROOM }),
    send: req('send', { room: DM_ROOM, body: 'Om Swastiastu 🙏', client_id: 'c-1' }),
    send_reply: req('send', { room: DM_ROOM, body: 'Balasan', client_id: 'c-2', reply_to: 1 }),
    history: req('history', { room: GROUP_ROOM, before: 4, limit: 2 }),
    read: req('read', { room: DM_ROOM, seq: 3 }),
    typing: req('typing', { room: DM_ROOM }),
    edit: req('edit', { room: DM_ROOM, seq: 1, body: 'Diubah' }),
    delete: req('delete', { room: DM_ROOM, seq: 2 }),
    member_add: req('member_add', { room: GROUP_ROOM, user: USER.komang }),
    member_remove: req('member_remove', { room: GROUP_ROOM, user: USER.putu }),
    mentoring_open: req('mentoring_open', { topic: 'export', description: 'Ingin ekspor kain endek.' }),
    mentoring_requests: req('mentoring_requests', { status: 'waiting' }),
    mentoring_cancel: req('mentoring_cancel', { request: 1 }),
    mentoring_assign: req('mentoring_assign', { request: 1, mentor: USER.komang }),
    mentoring_accept: req('mentoring_accept', { request: 1 }),
    mentoring_decline: req('mentoring_decline', { request: 1, reason: 'Jadwal penuh' }),
    mentoring_transfer: req('mentoring_transfer', { request: 1, mentor: USER.made, note: 'Lebih cocok' }),
    mentoring_close: req('mentoring_close', { request: 1, rating: 5, comment: 'Terima kasih' }),
    mentoring_settings: req('mentoring_settings', { auto_assign: true }),
    mentor_profile: req('mentor_profile', { topics: ['export', 'haki'], available: true }),
    mentors: req('mentors', { topic: 'bookkeeping' }),
    mentoring_room: req('mentoring_room', { room: NEW_ROOM }),
    mentoring_session_add: req('mentoring_session_add', {
        room: NEW_ROOM,
        starts_ts: SOON,
        duration_min: 60,
        agenda: 'Rencana ekspor',
    }),
    mentoring_session_update: req('mentoring_session_update', { session: 1, duration_min: 90 }),
    mentoring_session_cancel: req('mentoring_session_cancel', { session: 1 }),
    mentoring_note_add: req('mentoring_note_add', { room: NEW_ROOM, body: 'Catatan pertama' }),
    mentoring_note_edit: req('mentoring_note_edit', { note: 1, body: 'Catatan diubah' }),
    mentoring_action_add: req('mentoring_action_add', {
        room: NEW_ROOM,
        text: 'Foto produk',
        owner: USER.ayu,
        due: '2030-02-28',
    }),
    mentoring_action_update: req('mentoring_action_update', { action: 1, done: true }),
    mentoring_figures: req('mentoring_figures', { since_ts: 0 }),
    call_start: req('call_start', { room: NEW_ROOM }),
    call_accept: req('call_accept', { call: 1 }),
    call_signal: req('call_signal', { call: 1, kind: 'offer', data: '{"type":"offer","sdp":"v=0"}' }),
    call_end: req('call_end', { call: 1, reason: 'declined' }),
};

// ---- hostile shapes -----------------------------------------------------------

const deep = (open, n, inner) => bytes(...Array(n).fill(open), inner);
const hostile = {
    array32_huge: [0xdd, 0xff, 0xff, 0xff, 0xff],
    map32_huge: [0xdf, 0xff, 0xff, 0xff, 0xff],
    map32_huge_in_map: bytes(fixmap(3), typeKey('room_create'), idKey(1), fixstr('members'), [0xdd, 0xff, 0xff, 0xff, 0xff]),
    map16_short: bytes([0xde, 0xff, 0xff], typeKey('ping')),
    str32_4gib: bytes(fixmap(2), typeKey('send'), fixstr('body'), [0xdb, 0xff, 0xff, 0xff, 0xff], 'x'),
    str32_key_4gib: bytes(fixmap(1), [0xdb, 0xff, 0xff, 0xff, 0xff], 'type'),
    bin32_4gib: bytes(fixmap(2), typeKey('ping'), fixstr('x'), [0xc6, 0xff, 0xff, 0xff, 0xff]),
    ext32_4gib: bytes(fixmap(2), typeKey('ping'), fixstr('x'), [0xc9, 0xff, 0xff, 0xff, 0xff, 0x01]),
    nested_arrays_1000: bytes(fixmap(3), typeKey('ping'), idKey(1), fixstr('x'), deep(0x91, 1000, [0xc0])),
    nested_maps_1000: bytes(
        fixmap(3),
        typeKey('ping'),
        idKey(1),
        fixstr('x'),
        deep(bytes(fixmap(1), fixstr('a')), 1000, [0xc0]),
    ),
    nested_depth_8: bytes(fixmap(3), typeKey('ping'), idKey(1), fixstr('x'), deep(0x91, 7, [0x01])),
    nested_depth_9: bytes(fixmap(3), typeKey('ping'), idKey(1), fixstr('x'), deep(0x91, 8, [0x01])),
    utf8_invalid_ff: bytes(fixmap(2), typeKey('send'), fixstr('body'), [0xa2, 0x61, 0xff]),
    utf8_lone_continuation: bytes(fixmap(2), typeKey('send'), fixstr('body'), [0xa1, 0x80]),
    utf8_cut_short: bytes(fixmap(3), typeKey('send'), fixstr('body'), [0xa2, 0xe2, 0x82], fixstr('id'), [0x01]),
    utf8_overlong_c0af: bytes(fixmap(2), typeKey('send'), fixstr('body'), [0xa2, 0xc0, 0xaf]),
    utf8_overlong_e080af: bytes(fixmap(2), typeKey('send'), fixstr('body'), [0xa3, 0xe0, 0x80, 0xaf]),
    utf8_overlong_f08080af: bytes(fixmap(2), typeKey('send'), fixstr('body'), [0xa4, 0xf0, 0x80, 0x80, 0xaf]),
    utf8_surrogate_eda080: bytes(fixmap(2), typeKey('send'), fixstr('body'), [0xa3, 0xed, 0xa0, 0x80]),
    utf8_surrogate_edbfbf: bytes(fixmap(2), typeKey('send'), fixstr('body'), [0xa3, 0xed, 0xbf, 0xbf]),
    utf8_above_10ffff: bytes(fixmap(2), typeKey('send'), fixstr('body'), [0xa4, 0xf4, 0x90, 0x80, 0x80]),
    utf8_in_key: bytes(fixmap(2), typeKey('ping'), [0xa2, 0xc0, 0xaf], [0x01]),
    utf8_valid_edges: pack(req('send', { room: 1, body: '\u007f\u0080\u07ff\u0800\ud7ff\ue000\uffff\u{10000}\u{10ffff}', client_id: 'e' })),
    nul_in_string: pack(req('register', { username: 'ayu', password: 'rahasia-sekali', name: 'A\0B', role: 'umkm\0admin' })),
    nul_in_type: bytes(fixmap(2), [0xa5], 'ping\0', idKey(1)),
    nul_in_key: bytes(fixmap(3), typeKey('send'), idKey(1), [0xa5], 'ro\0om', [0x01]),
    nul_in_body: pack(req('send', { room: 1, body: 'a\0b', client_id: 'n' })),
    trailing_bytes: bytes(pack(req('ping')), [0x00]),
    two_maps: bytes(pack(req('ping')), pack(req('ping'))),
    duplicate_type: bytes(fixmap(3), typeKey('ping'), typeKey('logout'), idKey(1)),
    duplicate_id: bytes(fixmap(3), typeKey('ping'), idKey(1), bytes(fixstr('id'), [0xff])),
    int_key: bytes(fixmap(2), typeKey('ping'), [0x01, 0x01]),
    nil_key: bytes(fixmap(2), typeKey('ping'), [0xc0, 0x01]),
    array_key: bytes(fixmap(2), typeKey('ping'), [0x91, 0x01, 0x01]),
    bin_type: bytes(fixmap(2), fixstr('type'), [0xc4, 0x04], 'ping', idKey(1)),
    bin_body: bytes(fixmap(4), typeKey('send'), idKey(1), fixstr('room'), [0x01], fixstr('body'), [0xc4, 0x02], 'hi'),
    ext_value: bytes(fixmap(3), typeKey('ping'), idKey(1), fixstr('x'), [0xd4, 0x01, 0x02]),
    fixext16_value: bytes(fixmap(3), typeKey('ping'), idKey(1), fixstr('x'), [0xd8, 0x01], Array(16).fill(0x41)),
    negative_fixint_id: bytes(fixmap(2), typeKey('ping'), fixstr('id'), [0xff]),
    negative_int64_room: bytes(fixmap(3), typeKey('join'), idKey(1), fixstr('room'), [0xd3, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]),
    int8_positive_id: bytes(fixmap(2), typeKey('ping'), fixstr('id'), [0xd0, 0x05]),
    uint64_max_room: pack(req('join', { room: 0xffffffffffffffffn })),
    uint64_2p63_seq: pack(req('read', { room: 1, seq: 0x8000000000000000n })),
    float_id: bytes(fixmap(2), typeKey('ping'), fixstr('id'), [0xcb, 0x3f, 0xf0, 0, 0, 0, 0, 0, 0]),
    float32_room: bytes(fixmap(3), typeKey('join'), idKey(1), fixstr('room'), [0xca, 0x3f, 0x80, 0, 0]),
    reserved_c1: bytes(fixmap(2), typeKey('ping'), fixstr('id'), [0xc1]),
    top_array: pack([req('ping')]),
    top_string: pack('ping'),
    empty_map: [0x80],
    missing_type: pack({ id: 1 }),
    missing_id: pack({ type: 'ping' }),
    type_not_string: pack({ type: 7, id: 1 }),
    unknown_type: pack(req('no_such_request')),
    nil_fields: pack(req('history', { room: 1, before: null, limit: null })),
    truncated: pack(req('send', { room: 1, body: 'terpotong', client_id: 'x' })).subarray(0, 20),
    single_byte: [0x81],
    empty: [],
    many_fields: pack(Object.fromEntries([['type', 'ping'], ['id', 1], ...Array.from({ length: 300 }, (_, i) => [`k${i}`, i])])),
    members_257: pack(req('room_create', { kind: 'group', title: 'Besar', members: Array.from({ length: 257 }, (_, i) => i + 1) })),
    topics_8: pack(req('mentor_profile', { topics: ['export', 'haki', 'other', 'packaging', 'licensing', 'bookkeeping', 'digital_marketing', 'export'] })),
    topic_too_long: pack(req('mentor_profile', { topics: ['x'.repeat(40)] })),
    body_4001: pack(req('send', { room: 1, body: 'a'.repeat(4001), client_id: 'l' })),
    body_blank: pack(req('send', { room: 1, body: ' \u3000\u200b\ufeff', client_id: 'b' })),
    due_feb_30: pack(req('mentoring_action_add', { room: NEW_ROOM, text: 'x', owner: 1, due: '2031-02-30' })),
};

// ---- dispatch scenarios ---------------------------------------------------------

// A dispatch input: [conn, frame, settle?, how?] steps, frames as objects or
// bytes; `how` is one of the ways through the network layer below.
function input(steps) {
    const parts = [];
    for (const [conn, frame, settle = true, how = 0] of steps) {
        const body = Buffer.isBuffer(frame) || Array.isArray(frame) ? Buffer.from(frame) : pack({ id: nextId++, ...frame });
        parts.push(Buffer.from([conn | (settle ? SETTLE : 0) | how, body.length >> 8, body.length & 0xff]), body);
    }
    return Buffer.concat(parts);
}

// Selector bits of fuzz_dispatch.c: through conn_receive, in pieces.
const NET = {
    whole: 0x10,
    twoReads: 0x10 | (1 << 5),
    threeReads: 0x10 | (2 << 5),
    text: 0x10 | (3 << 5),
    twoFragments: 0x80 | 0x10 | (1 << 5),
    threeFragments: 0x80 | 0x10 | (2 << 5),
};
// A step in which time passes and the timers due fire (the frame is ignored).
const TIME_PASSES = [0, [], true, 0xf0];

const offerAndAccept = [
    [CONN.ayu, { type: 'mentoring_open', topic: 'export', description: 'Ingin ekspor kain endek ke Jepang.' }],
    [CONN.dinas, { type: 'mentoring_assign', request: NEW_REQUEST, mentor: USER.made }],
    [CONN.made, { type: 'mentoring_accept', request: NEW_REQUEST }],
    [CONN.ayu, { type: 'join', room: NEW_ROOM }],
    [CONN.made, { type: 'join', room: NEW_ROOM }],
    [CONN.dinas, { type: 'join', room: NEW_ROOM }],
];

const scenarios = {
    chat: [
        [CONN.ayu, { type: 'join', room: DM_ROOM }],
        [CONN.made, { type: 'join', room: DM_ROOM, since: 2 }],
        [CONN.ayu2, { type: 'join', room: DM_ROOM }],
        [CONN.ayu, { type: 'send', room: DM_ROOM, body: 'Halo Pak Made', client_id: 'a1' }, false],
        [CONN.ayu, { type: 'send', room: DM_ROOM, body: 'Halo lagi', client_id: 'a2', reply_to: 1 }, false],
        [CONN.ayu, { type: 'send', room: DM_ROOM, body: 'Halo Pak Made', client_id: 'a1' }],
        [CONN.made, { type: 'typing', room: DM_ROOM }],
        [CONN.made, { type: 'read', room: DM_ROOM, seq: 7 }],
        [CONN.ayu, { type: 'edit', room: DM_ROOM, seq: 6, body: 'Halo, Pak' }, false],
        [CONN.ayu, { type: 'delete', room: DM_ROOM, seq: 6 }],
        [CONN.made, { type: 'history', room: DM_ROOM, limit: 3 }],
        [CONN.ayu, { type: 'rooms' }],
        [CONN.ayu, { type: 'leave', room: DM_ROOM }],
    ],
    groups: [
        [CONN.made, { type: 'join', room: GROUP_ROOM }],
        [CONN.wayan, { type: 'join', room: GROUP_ROOM }],
        [CONN.made, { type: 'member_add', room: GROUP_ROOM, user: USER.komang }],
        [CONN.dinas, { type: 'member_remove', room: GROUP_ROOM, user: USER.putu }],
        [CONN.wayan, { type: 'member_remove', room: GROUP_ROOM, user: USER.wayan }],
        [CONN.kadek, { type: 'room_create', kind: 'group', title: 'Magang', members: [USER.ayu, USER.ayu, 0, USER.putu] }],
        [CONN.kadek, { type: 'room_create', kind: 'dm', members: [USER.komang] }],
        [CONN.komang, { type: 'room_create', kind: 'dm', members: [USER.putu] }],
        [CONN.komang, { type: 'users', query: 'a', limit: 50 }],
    ],
    mentoring: [
        ...offerAndAccept,
        [CONN.ayu, { type: 'mentoring_session_add', room: NEW_ROOM, starts_ts: SOON, duration_min: 60, agenda: 'Rencana' }],
        [CONN.made, { type: 'mentoring_session_update', session: 1, starts_ts: SOON + BigInt(DAY_MS), agenda: 'Baru' }],
        [CONN.made, { type: 'mentoring_note_add', room: NEW_ROOM, body: 'Catatan' }],
        [CONN.made, { type: 'mentoring_note_edit', note: 1, body: 'Catatan lagi' }],
        [CONN.made, { type: 'mentoring_action_add', room: NEW_ROOM, text: 'Foto', owner: USER.ayu, due: '2032-02-29' }],
        [CONN.ayu, { type: 'mentoring_action_update', action: 1, done: true }],
        [CONN.made, { type: 'mentoring_action_update', action: 1, text: 'Foto lagi', owner: USER.made, due: '' }],
        [CONN.dinas, { type: 'mentoring_room', room: NEW_ROOM }],
        [CONN.ayu, { type: 'mentoring_session_cancel', session: 1 }],
        [CONN.made, { type: 'mentoring_transfer', request: NEW_REQUEST, mentor: USER.komang, note: 'Lebih paham' }],
        [CONN.komang, { type: 'join', room: NEW_ROOM }],
        [CONN.ayu, { type: 'mentoring_close', request: NEW_REQUEST, rating: 4, comment: 'Bagus' }],
        [CONN.ayu, { type: 'read', room: NEW_ROOM, seq: 3 }],
        [CONN.dinas, { type: 'delete', room: NEW_ROOM, seq: 1 }],
        [CONN.dinas, { type: 'mentoring_figures' }],
        [CONN.made, { type: 'mentoring_requests' }],
    ],
    calls: [
        ...offerAndAccept,
        [CONN.made, { type: 'call_start', room: NEW_ROOM }],
        [CONN.ayu, { type: 'call_accept', call: 1 }],
        [CONN.made, { type: 'call_signal', call: 1, kind: 'offer', data: '{"sdp":"v=0"}' }],
        [CONN.ayu2, { type: 'call_signal', call: 1, kind: 'answer', data: '{"sdp":"v=0"}' }],
        [CONN.ayu, { type: 'call_signal', call: 1, kind: 'ice', data: '{"candidate":""}' }],
        [CONN.dinas, { type: 'call_signal', call: 1, kind: 'ice', data: 'x' }],
        [CONN.dinas, { type: 'mentoring_room', room: NEW_ROOM }],
        [CONN.made, { type: 'mentoring_transfer', request: NEW_REQUEST, mentor: USER.komang, note: 'Pindah' }],
        [CONN.komang, { type: 'call_start', room: NEW_ROOM }],
        [CONN.ayu, { type: 'call_end', call: 2, reason: 'declined' }],
        [CONN.ayu, { type: 'call_start', room: NEW_ROOM }],
        [CONN.ayu, { type: 'mentoring_close', request: NEW_REQUEST, rating: 5 }],
        [CONN.komang, { type: 'call_end', call: 3 }],
    ],
    long_title: [
        [CONN.kadek, { type: 'mentoring_open', topic: 'digital_marketing', description: 'Toko daring' }],
        [CONN.dinas, { type: 'mentoring_assign', request: NEW_REQUEST }],
        [CONN.made, { type: 'mentoring_accept', request: NEW_REQUEST }],
        [CONN.kadek, { type: 'rooms' }],
        [CONN.kadek, { type: 'room_create', kind: 'dm', members: [USER.made] }],
        [CONN.made, { type: 'users', query: 'kadek' }],
    ],
    timers: [
        ...offerAndAccept,
        [CONN.made, { type: 'call_start', room: NEW_ROOM }],
        TIME_PASSES,
        [CONN.ayu, { type: 'call_accept', call: 1 }],
        [CONN.ayu, { type: 'mentoring_session_add', room: NEW_ROOM, starts_ts: IN_TEN_MINUTES, duration_min: 30, agenda: 'Segera' }],
        TIME_PASSES,
        [CONN.made, { type: 'history', room: NEW_ROOM }],
    ],
    auto_assign: [
        [CONN.dinas, { type: 'mentoring_settings', auto_assign: true }],
        [CONN.komang, { type: 'mentoring_decline', request: 1, reason: 'Penuh' }],
        [CONN.made, { type: 'mentor_profile', topics: ['bookkeeping'], available: true }],
        [CONN.made, { type: 'mentoring_accept', request: 1 }],
        [CONN.ayu, { type: 'mentoring_open', topic: 'haki', description: 'Merek dagang' }],
        [CONN.ayu, { type: 'mentoring_cancel', request: NEW_REQUEST }],
        [CONN.dinas, { type: 'mentors', topic: 'haki' }],
        [CONN.dinas, { type: 'mentoring_requests', status: 'offered' }],
        [CONN.dinas, { type: 'mentoring_settings' }],
    ],
    sessions: [
        [CONN.anon, { type: 'ping' }],
        [CONN.anon, { type: 'rooms' }],
        [CONN.anon, { type: 'auth', token: tokenOf(USER.ayu) }],
        [CONN.anon, { type: 'join', room: DM_ROOM }],
        [CONN.ayu, { type: 'join', room: DM_ROOM }],
        [CONN.ayu, { type: 'logout' }],
        [CONN.ayu, { type: 'auth', token: tokenOf(USER.ayu) }],
        [CONN.kadek, { type: 'auth', token: tokenOf(USER.komang) }],
        [CONN.kadek, { type: 'mentors' }],
        [CONN.wayan, { type: 'auth', token: 'zz' }],
    ],
    network: [
        [CONN.ayu, { type: 'join', room: DM_ROOM }, true, NET.whole],
        [CONN.ayu, { type: 'send', room: DM_ROOM, body: 'Tiga bagian', client_id: 'n1' }, true, NET.threeReads],
        [CONN.made, { type: 'send', room: DM_ROOM, body: 'Dua pecahan', client_id: 'n2' }, false, NET.twoFragments],
        [CONN.made, { type: 'typing', room: DM_ROOM }, true, NET.threeFragments],
        [CONN.wayan, { type: 'send', room: GROUP_ROOM, body: 'x'.repeat(1500), client_id: 'big' }, true, NET.twoReads],
        [CONN.wayan, { type: 'ping' }, true, NET.whole],
        [CONN.kadek, { type: 'ping' }, true, NET.text],
        [CONN.ayu, Buffer.from([0x81, 0xa4]), true, NET.whole],
        // Empty fragments: one before the first byte, and a message of nothing else.
        [CONN.komang, Buffer.from([0x80, 0xc0]), true, NET.threeFragments],
        [CONN.komang, [], true, NET.twoFragments],
    ],
    abuse: Array.from({ length: 11 }, (_, i) => [CONN.kadek, [0xc1 + (i % 2)], i % 3 === 0]),
    hostile_mix: Object.values(hostile).map((frame, i) => [i % 8, Buffer.from(frame), i % 2 === 0]),
};

// ---- the dictionary -----------------------------------------------------------

const dictWords = new Set([
    ...Object.values(requests).flatMap((r) => Object.keys(r)),
    ...Object.values(requests).map((r) => r.type),
    'dm', 'group', 'mentoring', 'hangup', 'declined', 'offer', 'answer', 'ice', 'waiting', 'offered',
    'active', 'closed', 'cancelled', 'digital_marketing', 'bookkeeping', 'licensing', 'packaging',
    'export', 'haki', 'other', 'umkm', 'koperasi', 'mentor', 'student', 'moderator', 'admin',
    ...Object.values(USER).map(tokenOf),
]);

function dictLine(name, buf) {
    const escaped = [...buf].map((b) => (b >= 0x20 && b < 0x7f && b !== 0x22 && b !== 0x5c ? String.fromCharCode(b) : `\\x${b.toString(16).padStart(2, '0')}`)).join('');
    return `${name}="${escaped}"`;
}

function dictionary() {
    const lines = [
        '# libFuzzer dictionary for the Kolab wire protocol, written by make_seeds.mjs.',
        '# Keys, request types and values as msgpack strings, then msgpack headers.',
    ];
    for (const w of [...dictWords].sort()) {
        const user = Object.keys(USER).find((u) => tokenOf(USER[u]) === w);
        const name = user ? `token_${user}` : w.replace(/[^a-z0-9_]/g, '_');
        lines.push(dictLine(`s_${name}`, pack(w)));
    }
    const headers = {
        array32_huge: [0xdd, 0xff, 0xff, 0xff, 0xff],
        map32_huge: [0xdf, 0xff, 0xff, 0xff, 0xff],
        str32_huge: [0xdb, 0xff, 0xff, 0xff, 0xff],
        bin32_huge: [0xc6, 0xff, 0xff, 0xff, 0xff],
        uint64_max: [0xcf, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff],
        int64_min: [0xd3, 0x80, 0, 0, 0, 0, 0, 0, 0],
        float64_one: [0xcb, 0x3f, 0xf0, 0, 0, 0, 0, 0, 0],
        overlong_slash: [0xc0, 0xaf],
        surrogate: [0xed, 0xa0, 0x80],
        nil: [0xc0],
        reserved: [0xc1],
        true: [0xc3],
        false: [0xc2],
    };
    for (const [name, b] of Object.entries(headers)) {
        lines.push(dictLine(`h_${name}`, Buffer.from(b)));
    }
    return `${lines.join('\n')}\n`;
}

// ---- writing ------------------------------------------------------------------

function writeCorpus(dir, entries) {
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true });
    for (const [name, data] of entries) {
        writeFileSync(join(dir, name), data);
    }
}

writeCorpus(join(out, 'corpus', 'codec'), [
    ...Object.entries(requests).map(([name, r]) => [name, pack(r)]),
    ...Object.entries(hostile).map(([name, b]) => [`hostile_${name}`, Buffer.from(b)]),
]);
writeCorpus(join(out, 'corpus', 'dispatch'), [
    ...Object.entries(requests).map(([name, r]) => {
        const conn = name.startsWith('mentor') || name.startsWith('call') ? CONN.made : CONN.ayu;
        return [`one_${name}`, input([[conn, pack(r)]])];
    }),
    ...Object.entries(scenarios).map(([name, steps]) => [name, input(steps)]),
]);
writeFileSync(join(out, 'kolab.dict'), dictionary());
