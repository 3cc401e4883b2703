import { afterEach, describe, expect, it, vi } from 'vitest'
import { flushPromises, mount } from '@vue/test-utils'
import { createMemoryHistory, createRouter } from 'vue-router'
import HistoryView from '@/views/HistoryView.vue'
import { info, jsonResponse, prediction } from './fixtures'

afterEach(() => {
  vi.unstubAllGlobals()
})

describe('the history filters', () => {
  it('put a typed confidence range and a feedback state in the URL and the request', async () => {
    const fetchMock = vi.fn<typeof fetch>(async (input) => {
      const url = String(input)
      if (url.startsWith('/api/v1/projects/default/info')) return jsonResponse(info())
      if (url.startsWith('/api/v1/projects/default/models')) return jsonResponse({ items: [] })
      return jsonResponse({ items: [prediction()], page: 1, per_page: 25, total: 1, pages: 1 })
    })
    vi.stubGlobal('fetch', fetchMock)
    const router = createRouter({ history: createMemoryHistory(), routes: [{ path: '/history', component: HistoryView }] })
    await router.push('/history')
    const wrapper = mount(HistoryView, { global: { plugins: [router] } })
    await flushPromises()

    await wrapper.find('#f-min').setValue('40')
    await wrapper.find('#f-max').setValue('90')
    await wrapper.find('form').trigger('submit')
    await flushPromises()
    expect(router.currentRoute.value.query).toEqual({ min: '40', max: '90' })

    await wrapper.find('#f-feedback').setValue('disagree')
    await flushPromises()
    expect(router.currentRoute.value.query).toEqual({ min: '40', max: '90', feedback: 'disagree' })
    const last = String(fetchMock.mock.calls.at(-1)?.[0])
    expect(last).toBe('/api/v1/projects/default/predictions?feedback=disagree&min_confidence=0.4&max_confidence=0.9&page=1&per_page=25')
    wrapper.unmount()
  })

  it('accept decimals, refuse a minimum above the maximum, and page with history entries', async () => {
    const fetchMock = vi.fn<typeof fetch>(async (input) => {
      const url = String(input)
      if (url.startsWith('/api/v1/info')) return jsonResponse(info())
      if (url.startsWith('/api/v1/models')) return jsonResponse({ items: [] })
      return jsonResponse({ items: [prediction()], page: 1, per_page: 25, total: 60, pages: 3 })
    })
    vi.stubGlobal('fetch', fetchMock)
    const router = createRouter({ history: createMemoryHistory(), routes: [{ path: '/history', component: HistoryView }] })
    await router.push('/history')
    const wrapper = mount(HistoryView, { global: { plugins: [router] }, attachTo: document.body })
    await flushPromises()

    expect(wrapper.find('#f-min').attributes('step')).toBe('any') // 97.5 is a valid value
    await wrapper.find('#f-min').setValue('97.5')
    await wrapper.find('#f-max').setValue('90')
    await flushPromises()
    expect(wrapper.get('[data-testid="range-problem"]').text()).toContain('(97.5%) is above the highest (90%)')
    expect(wrapper.get('[data-testid="range-problem"]').attributes('role')).toBe('alert')
    await wrapper.find('form').trigger('submit')
    await flushPromises()
    expect(router.currentRoute.value.query).toEqual({}) // not applied

    await wrapper.find('#f-max').setValue('99.5')
    await wrapper.find('form').trigger('submit')
    await flushPromises()
    expect(router.currentRoute.value.query).toEqual({ min: '97.5', max: '99.5' })
    expect(String(fetchMock.mock.calls.at(-1)?.[0])).toContain('min_confidence=0.975&max_confidence=0.995')

    // Paging adds a history entry: Back returns to page 1 with the same filters.
    const next = wrapper.findAll('nav[aria-label="Pagination"] button').at(-1)!
    await next.trigger('click')
    await flushPromises()
    expect(router.currentRoute.value.query).toEqual({ min: '97.5', max: '99.5', page: '2' })
    router.back()
    await vi.waitFor(() => expect(router.currentRoute.value.query).toEqual({ min: '97.5', max: '99.5' }))
    wrapper.unmount()
  })
})
