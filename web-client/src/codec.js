// The wire format: every frame is msgpack. This is the only module that knows
// about msgpack, so a change of codec library touches one file.

import { Decoder, Encoder } from '@msgpack/msgpack';

// Optional fields left undefined are dropped rather than sent as nil, so the
// server never sees a key it has to treat as "present but empty".
const encoder = new Encoder({ ignoreUndefined: true });
const decoder = new Decoder();

// Encodes one request map into the bytes of one binary frame.
export function encodeFrame(map) {
    return encoder.encode(map);
}

function isMap(value) {
    return value !== null && typeof value === 'object' && !Array.isArray(value) &&
        !(value instanceof Uint8Array);
}

// Decodes one server frame into the list of maps it carries. The server may
// coalesce several events into an array of maps; a single map is a list of
// one. Anything that is not a map is dropped: the caller handles messages,
// and a stray value has no type to dispatch on. Throws on malformed msgpack.
export function decodeFrame(data) {
    const bytes = data instanceof Uint8Array ? data : new Uint8Array(data);
    const value = decoder.decode(bytes);
    if (Array.isArray(value)) {
        return value.filter(isMap);
    }
    return isMap(value) ? [value] : [];
}
