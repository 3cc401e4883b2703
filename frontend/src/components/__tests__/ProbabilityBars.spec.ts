import { describe, expect, it } from 'vitest'
import { mount } from '@vue/test-utils'
import ProbabilityBars from '../ProbabilityBars.vue'

describe('ProbabilityBars', () => {
  const props = {
    probabilities: { ham: 0.123, spam: 0.877 },
    predicted: 'spam',
    labelNames: { ham: 'not spam' },
  }

  it('draws one bar per class, most likely first, with the number as text', () => {
    const rows = mount(ProbabilityBars, { props }).findAll('li')
    expect(rows).toHaveLength(2)
    expect(rows[0].attributes('data-label')).toBe('spam')
    expect(rows[0].find('.name').text()).toBe('spam')
    expect(rows[0].find('.value').text()).toBe('87.7%')
    expect(rows[1].find('.name').text()).toBe('not spam')
    expect(rows[1].find('.value').text()).toBe('12.3%')
  })

  it('sizes the bars by probability and marks the predicted class', () => {
    const rows = mount(ProbabilityBars, { props }).findAll('li')
    expect(rows[0].find('.fill').attributes('style')).toContain('width: 87.7%')
    expect(rows[1].find('.fill').attributes('style')).toContain('width: 12.3%')
    expect(rows[0].classes()).toContain('predicted')
    expect(rows[1].classes()).not.toContain('predicted')
  })

  it('clamps values outside 0–1 and treats non-numbers as 0', () => {
    const rows = mount(ProbabilityBars, { props: { probabilities: { a: 1.2, b: Number.NaN } } }).findAll('li')
    expect(rows[0].find('.fill').attributes('style')).toMatch(/width: 100(\.0)?%/)
    expect(rows[1].find('.value').text()).toBe('0.0%')
  })

  it('hides the decorative bar from assistive technology', () => {
    const wrapper = mount(ProbabilityBars, { props })
    expect(wrapper.find('.track').attributes('aria-hidden')).toBe('true')
    expect(wrapper.find('ul').attributes('aria-label')).toBe('Probability per class')
  })
})
