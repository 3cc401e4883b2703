/**
 * The API counts characters as Python does, in code points; a JS string's `length` and indices
 * count UTF-16 code units, so every character outside the Basic Multilingual Plane (emoji) is
 * one character to the server and two to JS.
 */

const SURROGATE = /[\uD800-\uDFFF]/

/** `text`'s length in code points, as Python's `len()` gives it. */
export function codePointLength(text: string): number {
  if (!SURROGATE.test(text)) return text.length
  let count = 0
  for (let i = 0; i < text.length; i++) {
    const unit = text.charCodeAt(i)
    // A high surrogate followed by a low one is one code point; count it at the low half.
    if (unit >= 0xd800 && unit <= 0xdbff && i + 1 < text.length) {
      const next = text.charCodeAt(i + 1)
      if (next >= 0xdc00 && next <= 0xdfff) i++
    }
    count++
  }
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
  for (let i = 0; i < text.length; i++) {
    starts.push(i)
    const unit = text.charCodeAt(i)
    if (unit >= 0xd800 && unit <= 0xdbff && i + 1 < text.length) {
      const next = text.charCodeAt(i + 1)
      if (next >= 0xdc00 && next <= 0xdfff) i++
    }
  }
  return { length: starts.length, toIndex: (offset) => (offset < starts.length ? starts[offset] : text.length) }
}

/** Bytes of `text` in UTF-8 (lone surrogates, which UTF-8 cannot hold, count as U+FFFD would). */
export function utf8Length(text: string): number {
  let bytes = 0
  for (let i = 0; i < text.length; i++) {
    const unit = text.charCodeAt(i)
    if (unit < 0x80) bytes += 1
    else if (unit < 0x800) bytes += 2
    else if (unit >= 0xd800 && unit <= 0xdbff && i + 1 < text.length) {
      const next = text.charCodeAt(i + 1)
      if (next >= 0xdc00 && next <= 0xdfff) {
        bytes += 4
        i++
      } else bytes += 3
    } else bytes += 3
  }
  return bytes
}
