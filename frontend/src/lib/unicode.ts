/**
 * The API counts characters as Python does, in code points; a JS string's `length` and indices
 * count UTF-16 code units, so every character outside the Basic Multilingual Plane (emoji) is
 * one character to the server and two to JS. A string's iterator walks code points (a lone
 * surrogate is one, as in Python), so `for…of` does the counting.
 */

const SURROGATE = /[\uD800-\uDFFF]/

/** `text`'s length in code points, as Python's `len()` gives it. */
export function codePointLength(text: string): number {
  if (!SURROGATE.test(text)) return text.length
  let count = 0
  for (const _ of text) count++
  return count
}

export interface CodePointIndex {
  /** The text's length in code points. */
  length: number
  /** The UTF-16 index JS slices at for a code-point offset (past the end: `text.length`). */
  toIndex: (offset: number) => number
}

/** Built once per text (one pass, none for text without astral characters); lookups are O(1). */
export function codePointIndex(text: string): CodePointIndex {
  if (!SURROGATE.test(text)) return { length: text.length, toIndex: (offset) => Math.min(offset, text.length) }
  const starts: number[] = []
  let index = 0
  for (const char of text) {
    starts.push(index)
    index += char.length
  }
  return { length: starts.length, toIndex: (offset) => (offset < starts.length ? starts[offset] : text.length) }
}

const encoder = new TextEncoder()

/** Bytes of `text` in UTF-8 (a lone surrogate, which UTF-8 cannot hold, counts as U+FFFD). */
export function utf8Length(text: string): number {
  return encoder.encode(text).length
}
