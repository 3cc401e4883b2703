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
})
