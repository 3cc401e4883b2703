import { afterEach, describe, expect, it, vi } from 'vitest'
import { flushPromises, mount } from '@vue/test-utils'
import { createMemoryHistory, createRouter } from 'vue-router'
import ClassifyView from '@/views/ClassifyView.vue'
import { withFresh } from '@/lib/recent'
import { info, jsonResponse, prediction } from './fixtures'

afterEach(() => {
  vi.unstubAllGlobals()
})

const page = (items = [prediction({ id: 3 })], total = items.length) => ({ items, page: 1, per_page: 2, total, pages: 1 })

describe('withFresh', () => {
  it('puts a result the server has not listed yet on top, within the page size', () => {
    const merged = withFresh(page([prediction({ id: 3 }), prediction({ id: 2 })]), prediction({ id: 9 }))
    expect(merged.items.map((p) => p.id)).toEqual([9, 3])
    expect([merged.total, merged.pages]).toEqual([3, 2])
  })

  it('leaves a page that already has it, or has newer ones, or is not the first, alone', () => {
    const listed = page([prediction({ id: 9 })])
    expect(withFresh(listed, prediction({ id: 9 }))).toBe(listed)
    const newer = page([prediction({ id: 12 })])
    expect(withFresh(newer, prediction({ id: 9 }))).toBe(newer)
    const second = { ...page(), page: 2 }
    expect(withFresh(second, prediction({ id: 9 }))).toBe(second)
    expect(withFresh(listed, null)).toBe(listed)
  })
})

describe('the classify page', () => {
  it('lists the result it just got even when the list comes back without it', async () => {
    const fresh = prediction({ id: 41, text: 'see you at 7', label: 'ham', explanation: [] } as never)
    vi.stubGlobal(
      'fetch',
      vi.fn<typeof fetch>(async (input) => {
        const url = String(input)
        if (url.startsWith('/api/v1/projects/default/info')) return jsonResponse(info())
        if (url.startsWith('/api/v1/projects/default/classify')) return jsonResponse(fresh)
        return jsonResponse({ items: [], page: 1, per_page: 10, total: 0, pages: 1 }) // not stored yet
      }),
    )
    const router = createRouter({
      history: createMemoryHistory(),
      routes: [
        { path: '/p/:project/', name: 'classify', component: ClassifyView },
        { path: '/p/:project/history', name: 'history', component: { render: () => null } },
      ],
    })
    await router.push('/p/default/')
    const wrapper = mount(ClassifyView, { global: { plugins: [router] } })
    await flushPromises()
    await wrapper.find('textarea').setValue('see you at 7')
    await wrapper.find('form').trigger('submit')
    await flushPromises()
    const items = wrapper.findAll('.recent-item')
    expect(items.map((li) => li.attributes('data-prediction-id'))).toEqual(['41'])
  })
})
