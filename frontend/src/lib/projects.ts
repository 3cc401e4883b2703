/** Project slugs, and reading a labelled training file in the browser for its preview. */
import type { TrainingFormat } from '@/api/types'
import { guessTextColumn, parseCsv } from './batch'

/** What the server takes as a slug: lowercase letters, digits and `-`, 1–64, not starting with `-`. */
export const SLUG_PATTERN = /^[a-z0-9][a-z0-9-]{0,63}$/

/** A slug suggested from a project's name: "Ticket router (EU)" → "ticket-router-eu". */
export function suggestSlug(name: string): string {
  return name
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+/, '')
    .slice(0, 64)
    .replace(/-+$/, '')
}

/** Why the server would refuse `slug`, or null. */
export function slugProblem(slug: string): string | null {
  if (slug === '') return 'Give the project a slug (it goes in its URLs).'
  if (slug.length > 64) return 'Use at most 64 characters.'
  if (!SLUG_PATTERN.test(slug)) return 'Use lowercase letters, digits and “-”, starting with a letter or digit.'
  return null
}

export interface LabelledFile {
  format: TrainingFormat
  /** The columns (for SMS-style files, `label` and `text`). */
  fields: string[]
  rows: Record<string, string>[]
  /** Problems found while reading, with the line or row where there is one (at most 5). */
  problems: string[]
}

/** Column names that say "this is a header", so a tab-separated file is not SMS-style. */
const HEADER_NAME = /^(text|message|messages|sms|body|content|msg|label|labels|class|category|target|tag|team|sentiment|intent)$/i
const LABEL_COLUMN = /^(label|labels|class|category|target|tag|team|sentiment|intent|y)$/i

function formatOf(fileName: string, content: string): TrainingFormat {
  const extension = fileName.toLowerCase().split('.').pop() ?? ''
  if (extension === 'jsonl' || extension === 'ndjson' || content.trimStart().startsWith('{')) return 'jsonl'
  const firstLine = content.split(/\r?\n/, 1)[0] ?? ''
  if (firstLine.includes('\t')) {
    const cells = firstLine.split('\t').map((cell) => cell.trim())
    return cells.some((cell) => HEADER_NAME.test(cell)) ? 'tsv' : 'sms'
  }
  return extension === 'tsv' ? 'tsv' : 'csv'
}

function parseJsonLines(content: string): LabelledFile {
  const rows: Record<string, string>[] = []
  const fields = new Set<string>()
  const problems: string[] = []
  content.split(/\r?\n/).forEach((line, i) => {
    if (line.trim() === '') return
    try {
      const value: unknown = JSON.parse(line)
      if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new Error('not a JSON object')
      const row: Record<string, string> = {}
      for (const [key, cell] of Object.entries(value)) {
        fields.add(key)
        row[key] = typeof cell === 'string' ? cell : JSON.stringify(cell)
      }
      rows.push(row)
    } catch (e) {
      if (problems.length < 5) problems.push(`Line ${i + 1}: ${e instanceof Error ? e.message : String(e)}`)
    }
  })
  return { format: 'jsonl', fields: [...fields], rows, problems }
}

function parseSms(content: string): LabelledFile {
  const rows: Record<string, string>[] = []
  const problems: string[] = []
  content.split(/\r?\n/).forEach((line, i) => {
    if (line.trim() === '') return
    const tab = line.indexOf('\t')
    if (tab < 0) {
      if (problems.length < 5) problems.push(`Line ${i + 1}: no tab between the label and the text`)
      return
    }
    rows.push({ label: line.slice(0, tab).trim(), text: line.slice(tab + 1) })
  })
  return { format: 'sms', fields: ['label', 'text'], rows, problems }
}

/** Read a labelled file: SMS-style `label<TAB>text`, CSV/TSV with a header, or JSON Lines. */
export function parseLabelledFile(fileName: string, content: string): LabelledFile {
  const text = content.replace(/^\uFEFF/, '')
  const format = formatOf(fileName, text)
  if (format === 'jsonl') return parseJsonLines(text)
  if (format === 'sms') return parseSms(text)
  return { format, ...parseCsv(text) }
}

/** The columns most likely to hold the text and the label. */
export function guessColumns(file: LabelledFile): { text: string; label: string } {
  const text = guessTextColumn(file.fields, file.rows) ?? ''
  const others = file.fields.filter((f) => f !== text)
  const named = others.find((f) => LABEL_COLUMN.test(f))
  if (named) return { text, label: named }
  // Else the column with the fewest different values: labels repeat, texts rarely do.
  const distinct = (field: string) => new Set(file.rows.slice(0, 500).map((row) => row[field])).size
  const label = [...others].sort((a, b) => distinct(a) - distinct(b))[0] ?? ''
  return { text, label }
}

/** How many rows have each label (blank labels left out), most first. */
export function labelCounts(rows: readonly Record<string, string>[], column: string): [string, number][] {
  const counts = new Map<string, number>()
  for (const row of rows) {
    const label = (row[column] ?? '').trim()
    if (label !== '') counts.set(label, (counts.get(label) ?? 0) + 1)
  }
  return [...counts.entries()].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
}
