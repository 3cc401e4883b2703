import { describe, expect, it } from 'vitest'
import { mount } from '@vue/test-utils'
import HighlightedText from '../HighlightedText.vue'
import { highlightSegments, strengthLevel, topWords } from '@/lib/highlight'
import { codePointIndex, codePointLength } from '@/lib/unicode'

const text = 'WINNER!! Claim your prize now'
const explanation = [
  { token: 'WINNER', start: 0, end: 6, weight: 1.2 },
  { token: 'Claim', start: 9, end: 14, weight: 0.5 },
  { token: 'your', start: 15, end: 19, weight: -0.3 },
]

describe('highlightSegments', () => {
  it('covers the text exactly once, in order, with weights on the explained words', () => {
    const segments = highlightSegments(text, explanation)
    expect(segments.map((s) => s.text).join('')).toBe(text)
    expect(segments.map((s) => [s.text, s.weight])).toEqual([
      ['WINNER', 1.2],
      ['!! ', null],
      ['Claim', 0.5],
      [' ', null],
      ['your', -0.3],
      [' prize now', null],
    ])
  })

  it('sorts unordered spans and drops overlapping, empty, zero and out-of-range ones', () => {
    const segments = highlightSegments('abc def ghi', [
      { token: 'ghi', start: 8, end: 11, weight: 0.2 },
      { token: 'abc', start: 0, end: 3, weight: 0.9 },
      { token: 'bc', start: 1, end: 3, weight: 0.1 },
      { token: 'x', start: 4, end: 4, weight: 1 },
      { token: 'def', start: 4, end: 7, weight: 0 },
      { token: 'far', start: 40, end: 44, weight: 1 },
      { token: 'neg', start: -2, end: 1, weight: 1 },
    ])
    expect(segments.filter((s) => s.weight !== null).map((s) => s.text)).toEqual(['abc', 'ghi'])
    expect(segments.map((s) => s.text).join('')).toBe('abc def ghi')
  })

  it('clamps a span running past the end of the text', () => {
    const segments = highlightSegments('hello', [{ token: 'hello', start: 0, end: 99, weight: 1 }])
    expect(segments).toEqual([{ text: 'hello', start: 0, end: 5, weight: 1 }])
  })

  it('returns one plain segment without an explanation, none for empty text', () => {
    expect(highlightSegments('plain')).toEqual([{ text: 'plain', start: 0, end: 5, weight: null }])
    expect(highlightSegments('', explanation)).toEqual([])
  })
})

describe('offsets in code points (as the API counts them)', () => {
  // The API's offsets are Python's: `re.finditer(r"\w+", text)` gives these for this text. Each
  // 🎉 is one code point there and two UTF-16 code units in JS.
  const party = '🎉 WIN £1000 now 🎉🎉 call'
  const partyExplanation = [
    { token: 'WIN', start: 2, end: 5, weight: 1.1 },
    { token: '1000', start: 7, end: 11, weight: 0.8 },
    { token: 'now', start: 12, end: 15, weight: 0.2 },
    { token: 'call', start: 19, end: 23, weight: 0.9 },
  ]

  it('marks the right words after emoji', () => {
    const segments = highlightSegments(party, partyExplanation)
    expect(segments.filter((s) => s.weight !== null).map((s) => s.text)).toEqual(['WIN', '1000', 'now', 'call'])
    expect(segments.map((s) => s.text)).toEqual(['🎉 ', 'WIN', ' £', '1000', ' ', 'now', ' 🎉🎉 ', 'call'])
    // start/end index the JS string, so slicing with them gives each segment back.
    for (const s of segments) expect(party.slice(s.start, s.end)).toBe(s.text)
  })

  it('never splits an emoji, clamps at the end in code points, drops spans past it', () => {
    const text = 'hi 👋🏽 there'
    // Python: len(text) == 11 ('👋🏽' is two code points, four UTF-16 units).
    expect(codePointLength(text)).toBe(11)
    const segments = highlightSegments(text, [
      { token: '👋🏽', start: 3, end: 5, weight: 0.5 },
      { token: 'there', start: 6, end: 99, weight: 1 },
      { token: 'far', start: 11, end: 12, weight: 1 },
    ])
    expect(segments.map((s) => [s.text, s.weight])).toEqual([
      ['hi ', null],
      ['👋🏽', 0.5],
      [' ', null],
      ['there', 1],
    ])
  })

  it('maps code-point offsets to UTF-16 indices', () => {
    const index = codePointIndex(party)
    expect(index.length).toBe(23)
    expect([0, 1, 2, 16, 17, 18, 23, 40].map(index.toIndex)).toEqual([0, 2, 3, 17, 19, 21, 26, 26])
    const plain = codePointIndex('plain')
    expect([plain.length, plain.toIndex(3), plain.toIndex(9)]).toEqual([5, 3, 5])
    // A lone surrogate (not valid text, but possible in a JS string) counts as one.
    expect(codePointLength('a\uD83Cb')).toBe(3)
  })

  it('shows the marks on the right words in the page', () => {
    const wrapper = mount(HighlightedText, {
      props: { text: party, explanation: partyExplanation, predictedName: 'spam' },
    })
    const paragraph = wrapper.find('[data-testid="highlighted-text"]')
    expect(paragraph.findAll('mark').map((m) => m.text())).toEqual(['WIN', '1000', 'now', 'call'])
    expect(paragraph.text()).toBe(party)
  })
})

