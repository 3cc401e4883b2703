import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { fileURLToPath, URL } from 'node:url'
import { defineConfig, type Plugin } from 'vite'
import vue from '@vitejs/plugin-vue'

// The Flask app serves the built files at `/` and falls back to index.html for deep links.
const backend = process.env.TAGLOOP_DEV_BACKEND ?? 'http://127.0.0.1:8000'

/**
 * The interactive API docs (`/api/docs`): Swagger UI 5 (it reads OpenAPI 3.1) copied from npm into
 * the build beside public/api-docs, so the page works offline and needs no inline script.
 */
function swaggerUi(): Plugin {
  const dist = createRequire(import.meta.url).resolve('swagger-ui-dist/package.json').replace(/package\.json$/, '')
  return {
    name: 'tagloop-swagger-ui',
    apply: 'build',
    generateBundle() {
      for (const name of ['swagger-ui-bundle.js', 'swagger-ui.css']) {
        this.emitFile({ type: 'asset', fileName: `api-docs/${name}`, source: readFileSync(dist + name) })
      }
    },
  }
}

export default defineConfig({
  plugins: [vue(), swaggerUi()],
  resolve: {
    alias: { '@': fileURLToPath(new URL('./src', import.meta.url)) },
  },
  build: {
    outDir: '../src/tagloop/static',
    emptyOutDir: true,
    target: 'es2022',
    reportCompressedSize: true,
    rolldownOptions: {
      output: {
        // The small building blocks most pages share go in one chunk instead of a dozen tiny ones;
        // Chart.js and papaparse stay in the chunks of the pages that use them (so the composable
        // of the New project page, which reads files with papaparse, stays in that page's chunk).
        codeSplitting: {
          groups: [
            {
              name: 'shared',
              test: /src[\\/](api|composables[\\/](?!useCreateProject)|lib[\\/](format|highlight)|components[\\/](ErrorAlert|EmptyState|LoadingIndicator|LabelBadge|ProbabilityBars|FeedbackForm|ThumbIcon|TableScroll|PaginationNav|ConfirmDialog|ConfusionMatrix))/,
            },
          ],
        },
      },
    },
  },
  server: {
    proxy: Object.fromEntries(
      ['/api', '/healthz', '/readyz', '/metrics'].map((path) => [path, { target: backend }]),
    ),
  },
})
