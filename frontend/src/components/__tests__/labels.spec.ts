import { afterEach, describe, expect, it, vi } from 'vitest'
import { flushPromises, mount } from '@vue/test-utils'
import { createMemoryHistory, createRouter } from 'vue-router'
import LabelBadge from '../LabelBadge.vue'
import HistoryView from '@/views/HistoryView.vue'
import { useInfo } from '@/composables/useInfo'
import { labelTone } from '@/lib/labels'
import { info, jsonResponse, model, prediction } from './fixtures'

afterEach(() => vi.unstubAllGlobals())

function stub(active: ReturnType<typeof info>, models = [model({ id: 1 })]) {
  vi.stubGlobal(
    'fetch',
    vi.fn<typeof fetch>(async (input) => {
      const url = String(input)
      if (url.startsWith('/api/v1/projects/default/info')) return jsonResponse(active)
      if (url.startsWith('/api/v1/projects/default/models')) return jsonResponse({ items: models })
      return jsonResponse({ items: [prediction()], page: 1, per_page: 25, total: 1, pages: 1 })
    }),
  )
}

describe('labels', () => {
  it('keep their colour whatever the active model', async () => {
    const tone = (wrapper: ReturnType<typeof mount>) => wrapper.get('.badge').classes().find((c) => c.startsWith('tone-'))
    stub(info(1))
    await useInfo().reload()
    const before = mount(LabelBadge, { props: { label: 'spam' } })
    // A model with other labels, in another order, becomes active.
    stub({ ...info(2), labels: ['urgent', 'spam'], active_model: { id: 2, backend: 'sklearn', labels: ['urgent', 'spam'] } })
    await useInfo().reload()
    const after = mount(LabelBadge, { props: { label: 'spam' } })
    expect(tone(after)).toBe(tone(before))
    expect(tone(after)).toBe(`tone-${labelTone('spam')}`)
    expect([labelTone('ham'), labelTone('spam')]).toEqual([0, 1]) // the colours they always had
  })

  it("an older version's labels are still offered in the history filter", async () => {
    const older = model({ id: 1, labels: ['ham', 'spam', 'promo'] })
    const active = model({ id: 2, active: true, labels: ['ham', 'spam'] })
    stub(info(2), [older, active])
    await useInfo().reload()
    const router = createRouter({ history: createMemoryHistory(), routes: [{ path: '/history', component: HistoryView }] })
    await router.push('/history')
    const wrapper = mount(HistoryView, { global: { plugins: [router] } })
    await flushPromises()
    const options = wrapper.findAll('#f-label option').map((o) => o.attributes('value'))
    expect(options).toEqual(['', 'ham', 'spam', 'promo'])
    wrapper.unmount()
  })
})
