import { afterEach, describe, expect, it, vi } from 'vitest'
import { flushPromises, mount } from '@vue/test-utils'
import PeopleAgreement from '@/components/PeopleAgreement.vue'
import type { Agreement } from '@/api/types'
import { jsonResponse } from './fixtures'

afterEach(() => {
  vi.unstubAllGlobals()
})

function serve(body: Agreement) {
  const fetchMock = vi.fn<typeof fetch>(async () => jsonResponse(body))
  vi.stubGlobal('fetch', fetchMock)
  return fetchMock
}

describe('agreement per person', () => {
  it('lists each person against the model and each two people with kappa', async () => {
    const fetchMock = serve({
      days: 7,
      people: [
        { person: 'Ann', signed_in: true, labels: 4, compared: 4, agreed: 3, agreement_rate: 0.75 },
        { person: 'guest', signed_in: false, labels: 1, compared: 0, agreed: 0, agreement_rate: null },
      ],
      pairs: [
        { a: 'Ann', b: 'Ben', shared: 4, agreed: 3, raw_agreement: 0.75, kappa: 0.5 },
        { a: 'Ann', b: 'Cy', shared: 1, agreed: 1, raw_agreement: 1, kappa: null },
      ],
    })
    const wrapper = mount(PeopleAgreement, { props: { days: 7 } })
    await flushPromises()

    expect(String(fetchMock.mock.calls[0]![0])).toContain('/stats/agreement?days=7')
    const rows = wrapper.findAll('tbody tr').map((r) => r.findAll('th, td').map((c) => c.text()))
    expect(rows[0]).toEqual(['Ann', '4', '3 of 4', '75.0%'])
    expect(rows[1]![0]).toBe('guest (not signed in)')
    expect(rows[2]).toEqual(['Ann · Ben', '4', '75.0%', '0.50'])
    expect(rows[3]).toEqual(['Ann · Cy', '1', '100.0%', '—'])
  })

  it('says so when no two people labelled the same text', async () => {
    serve({
      days: 30,
      people: [{ person: 'Ann', signed_in: true, labels: 2, compared: 2, agreed: 2, agreement_rate: 1 }],
      pairs: [],
    })
    const wrapper = mount(PeopleAgreement, { props: { days: 30 } })
    await flushPromises()

    expect(wrapper.text()).toContain('No two people labelled the same text')
    expect(wrapper.find('[data-testid="pair-agreement"]').exists()).toBe(false)
  })
})
