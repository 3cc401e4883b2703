/**
 * Turning an explanation (character offsets + weights) into plain-text segments.
 *
 * The segments are rendered as text nodes inside <span>/<mark>, so the user's text is never
 * interpreted as HTML.
 */
import type { ExplanationToken } from '@/api/types'
import { codePointIndex } from './unicode'

export interface Segment {
  text: string
  /** Where the segment starts and ends in `text` as JS indexes it (UTF-16 code units). */
  start: number
  end: number
  /** null for text between explained words; >0 pushed toward the predicted label, <0 away. */
  weight: number | null
}

/**
 * Only usable spans: inside the text, non-empty, finite non-zero weight; overlaps dropped.
 * The API's offsets count code points (Python's `str`); the spans returned index the JS string.
 */
function usableSpans(text: string, explanation: readonly ExplanationToken[]): ExplanationToken[] {
  const { length, toIndex } = codePointIndex(text)
  const valid = explanation
    .filter(
      (t) =>
        Number.isInteger(t.start) &&
        Number.isInteger(t.end) &&
        t.start >= 0 &&
        t.end > t.start &&
        t.start < length &&
        Number.isFinite(t.weight) &&
        t.weight !== 0,
    )
    .map((t) => ({ ...t, end: Math.min(t.end, length) }))
    .sort((a, b) => a.start - b.start || Math.abs(b.weight) - Math.abs(a.weight))
  const kept: ExplanationToken[] = []
  for (const span of valid) {
    const last = kept[kept.length - 1]
    if (last && span.start < last.end) continue
    kept.push(span)
  }
  return kept.map((span) => ({ ...span, start: toIndex(span.start), end: toIndex(span.end) }))
}

/** Split `text` into segments covering it exactly once, in order. */
export function highlightSegments(
  text: string,
  explanation: readonly ExplanationToken[] = [],
): Segment[] {
  const segments: Segment[] = []
  let cursor = 0
  for (const span of usableSpans(text, explanation)) {
    if (span.start > cursor) {
      segments.push({ text: text.slice(cursor, span.start), start: cursor, end: span.start, weight: null })
    }
    segments.push({ text: text.slice(span.start, span.end), start: span.start, end: span.end, weight: span.weight })
    cursor = span.end
  }
  if (cursor < text.length) {
    segments.push({ text: text.slice(cursor), start: cursor, end: text.length, weight: null })
  }
  return segments
}

/** 1 (weak) to 3 (strong): how much a weight stands out among the explanation's weights. */
export function strengthLevel(weight: number, maxAbsWeight: number): 1 | 2 | 3 {
  if (maxAbsWeight <= 0) return 1
  const ratio = Math.abs(weight) / maxAbsWeight
  if (ratio > 0.66) return 3
  if (ratio > 0.33) return 2
  return 1
}

export interface WordWeight {
  token: string
  weight: number
}

/** The `limit` words with the largest effect, one entry per word (case-insensitive). */
export function topWords(explanation: readonly ExplanationToken[] = [], limit = 8): WordWeight[] {
  const byWord = new Map<string, WordWeight>()
  for (const { token, weight } of explanation) {
    if (!Number.isFinite(weight) || weight === 0) continue
    const key = token.toLowerCase()
    const seen = byWord.get(key)
    if (!seen || Math.abs(weight) > Math.abs(seen.weight)) byWord.set(key, { token, weight })
  }
  return [...byWord.values()].sort((a, b) => Math.abs(b.weight) - Math.abs(a.weight)).slice(0, limit)
}
