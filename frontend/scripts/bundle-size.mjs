// Print the gzip size of the built web app: every file, the total, and what the first page
// (index.html, its entry script and CSS, and the Classify page's chunks) downloads.
// Usage: npm run build && npm run size
import { readdirSync, readFileSync, statSync } from 'node:fs'
import { join, relative } from 'node:path'
import { gzipSync } from 'node:zlib'

const root = new URL('../../src/tagloop/static/', import.meta.url).pathname
const files = []
const walk = (dir) => {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name)
    if (statSync(path).isDirectory()) walk(path)
    else if (/\.(js|css|html|svg)$/.test(name)) files.push(path)
  }
}
walk(root)

const sizes = new Map(files.map((f) => [relative(root, f), { raw: statSync(f).size, gzip: gzipSync(readFileSync(f), { level: 9 }).length }]))
const kb = (n) => `${(n / 1024).toFixed(1)} KiB`

// The first page: index.html, what it links, and the static imports of the entry and of the
// Classify view's chunk (dynamic imports of the other pages are left out), plus their CSS.
const firstLoad = new Set(['index.html'])
const html = readFileSync(join(root, 'index.html'), 'utf8')
const queue = [...html.matchAll(/(?:src|href)="\/(assets\/[\w.-]+\.(?:js|css))"/g)].map((m) => m[1])
const classify = [...sizes.keys()].find((f) => /ClassifyView-.*\.js$/.test(f))
if (classify) queue.push(classify)
while (queue.length) {
  const file = queue.pop()
  if (firstLoad.has(file) || !sizes.has(file)) continue
  firstLoad.add(file)
  if (!file.endsWith('.js')) continue
  const text = readFileSync(join(root, file), 'utf8')
  for (const m of text.matchAll(/(?:from|import)\s*"\.\/([\w.-]+\.js)"/g)) queue.push(`assets/${m[1]}`)
  const css = [...sizes.keys()].find((f) => f.endsWith('.css') && f.startsWith(file.replace(/-[\w]+\.js$/, '-')))
  if (css) queue.push(css)
}

const rows = [...sizes.entries()].sort((a, b) => b[1].gzip - a[1].gzip)
for (const [file, s] of rows) console.log(`${kb(s.gzip).padStart(10)} gzip ${kb(s.raw).padStart(10)} raw  ${file}`)
const sum = (list) => list.reduce((t, [, s]) => t + s.gzip, 0)
console.log(`\ntotal: ${kb(sum(rows))} gzip in ${rows.length} files`)
const first = rows.filter(([f]) => firstLoad.has(f))
console.log(`first load of / (Classify): ${kb(sum(first))} gzip in ${first.length} files`)
