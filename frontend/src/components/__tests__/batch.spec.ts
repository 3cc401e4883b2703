import { describe, expect, it } from 'vitest'
import Papa from 'papaparse'
import { chunk, columnTexts, guessTextColumn, parseCsv, parseTextLines, resultsToCsv } from '@/lib/batch'
import { prediction } from './fixtures'

describe('chunk', () => {
  it('splits into pieces of at most the given size, keeping order', () => {
    const items = Array.from({ length: 2501 }, (_, i) => i)
    const chunks = chunk(items, 1000)
    expect(chunks.map((c) => c.length)).toEqual([1000, 1000, 501])
    expect(chunks.flat()).toEqual(items)
  })

  it('returns no chunk for no items and rejects a bad size', () => {
    expect(chunk([], 10)).toEqual([])
    expect(() => chunk([1], 0)).toThrow(RangeError)
    expect(() => chunk([1], 1.5)).toThrow(RangeError)
  })
})

describe('parseCsv', () => {
  it('reads the header, quoted commas, quotes and newlines', () => {
    const csv = 'id,message\n1,"Hello, world"\n2,"She said ""hi""\nthen left"\n\n3,plain\n'
    const parsed = parseCsv(csv)
    expect(parsed.fields).toEqual(['id', 'message'])
    expect(parsed.rows.map((r) => r.message)).toEqual(['Hello, world', 'She said "hi"\nthen left', 'plain'])
    expect(parsed.problems).toEqual([])
  })

  it('reads tab-separated files too', () => {
    const parsed = parseCsv('label\ttext\nham\tsee you at 6\nspam\tWIN a prize\n')
    expect(parsed.fields).toEqual(['label', 'text'])
    expect(parsed.rows[1].text).toBe('WIN a prize')
  })

  it('reports ragged rows', () => {
    const parsed = parseCsv('a,b\n1,2\n3,4,5\n')
    expect(parsed.problems.length).toBeGreaterThan(0)
  })
})

describe('guessTextColumn and columnTexts', () => {
  it('prefers a well-known name, else the column with the longest values', () => {
    expect(guessTextColumn(['id', 'Message', 'label'])).toBe('Message')
    const rows = [
      { a: '1', b: 'a long message here', c: 'x' },
      { a: '2', b: 'another long one', c: 'y' },
    ]
    expect(guessTextColumn(['a', 'b', 'c'], rows)).toBe('b')
    expect(guessTextColumn([])).toBeNull()
  })

  it('skips blank values and counts them', () => {
    const { texts, skipped } = columnTexts([{ t: ' one ' }, { t: '' }, { t: '  ' }, { t: 'two' }, {}], 't')
    expect(texts).toEqual(['one', 'two'])
    expect(skipped).toBe(3)
  })
})

describe('parseTextLines', () => {
  it('takes one message per line, Windows or Unix endings, no blank lines, no BOM', () => {
    expect(parseTextLines('\uFEFFfirst\r\nsecond\n\n  third  \n')).toEqual(['first', 'second', 'third'])
  })
})

describe('resultsToCsv', () => {
  it('writes a row per message with label, confidence, probabilities, id and model', () => {
    const csv = resultsToCsv(
      [
        { text: 'WINNER, "free"', prediction: prediction({ id: 11 }), error: null },
        { text: 'too long', prediction: null, error: 'text is longer than 10,000 characters' },
      ],
      ['ham', 'spam'],
    )
    const parsed = Papa.parse<Record<string, string>>(csv, { header: true, skipEmptyLines: true })
    expect(parsed.meta.fields).toEqual(['text', 'label', 'confidence', 'p_ham', 'p_spam', 'prediction_id', 'model_version', 'error'])
    expect(parsed.data).toHaveLength(2)
    expect(parsed.data[0]).toMatchObject({
      text: 'WINNER, "free"',
      label: 'spam',
      confidence: '0.970000',
      p_ham: '0.030000',
      p_spam: '0.970000',
      prediction_id: '11',
      model_version: '1',
      error: '',
    })
    expect(parsed.data[1]).toMatchObject({ label: '', prediction_id: '', error: 'text is longer than 10,000 characters' })
  })
})
