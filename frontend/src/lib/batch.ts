/** Reading an uploaded file into messages, splitting them into API-sized chunks, writing results. */
import Papa from 'papaparse'
import type { Prediction } from '@/api/types'

export interface ParsedCsv {
  fields: string[]
  rows: Record<string, string>[]
  /** Row-level problems papaparse found (ragged rows, bad quotes), 1-based data row numbers. */
  problems: string[]
}

export function parseCsv(content: string): ParsedCsv {
  const result = Papa.parse<Record<string, string>>(content, {
    header: true,
    skipEmptyLines: 'greedy',
    transformHeader: (header) => header.trim(),
  })
  const problems = result.errors
    .filter((e) => e.code !== 'UndetectableDelimiter')
    .slice(0, 5)
    .map((e) => (e.row === undefined ? e.message : `Row ${e.row + 1}: ${e.message}`))
  const fields = (result.meta.fields ?? []).filter((f) => f !== '')
  return { fields, rows: result.data, problems }
}

const TEXT_COLUMN = /^(text|message|messages|sms|body|content|msg)$/i

/** The column most likely to hold the messages: a well-known name, else the longest values. */
export function guessTextColumn(fields: string[], rows: Record<string, string>[] = []): string | null {
  if (fields.length === 0) return null
  const named = fields.find((f) => TEXT_COLUMN.test(f))
  if (named) return named
  const sample = rows.slice(0, 50)
  const meanLength = (field: string) =>
    sample.reduce((sum, row) => sum + (row[field]?.length ?? 0), 0) / Math.max(sample.length, 1)
  return [...fields].sort((a, b) => meanLength(b) - meanLength(a))[0] ?? null
}

/** One message per line; blank lines are skipped. */
export function parseTextLines(content: string): string[] {
  return content
    .replace(/^\uFEFF/, '')
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line !== '')
}

/** The column's values, blank ones left out; `skipped` says how many. */
export function columnTexts(rows: Record<string, string>[], column: string) {
  const texts: string[] = []
  let skipped = 0
  for (const row of rows) {
    const value = (row[column] ?? '').trim()
    if (value === '') skipped += 1
    else texts.push(value)
  }
  return { texts, skipped }
}

export function chunk<T>(items: readonly T[], size: number): T[][] {
  if (!Number.isInteger(size) || size < 1) throw new RangeError(`chunk size must be a positive integer, got ${size}`)
  const chunks: T[][] = []
  for (let i = 0; i < items.length; i += size) chunks.push(items.slice(i, i + size))
  return chunks
}

export interface BatchRow {
  text: string
  prediction: Prediction | null
  error: string | null
}

/** CSV of the results: text, label, confidence, one probability column per class, id, model. */
export function resultsToCsv(rows: readonly BatchRow[], labels: readonly string[]): string {
  const fields = [
    'text',
    'label',
    'confidence',
    ...labels.map((label) => `p_${label}`),
    'prediction_id',
    'model_version',
    'error',
  ]
  const data = rows.map((row) => {
    const p = row.prediction
    return [
      row.text,
      p?.label ?? '',
      p ? p.confidence.toFixed(6) : '',
      ...labels.map((label) => (p?.probabilities[label] !== undefined ? p.probabilities[label].toFixed(6) : '')),
      p?.id ?? '',
      p?.model_version ?? '',
      row.error ?? '',
    ]
  })
  return Papa.unparse({ fields, data }, { newline: '\r\n' })
}