describe('strengthLevel and topWords', () => {
  it('grades weights against the largest one', () => {
    expect(strengthLevel(1, 1)).toBe(3)
    expect(strengthLevel(-0.5, 1)).toBe(2)
    expect(strengthLevel(0.1, 1)).toBe(1)
    expect(strengthLevel(0.1, 0)).toBe(1)
  })

  it('lists words by absolute weight, one entry per word', () => {
    const words = topWords([...explanation, { token: 'winner', start: 30, end: 36, weight: 0.1 }], 2)
    expect(words).toEqual([
      { token: 'WINNER', weight: 1.2 },
      { token: 'Claim', weight: 0.5 },
    ])
  })
})

describe('HighlightedText', () => {
  it('marks explained words with their direction and weight in the title', () => {
    const wrapper = mount(HighlightedText, { props: { text, explanation, predictedName: 'spam' } })
    const marks = wrapper.find('[data-testid="highlighted-text"]').findAll('mark')
    expect(marks.map((m) => m.text())).toEqual(['WINNER', 'Claim', 'your'])
    expect(marks[0].classes()).toContain('toward')
    expect(marks[0].classes()).toContain('level-3')
    expect(marks[0].attributes('title')).toBe('“WINNER”: +1.20 toward spam')
    expect(marks[2].classes()).toContain('against')
    expect(marks[2].attributes('title')).toBe('“your”: -0.30 against spam')
    expect(wrapper.find('[data-testid="highlighted-text"]').text()).toBe(text)
  })

  it('shows a legend and the top words with weights as text', () => {
    const wrapper = mount(HighlightedText, { props: { text, explanation, predictedName: 'spam' } })
    expect(wrapper.find('.legend').text()).toContain('pushed toward spam')
    const items = wrapper.findAll('.top-list li').map((li) => li.text())
    expect(items[0]).toContain('WINNER')
    expect(items[0]).toContain('+1.20')
    expect(items[2]).toContain('-0.30')
    expect(items[2]).toContain('against spam')
  })

  it('never turns the user text into HTML', () => {
    const evil = '<img src=x onerror="alert(1)"><script>alert(2)</script> free prize'
    const wrapper = mount(HighlightedText, {
      props: {
        text: evil,
        explanation: [
          { token: '<img', start: 0, end: 4, weight: 0.4 },
          { token: 'prize', start: evil.length - 5, end: evil.length, weight: 0.9 },
        ],
        predictedName: 'spam',
      },
    })
    const paragraph = wrapper.find('[data-testid="highlighted-text"]')
    expect(paragraph.find('img').exists()).toBe(false)
    expect(paragraph.find('script').exists()).toBe(false)
    expect(paragraph.text()).toBe(evil)
    expect(paragraph.findAll('mark').map((m) => m.text())).toEqual(['<img', 'prize'])
    expect(wrapper.find('.top-list').text()).toContain('<img')
  })
})
