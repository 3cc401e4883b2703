/** Reading an uploaded file into messages, splitting them into API-sized chunks, writing results. */
import Papa from 'papaparse'
import type { Prediction } from '@/api/types'
import { toCsv } from './csv'
import { formatCount } from './format'
import { codePointLength, utf8Length } from './unicode'

export interface ParsedCsv {
  fields: string[]
  rows: Record<string, string>[]
  /** Rows with nothing in any field, left out of `rows`. */
  blankRows: number
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
  // papaparse drops blank rows without a count: count them on a second, plain pass.
  const all = Papa.parse<string[]>(content, { skipEmptyLines: false }).data.slice(1)
  const blankRows = all.filter((row) => row.every((cell) => cell.trim() === '')).length
  const trailing = /\r?\n$/.test(content) ? 1 : 0 // the empty "row" after the last line break
  return { fields, rows: result.data, blankRows: Math.max(0, blankRows - trailing), problems }
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

/** The messages to send, each as it was in the file; blank ones left out, `skipped` says how many. */
export interface BatchInput {
  texts: string[]
  skipped: number
  /** Per message, the input row it came from (every column), for CSV input. */
  sources?: Record<string, string>[]
}

/** One message per line, leading and trailing spaces kept; blank lines are skipped and counted. */
export function parseTextLines(content: string): BatchInput {
  const lines = content.replace(/^\uFEFF/, '').split(/\r?\n/)
  if (lines.at(-1) === '') lines.pop() // the file's final line break ends the last line
  const texts = lines.filter((line) => line.trim() !== '')
  return { texts, skipped: lines.length - texts.length }
}

/** The column's values as they are, blank ones left out and counted (with wholly blank rows). */
export function columnTexts(rows: Record<string, string>[], column: string, blankRows = 0): BatchInput {
  const texts: string[] = []
  const sources: Record<string, string>[] = []
  let skipped = blankRows
  for (const row of rows) {
    const value = row[column] ?? ''
    if (value.trim() === '') {
      skipped += 1
    } else {
      texts.push(value)
      sources.push(row)
    }
  }
  return { texts, skipped, sources }
}

export function chunk<T>(items: readonly T[], size: number): T[][] {
  if (!Number.isInteger(size) || size < 1) throw new RangeError(`chunk size must be a positive integer, got ${size}`)
  const chunks: T[][] = []
  for (let i = 0; i < items.length; i += size) chunks.push(items.slice(i, i + size))
  return chunks
}

/**
 * Why the API would refuse `text`, in the API's words (`check_text` in its schemas), or null.
 * One refused text fails the whole request it is in, so such rows are kept out of the requests.
 */
export function textProblem(text: string, maxTextLength: number): string | null {
  const nul = text.indexOf('\0')
  if (nul >= 0) return `contains a NUL character at position ${codePointLength(text.slice(0, nul))}`
  // Python's "printable and not a space": anything but control, format and separator characters.
  if (!/[^\p{C}\p{Z}]/u.test(text)) return 'text is empty'
  const length = codePointLength(text)
  if (length > maxTextLength) {
    return `text is longer than ${formatCount(maxTextLength)} characters (${formatCount(length)})`
  }
  return null
}

/** Request bodies stay well under the server's limit (`TAGLOOP_MAX_BODY_BYTES`, 16 MiB by default). */
export const MAX_CHUNK_BYTES = 4 * 1024 * 1024

export interface ChunkLimits {
  /** Texts per request: `limits.max_batch` from /info. */
  maxRows: number
  /** UTF-8 bytes of the JSON body per request. */
  maxBytes: number
  /** Characters (code points) per text: `limits.max_text_length` from /info. */
  maxTextLength: number
}

/** One request: it accounts for the input rows [start, end) and sends those in `send`. */
export interface BatchChunk {
  start: number
  end: number
  /** Indices of the rows to send: the range minus the refused rows. */
  send: number[]
}

export interface BatchPlan {
  chunks: BatchChunk[]
  /** Per row, why it is not sent (see `textProblem`), or null. */
  problems: (string | null)[]
}

const EMPTY_BODY_BYTES = utf8Length(JSON.stringify({ texts: [] }))

/**
 * Split `texts` into requests of at most `maxRows` texts and `maxBytes` bytes of JSON, in order,
 * leaving out texts the API would refuse. Chunks cover the input without gaps, so once a chunk
 * is done every row before its `end` has its result. A text too big for `maxBytes` on its own
 * goes alone.
 */
export function planChunks(texts: readonly string[], limits: ChunkLimits): BatchPlan {
  const { maxRows, maxBytes, maxTextLength } = limits
  if (!Number.isInteger(maxRows) || maxRows < 1) throw new RangeError(`maxRows must be a positive integer, got ${maxRows}`)
  const problems = texts.map((text) => textProblem(text, maxTextLength))
  const chunks: BatchChunk[] = []
  let current: BatchChunk = { start: 0, end: 0, send: [] }
  let bytes = EMPTY_BODY_BYTES
  texts.forEach((text, i) => {
    if (problems[i] === null) {
      const size = utf8Length(JSON.stringify(text))
      const full = current.send.length >= maxRows || bytes + 1 + size > maxBytes
      if (current.send.length > 0 && full) {
        chunks.push(current)
        current = { start: i, end: i, send: [] }
        bytes = EMPTY_BODY_BYTES
      }
      bytes += size + (current.send.length > 0 ? 1 : 0) // the comma between texts
      current.send.push(i)
    }
    current.end = i + 1
  })
  if (current.end > current.start) chunks.push(current)
  return { chunks, problems }
}

export interface BatchRow {
  text: string
  prediction: Prediction | null
  error: string | null
  /** The input row (every column) the text came from, for CSV input. */
  source?: Record<string, string>
}

/**
 * CSV of the results: the input's columns as they were (or `text` for a text file), then label,
 * confidence, one probability column per class, id, model and error. A result column whose
 * name the input already uses is called `predicted_<name>`.
 */
export function resultsToCsv(rows: readonly BatchRow[], labels: readonly string[], inputFields?: readonly string[]): string {
  const inputs = inputFields?.length ? [...inputFields] : ['text']
  const results = [
    'label',
    'confidence',
    ...labels.map((label) => `p_${label}`),
    'prediction_id',
    'model_version',
    'error',
  ].map((name) => (inputs.includes(name) ? `predicted_${name}` : name))
  const fields = [...inputs, ...results]
  const data = rows.map((row) => {
    const p = row.prediction
    return [
      ...(inputFields?.length ? inputs.map((f) => row.source?.[f] ?? '') : [row.text]),
      p?.label ?? '',
      p ? p.confidence.toFixed(6) : '',
      ...labels.map((label) => (p?.probabilities[label] !== undefined ? p.probabilities[label].toFixed(6) : '')),
      p?.id ?? '',
      p?.model_version ?? '',
      row.error ?? '',
    ]
  })
  return toCsv(fields, data)
}
