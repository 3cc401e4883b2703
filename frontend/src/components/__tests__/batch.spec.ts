import { afterEach, describe, expect, it, vi } from 'vitest'
import { flushPromises, mount } from '@vue/test-utils'
import Papa from 'papaparse'
import {
  chunk,
  columnTexts,
  guessTextColumn,
  parseCsv,
  parseTextLines,
  planChunks,
  resultsToCsv,
  textProblem,
  type BatchPlan,
} from '@/lib/batch'
import { info, jsonResponse, prediction } from './fixtures'

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

describe('planChunks', () => {
  const roomy = { maxRows: 1000, maxBytes: 4 * 1024 * 1024, maxTextLength: 10000 }
  /** What each request would send, as the texts themselves. */
  const sent = (texts: string[], plan: BatchPlan) => plan.chunks.map((c) => c.send.map((i) => texts[i]))
  /** The request body a chunk becomes, in UTF-8 bytes. */
  const bodyBytes = (texts: string[]) => new TextEncoder().encode(JSON.stringify({ texts })).length

  it('keeps to the row limit, in order, covering every row once', () => {
    const texts = Array.from({ length: 2501 }, (_, i) => `message ${i}`)
    const plan = planChunks(texts, roomy)
    expect(plan.chunks.map((c) => c.send.length)).toEqual([1000, 1000, 501])
    expect(plan.chunks.map((c) => [c.start, c.end])).toEqual([
      [0, 1000],
      [1000, 2000],
      [2000, 2501],
    ])
    expect(sent(texts, plan).flat()).toEqual(texts)
    expect(plan.problems.every((p) => p === null)).toBe(true)
  })

  it('keeps every request body under the byte budget, counting UTF-8 and JSON escapes', () => {
    // 900 rows of ~1.3 KB (multi-byte characters, quotes, newlines): far fewer than 1,000 rows fit in 100 KB.
    const texts = Array.from({ length: 900 }, (_, i) => `${i} "£€🎉"\n`.repeat(60))
    const maxBytes = 100_000
    const plan = planChunks(texts, { ...roomy, maxBytes })
    const bodies = sent(texts, plan)
    expect(bodies.length).toBeGreaterThan(10)
    for (const body of bodies) expect(bodyBytes(body)).toBeLessThanOrEqual(maxBytes)
    // Full chunks: one more row would not have fitted.
    for (const [i, body] of bodies.slice(0, -1).entries()) {
      expect(bodyBytes([...body, texts[plan.chunks[i + 1].send[0]]])).toBeGreaterThan(maxBytes)
    }
    expect(bodies.flat()).toEqual(texts)
  })

  it('sends a text bigger than the byte budget on its own', () => {
    const texts = ['short', 'x'.repeat(500), 'short again']
    const plan = planChunks(texts, { ...roomy, maxBytes: 100 })
    expect(sent(texts, plan)).toEqual([['short'], ['x'.repeat(500)], ['short again']])
  })

  it('leaves out the texts the API would refuse, with its reason, and keeps the ranges whole', () => {
    const long = 'a'.repeat(11)
    const texts = ['ok 1', long, 'ok 2', '\u200b', 'ok 3', 'nul\0here', long]
    const plan = planChunks(texts, { maxRows: 2, maxBytes: 1000, maxTextLength: 10 })
    expect(sent(texts, plan)).toEqual([['ok 1', 'ok 2'], ['ok 3']])
    expect(plan.chunks.map((c) => [c.start, c.end])).toEqual([
      [0, 4],
      [4, 7],
    ])
    expect(plan.problems).toEqual([
      null,
      'text is longer than 10 characters (11)',
      null,
      'text is empty',
      null,
      'contains a NUL character at position 3',
      'text is longer than 10 characters (11)',
    ])
  })

  it('counts characters as the API does: an emoji is one', () => {
    const texts = ['🎉'.repeat(10), '🎉'.repeat(11)]
    const plan = planChunks(texts, { ...roomy, maxTextLength: 10 })
    expect(plan.problems).toEqual([null, 'text is longer than 10 characters (11)'])
    expect(textProblem('a'.repeat(10001), 10000)).toBe('text is longer than 10,000 characters (10,001)')
    expect(textProblem(' \t\u200e ', 10)).toBe('text is empty')
  })

  it('makes one request-less chunk when every text is refused, none for no texts', () => {
    const plan = planChunks(['', ' '], roomy)
    expect(plan.chunks).toEqual([{ start: 0, end: 2, send: [] }])
    expect(planChunks([], roomy).chunks).toEqual([])
    expect(() => planChunks(['a'], { ...roomy, maxRows: 0 })).toThrow(RangeError)
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

  it('skips blank values and counts them, keeping the others as they are with their row', () => {
    const rows: Record<string, string>[] = [{ t: ' one ', id: 'a' }, { t: '' }, { t: '  ' }, { t: 'two', id: 'b' }, {}]
    const { texts, skipped, sources } = columnTexts(rows, 't', 2)
    expect(texts).toEqual([' one ', 'two'])
    expect(skipped).toBe(3 + 2) // blank values, and the wholly blank rows the parser dropped
    expect(sources?.map((r) => r.id)).toEqual(['a', 'b'])
  })

  it('counts the wholly blank rows of a CSV file', () => {
    expect(parseCsv('id,text\n1,a\n\n  \n2,b\n').blankRows).toBe(2)
    expect(parseCsv('id,text\n1,a\n2,b').blankRows).toBe(0)
  })
})

describe('parseTextLines', () => {
  it('takes one message per line, Windows or Unix endings, no blank lines, no BOM', () => {
    expect(parseTextLines('\uFEFFfirst\r\nsecond\n\n  third  \n')).toEqual({ texts: ['first', 'second', '  third  '], skipped: 1 })
    expect(parseTextLines('a\n \n\nb')).toEqual({ texts: ['a', 'b'], skipped: 2 })
  })
})

describe('resultsToCsv', () => {
  it('keeps every input column as it was, then the results (renamed where names collide)', () => {
    const source = { id: '17', label: 'from-the-file', text: '  hi there  ' }
    const csv = resultsToCsv([{ text: source.text, prediction: prediction({ id: 11 }), error: null, source }], ['ham', 'spam'], ['id', 'label', 'text'])
    const parsed = Papa.parse<Record<string, string>>(csv, { header: true, skipEmptyLines: true })
    expect(parsed.meta.fields?.slice(0, 4)).toEqual(['id', 'label', 'text', 'predicted_label'])
    expect(parsed.data[0]).toMatchObject({ id: '17', label: 'from-the-file', text: '  hi there  ', predicted_label: 'spam', prediction_id: '11' })
  })

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

describe('the Batch page', () => {
  const { createObjectURL, revokeObjectURL } = URL
  afterEach(() => {
    vi.unstubAllGlobals()
    Object.assign(URL, { createObjectURL, revokeObjectURL })
  })

  it('marks only the rows of a failed chunk as failed, and refused rows with their reason', async () => {
    const requests: string[][] = []
    vi.stubGlobal(
      'fetch',
      vi.fn<typeof fetch>(async (input, init) => {
        if (String(input).startsWith('/api/v1/projects/default/info')) return jsonResponse(info(1, { max_text_length: 20, max_batch: 3 }))
        const { texts } = JSON.parse(String(init?.body)) as { texts: string[] }
        requests.push(texts)
        if (requests.length === 2) {
          return jsonResponse({ error: { code: 'unavailable', message: 'the model is reloading', details: null } }, 503)
        }
        return jsonResponse({ predictions: texts.map((text, i) => prediction({ id: 100 * requests.length + i, text })) })
      }),
    )
    // Keep the results file the page makes.
    let csvBlob: Blob | null = null
    URL.createObjectURL = (blob: Blob | MediaSource) => {
      csvBlob = blob as Blob
      return 'blob:results'
    }
    URL.revokeObjectURL = () => {}

    const { default: BatchView } = await import('@/views/BatchView.vue')
    const wrapper = mount(BatchView)
    await flushPromises()
    // m3 is too long (21 characters), so 7 texts make 2 requests of 3.
    const lines = ['m1', 'm2', 'm3 is much too long!!', 'm4', 'm5', 'm6', 'm7', 'm8']
    const file = new File([lines.join('\n')], 'lines.txt', { type: 'text/plain' })
    const input = wrapper.find('input[type="file"]')
    Object.defineProperty(input.element, 'files', { value: [file] })
    await input.trigger('change')
    await vi.waitFor(() => expect(wrapper.find('[data-testid="batch-run"]').exists()).toBe(true))
    expect(wrapper.text()).toContain('8 messages in 3 requests')
    expect(wrapper.find('[data-testid="batch-refused"]').text()).toContain('Message 3: text is longer than 20 characters (21)')

    await wrapper.find('[data-testid="batch-run"]').trigger('click')
    await vi.waitFor(() => expect(wrapper.find('[data-testid="batch-results"]').exists()).toBe(true))
    expect(requests).toEqual([['m1', 'm2', 'm4'], ['m5', 'm6', 'm7'], ['m8']])
    expect(wrapper.text()).toContain('Chunk 2 of 3 (messages 5–7): the model is reloading')

    expect(csvBlob).not.toBeNull()
    const rows = Papa.parse<Record<string, string>>(await csvBlob!.text(), { header: true, skipEmptyLines: true }).data
    expect(rows.map((r) => [r.text, r.label, r.error])).toEqual([
      ['m1', 'spam', ''],
      ['m2', 'spam', ''],
      ['m3 is much too long!!', '', 'text is longer than 20 characters (21)'],
      ['m4', 'spam', ''],
      ['m5', '', 'the model is reloading'],
      ['m6', '', 'the model is reloading'],
      ['m7', '', 'the model is reloading'],
      ['m8', 'spam', ''],
    ])
    expect(rows.map((r) => r.prediction_id)).toEqual(['100', '101', '', '102', '', '', '', '300'])
    expect(wrapper.find('[role="status"]').text()).toContain('4 classified, 4 failed')
    wrapper.unmount()
  })
})
