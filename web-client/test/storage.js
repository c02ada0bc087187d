// A Storage (the part of localStorage the client uses) kept in a Map, for the
// unit tests; `map` shows what was stored.
export function memoryStorage(initial = {}) {
    const map = new Map(Object.entries(initial));
    return {
        getItem: (k) => (map.has(k) ? map.get(k) : null),
        setItem: (k, v) => map.set(k, String(v)),
        removeItem: (k) => map.delete(k),
        map,
    };
}
