// The operations page's build (docs/web.md): Vue single-file components compiled ahead of time
// (the runtime-only Vue build: no template compiler and no eval in the browser, so the page's
// CSP needs no 'unsafe-eval'), hashed file names under assets/ (served with immutable caching
// by plugin.ts), ECharts and each view other than the city in chunks of their own.
//   npm run build                 → dashboard-api/web/dist/
//   npx vite --config dashboard-api/web/vite.config.ts   (development; proxies /api to :8080)
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import vue from '@vitejs/plugin-vue'
import { defineConfig } from 'vite'

const root = path.dirname(fileURLToPath(import.meta.url))
const api = process.env.QINGYUN_WEB_DEV_API ?? 'http://127.0.0.1:8080'

export default defineConfig({
  root,
  base: '/',
  publicDir: path.join(root, 'public'),
  plugins: [vue()],
  define: {
    __VUE_OPTIONS_API__: 'false',
    __VUE_PROD_DEVTOOLS__: 'false',
    __VUE_PROD_HYDRATION_MISMATCH_DETAILS__: 'false'
  },
  build: {
    outDir: path.join(root, 'dist'),
    emptyOutDir: true,
    assetsDir: 'assets',
    // Every browser the operations centre uses (Chromium-based, current) has module preload.
    modulePreload: { polyfill: false },
    // Never inline an asset as a data: URL into the JS or CSS; every file keeps its own hash.
    assetsInlineLimit: 0,
    chunkSizeWarningLimit: 800,
    reportCompressedSize: false
  },
  server: {
    proxy: {
      '/api': { target: api, ws: true },
      '/config.json': api,
      '/data': api
    }
  }
})
