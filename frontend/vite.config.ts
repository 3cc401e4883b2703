import { fileURLToPath, URL } from 'node:url'
import { defineConfig } from 'vite'
import vue from '@vitejs/plugin-vue'

// The Flask app serves the built files at `/` and falls back to index.html for deep links.
const backend = process.env.TAGLOOP_DEV_BACKEND ?? 'http://127.0.0.1:8000'

export default defineConfig({
  plugins: [vue()],
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
