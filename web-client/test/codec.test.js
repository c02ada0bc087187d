import { encode } from '@msgpack/msgpack';
import { describe, expect, it } from 'vitest';
import { decodeFrame, encodeFrame } from '../src/codec.js';

describe('decodeFrame', () => {
    it('reads a single map as a list of one', () => {
        const frame = encode({ type: 'hello', protocol: 1, user: null });
        expect(decodeFrame(frame)).toEqual([{ type: 'hello', protocol: 1, user: null }]);
    });

    it('reads an array of maps in order', () => {
        const frame = encode([
            { type: 'message', room: 1, seq: 7 },
            { type: 'typing', room: 1, user: 2 },
        ]);
        const out = decodeFrame(frame);
        expect(out.map((m) => m.type)).toEqual(['message', 'typing']);
        expect(out[0].seq).toBe(7);
    });

    it('accepts an ArrayBuffer, as a browser socket delivers it', () => {
        const bytes = encode({ type: 'ok', id: 3 });
        const buffer = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength);
        expect(decodeFrame(buffer)).toEqual([{ type: 'ok', id: 3 }]);
    });

    it('drops values that are not maps', () => {
        expect(decodeFrame(encode([1, 'x', { type: 'ok', id: 1 }, null]))).toEqual([{ type: 'ok', id: 1 }]);
        expect(decodeFrame(encode('hello'))).toEqual([]);
    });

    it('throws on bytes that are not msgpack', () => {
        expect(() => decodeFrame(new Uint8Array([0xc1]))).toThrow();
    });
});

describe('encodeFrame', () => {
    it('leaves out undefined fields', () => {
        const bytes = encodeFrame({ type: 'send', id: 1, room: 2, reply_to: undefined });
        expect(decodeFrame(bytes)).toEqual([{ type: 'send', id: 1, room: 2 }]);
    });
});
