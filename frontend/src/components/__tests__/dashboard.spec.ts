import { afterEach, describe, expect, it, vi } from 'vitest'
import { flushPromises, mount, RouterLinkStub } from '@vue/test-utils'
import { createMemoryHistory, createRouter } from 'vue-router'
import { Bar } from 'vue-chartjs'
import type { ChartData } from 'chart.js'
import DashboardView from '@/views/DashboardView.vue'
import type { Stats } from '@/api/types'
import { info, jsonResponse, model } from './fixtures'

// Chart.js needs a canvas, which jsdom lacks: a stand-in keeps the data each chart is given.
vi.mock('vue-chartjs', async () => {
  const { defineComponent, h } = await import('vue')
  return { Bar: defineComponent({ name: 'Bar', props: ['data', 'options'], setup: () => () => h('canvas') }) }
})

const today = new Date().toISOString().slice(0, 10)

function stats(version: number | null, perVersion: Record<number, number>): Stats {
  const versions = Object.entries(perVersion).map(([v, n]) => [Number(v), n] as const)
  const shown = versions.filter(([v]) => version === null || v === version)
  const total = shown.reduce((sum, [, n]) => sum + n, 0)
  return {
    days: 30,
    model_version: version,
    total_predictions: total,
    feedback_count: shown.length,
    agreement_rate: 1,
    per_day: shown.map(([v, n]) => ({ date: today, label: 'spam', model_version: v, count: n })),
    feedback_per_day: [{ date: today, count: shown.length, agreed: shown.length }],
    per_model: shown.map(([v, n]) => ({ model_version: v, predictions: n, feedback: 1, agreement_rate: 1 })),
    confidence_histogram: { edges: [0, 0.5, 1], counts: [0, total] },
  }
}

afterEach(() => {
  vi.unstubAllGlobals()
})

describe('the dashboard', () => {
  it("filters every chart to one model version's predictions", async () => {
    const fetchMock = vi.fn<typeof fetch>(async (input) => {
      const url = new URL(String(input), 'http://x')
      if (url.pathname === '/api/v1/projects/default/info') return jsonResponse(info(2))
      if (url.pathname === '/api/v1/projects/default/models') return jsonResponse({ items: [model({ id: 1 }), model({ id: 2, active: true })] })
      if (url.pathname === '/api/v1/projects/default/stats') {
        const version = url.searchParams.get('model_version')
        return jsonResponse(stats(version === null ? null : Number(version), { 1: 7, 2: 5 }))
      }
      return jsonResponse({ error: { code: 'not_found', message: 'nope', details: null } }, 404)
    })
    vi.stubGlobal('fetch', fetchMock)
    const router = createRouter({ history: createMemoryHistory(), routes: [{ path: '/dashboard', component: DashboardView }] })
    await router.push('/dashboard')
    const wrapper = mount(DashboardView, { global: { plugins: [router], stubs: { RouterLink: RouterLinkStub } } })
    const select = () => wrapper.find('select#model-version')
    await vi.waitFor(() => expect(select().findAll('option')).toHaveLength(3))
    expect(select().findAll('option').map((o) => o.text())).toEqual(['All versions', 'Model #2 (active)', 'Model #1'])
    await vi.waitFor(() => expect(wrapper.find('.summary').text()).toContain('12'))

    const chartTotals = () =>
      wrapper.findAllComponents(Bar).map((chart) => {
        const data = chart.props('data') as ChartData<'bar', number[]>
        return data.datasets.flatMap((d) => d.data).reduce((sum, n) => sum + n, 0)
      })
    // Predictions per day, feedback per day, confidence histogram.
    expect(chartTotals()).toEqual([12, 2, 12])

    await select().setValue('2')
    await vi.waitFor(() => expect(wrapper.find('.summary').text()).toContain('5'))
    expect(router.currentRoute.value.query).toEqual({ model: '2' }) // the filter is in the URL
    const urls = fetchMock.mock.calls.map(([u]) => String(u)).filter((u) => u.includes('/stats?'))
    expect(urls).toEqual(['/api/v1/projects/default/stats?days=30', '/api/v1/projects/default/stats?days=30&model_version=2'])
    expect(chartTotals()).toEqual([5, 1, 5])
    expect(wrapper.find('#per-day-title').text()).toBe('Predictions per day, by label for model #2')
    expect(wrapper.find('#conf-title').text()).toBe('Confidence for model #2')
    expect(wrapper.find('[aria-labelledby="per-model-title"] tbody').findAll('tr')).toHaveLength(1)

    await select().setValue('')
    await vi.waitFor(() => expect(chartTotals()).toEqual([12, 2, 12]))
    expect(router.currentRoute.value.query).toEqual({})
    wrapper.unmount()

    // A link with filters opens the dashboard filtered that way.
    await router.push('/dashboard?days=7&model=1')
    const linked = mount(DashboardView, { global: { plugins: [router], stubs: { RouterLink: RouterLinkStub } } })
    await flushPromises()
    await vi.waitFor(() => expect(linked.find('.summary').text()).toContain('7'))
    expect((linked.find('select#days').element as HTMLSelectElement).value).toBe('7')
    expect(fetchMock.mock.calls.map(([u]) => String(u)).filter((u) => u.includes('/stats?')).at(-1)).toBe('/api/v1/projects/default/stats?days=7&model_version=1')
    linked.unmount()
  })
})
