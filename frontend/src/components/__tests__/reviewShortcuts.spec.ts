import { describe, expect, it, vi } from 'vitest'
import { defineComponent, h } from 'vue'
import { mount } from '@vue/test-utils'
import { reviewKeyAction, useReviewShortcuts, type ReviewAction } from '@/composables/useReviewShortcuts'

const key = (k: string, extra: Partial<KeyboardEvent> = {}, target: EventTarget | null = document.body) => ({
  key: k,
  ctrlKey: false,
  metaKey: false,
  altKey: false,
  target,
  ...extra,
})

describe('reviewKeyAction', () => {
  it('maps 1–9 to the label with that number, within the label count', () => {
    expect(reviewKeyAction(key('1'), 2)).toEqual({ type: 'pick', index: 0 })
    expect(reviewKeyAction(key('2'), 2)).toEqual({ type: 'pick', index: 1 })
    expect(reviewKeyAction(key('3'), 2)).toBeNull()
    expect(reviewKeyAction(key('9'), 9)).toEqual({ type: 'pick', index: 8 })
    expect(reviewKeyAction(key('0'), 9)).toBeNull()
  })

  it('maps Enter, j/k, the arrows and ?', () => {
    expect(reviewKeyAction(key('Enter'), 2)).toEqual({ type: 'confirm' })
    expect(reviewKeyAction(key('j'), 2)).toEqual({ type: 'next' })
    expect(reviewKeyAction(key('ArrowDown'), 2)).toEqual({ type: 'next' })
    expect(reviewKeyAction(key('k'), 2)).toEqual({ type: 'previous' })
    expect(reviewKeyAction(key('ArrowUp'), 2)).toEqual({ type: 'previous' })
    expect(reviewKeyAction(key('?'), 2)).toEqual({ type: 'help' })
    expect(reviewKeyAction(key('x'), 2)).toBeNull()
  })

  it('stays out of the way with modifiers, in form fields and dialogs', () => {
    expect(reviewKeyAction(key('1', { ctrlKey: true }), 2)).toBeNull()
    expect(reviewKeyAction(key('j', { metaKey: true }), 2)).toBeNull()
    for (const tag of ['input', 'textarea', 'select']) {
      const field = document.createElement(tag)
      expect(reviewKeyAction(key('1', {}, field), 2)).toBeNull()
    }
    const dialog = document.createElement('dialog')
    dialog.open = true
    const inside = document.createElement('span')
    dialog.append(inside)
    expect(reviewKeyAction(key('j', {}, inside), 2)).toBeNull()
  })

  it('takes the keys back from a dialog that has closed, even while focus is still on its button', () => {
    const dialog = document.createElement('dialog')
    const close = document.createElement('button')
    dialog.append(close)
    expect(dialog.open).toBe(false)
    expect(reviewKeyAction(key('2', {}, close), 2)).toEqual({ type: 'pick', index: 1 })
    expect(reviewKeyAction(key('Enter', {}, close), 2)).toEqual({ type: 'confirm' })
  })

  it('leaves Enter to a focused button but still takes digit keys there', () => {
    const button = document.createElement('button')
    expect(reviewKeyAction(key('Enter', {}, button), 2)).toBeNull()
    expect(reviewKeyAction(key('2', {}, button), 2)).toEqual({ type: 'pick', index: 1 })
  })
})

describe('useReviewShortcuts', () => {
  it('listens on the window while mounted and prevents the default of used keys', async () => {
    const actions: ReviewAction[] = []
    const Host = defineComponent({
      setup() {
        useReviewShortcuts(3, (a) => actions.push(a))
        return () => h('div')
      },
    })
    const wrapper = mount(Host, { attachTo: document.body })
    const down = new KeyboardEvent('keydown', { key: 'ArrowDown', cancelable: true, bubbles: true })
    window.dispatchEvent(down)
    window.dispatchEvent(new KeyboardEvent('keydown', { key: '3' }))
    const other = new KeyboardEvent('keydown', { key: 'a', cancelable: true })
    window.dispatchEvent(other)
    expect(actions).toEqual([{ type: 'next' }, { type: 'pick', index: 2 }])
    expect(down.defaultPrevented).toBe(true)
    expect(other.defaultPrevented).toBe(false)

    wrapper.unmount()
    window.dispatchEvent(new KeyboardEvent('keydown', { key: 'j' }))
    expect(actions).toHaveLength(2)
  })

  it('is used by the review page: pick with a digit, confirm with Enter', async () => {
    const { default: ReviewView } = await import('@/views/ReviewView.vue')
    const { jsonResponse, prediction } = await import('./fixtures')
    const first = prediction({ id: 1, label: 'spam' })
    const second = prediction({ id: 2, label: 'ham', probabilities: { ham: 0.55, spam: 0.45 }, confidence: 0.55 })
    const info = {
      version: 't',
      active_model: { id: 1, backend: 'sklearn', labels: ['ham', 'spam'] },
      labels: ['ham', 'spam'],
      label_names: { ham: 'not spam' },
      limits: { max_text_length: 10000, max_batch: 1000 },
      store_text: true,
    }
    const fetchMock = vi.fn<typeof fetch>(async (input, init) => {
      const url = String(input)
      if (url.startsWith('/api/v1/projects/default/info')) return jsonResponse(info)
      if (url.startsWith('/api/v1/projects/default/review')) return jsonResponse({ items: [first, second] })
      if (url === '/api/v1/projects/default/predictions/1/feedback') {
        const body = JSON.parse(String(init?.body)) as { label: string }
        return jsonResponse({
          ...first,
          feedback: { label: body.label, comment: '', reviewer: 'me', created_at: '', agrees: body.label === 'spam' },
        })
      }
      return jsonResponse({ error: { code: 'not_found', message: 'nope', details: null } }, 404)
    })
    vi.stubGlobal('fetch', fetchMock)

    const wrapper = mount(ReviewView, { attachTo: document.body })
    await vi.waitFor(() => expect(wrapper.find('[data-testid="review-item"]').exists()).toBe(true))
    expect(wrapper.find('#item-title').text()).toContain('#1')

    window.dispatchEvent(new KeyboardEvent('keydown', { key: '1' }))
    await wrapper.vm.$nextTick()
    expect(wrapper.find('[aria-pressed="true"]').text()).toContain('not spam')

    window.dispatchEvent(new KeyboardEvent('keydown', { key: 'Enter' }))
    await vi.waitFor(() => expect(wrapper.find('#item-title').text()).toContain('#2'))
    const feedbackCall = fetchMock.mock.calls.find(([u]) => String(u).endsWith('/feedback'))
    expect(feedbackCall?.[1]?.body).toBe('{"label":"ham"}')

    window.dispatchEvent(new KeyboardEvent('keydown', { key: 'k' }))
    await wrapper.vm.$nextTick()
    expect(wrapper.find('#item-title').text()).toContain('#1')
    wrapper.unmount()
    vi.unstubAllGlobals()
  })
})
