import { defineConfig } from 'vite';

// During development the app is served by Vite while a kolabd runs elsewhere;
// these proxies make the WebSocket and the login endpoints look same-origin,
// as they are when kolabd serves the built files itself.
const devServer = process.env.KOLAB_SERVER || 'http://127.0.0.1:8080';

export default defineConfig({
    base: '/',
    esbuild: {
        jsxFactory: 'h',
        jsxFragment: 'Fragment',
        jsxInject: `import { h, Fragment } from 'preact'`,
    },
    build: {
        outDir: 'dist',
        emptyOutDir: true,
        // Keep every script and style in files of their own: the server's CSP
        // allows neither inline scripts nor inline styles.
        assetsInlineLimit: 0,
        modulePreload: { polyfill: false },
        target: 'es2020',
    },
    server: {
        proxy: {
            '/ws': { target: devServer.replace(/^http/, 'ws'), ws: true },
            '/api': devServer,
            '/healthz': devServer,
        },
    },
    test: {
        include: ['test/**/*.test.js'],
        environment: 'node',
    },
});
