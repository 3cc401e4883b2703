import { afterEach, describe, expect, it, vi } from 'vitest'
import { flushPromises, mount, RouterLinkStub } from '@vue/test-utils'
import ModelsView from '@/views/ModelsView.vue'
import { info, jsonResponse, model } from './fixtures'

afterEach(() => vi.unstubAllGlobals())

describe('the models list', () => {
  it('shows training rows and evaluation rows alike for a first and a retrained version', async () => {
    // A first version records the whole file (600) as its data; a retrained one its training
    // rows only (700): the split is what both have in common.
    const first = model({ id: 1 })
    const retrained = model({
      id: 2,
      active: true,
      parent_id: 1,
      data: { source: 'feedback', sha256: 'c'.repeat(64), rows: 700 },
      eval_split: { method: 'fixed', inherited_from: 1, train_rows: 700, test_rows: 150 },
    })
    vi.stubGlobal(
      'fetch',
      vi.fn<typeof fetch>(async (input) => {
        const url = String(input)
        if (url.startsWith('/api/v1/projects/default/info')) return jsonResponse(info(2))
        if (url.startsWith('/api/v1/projects/default/models/history')) return jsonResponse({ items: [] })
        if (url.startsWith('/api/v1/projects/default/models')) return jsonResponse({ items: [first, retrained] })
        return jsonResponse({ items: [] })
      }),
    )
    const wrapper = mount(ModelsView, { global: { stubs: { RouterLink: RouterLinkStub, RetrainPanel: true } } })
    await flushPromises()
    const headers = wrapper.findAll('table.versions thead th').map((th) => th.text())
    expect(headers).toContain('Training rows')
    expect(headers).toContain('Evaluation rows')
    expect(headers).not.toContain('Data rows')
    const cell = (id: number, label: string) => wrapper.get(`tr[data-model-id="${id}"] td[data-label="${label}"]`).text()
    expect([cell(1, 'Training rows'), cell(1, 'Evaluation rows')]).toEqual(['480', '120'])
    expect([cell(2, 'Training rows'), cell(2, 'Evaluation rows')]).toEqual(['700', '150'])
    wrapper.unmount()
  })
})
