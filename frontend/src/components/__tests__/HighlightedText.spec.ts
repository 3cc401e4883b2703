import { describe, expect, it } from 'vitest'
import { mount } from '@vue/test-utils'
import HighlightedText from '../HighlightedText.vue'
import { highlightSegments, strengthLevel, topWords } from '@/lib/highlight'

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
