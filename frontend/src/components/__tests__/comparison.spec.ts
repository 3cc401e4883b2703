import { afterEach, describe, expect, it, vi } from 'vitest'
import { flushPromises, mount, RouterLinkStub } from '@vue/test-utils'
import RetrainPanel from '../RetrainPanel.vue'
import ModelDetailView from '@/views/ModelDetailView.vue'
import { useAdminToken } from '@/composables/useAdminToken'
import { useInfo } from '@/composables/useInfo'
import type { Model } from '@/api/types'
import { comparison, info, job, jsonResponse, model } from './fixtures'

/**
 * A server with `models` (the one with `active: true` is active) and the given jobs; compare
 * answers with a stored comparison when b was retrained from a. Returns the URLs fetched.
 */
function stubServer(models: Model[], jobs = [job({ status: 'succeeded' })]) {
  const byId = new Map(models.map((m) => [m.id, m]))
  const activeId = models.find((m) => m.active)?.id ?? null
  const fetchMock = vi.fn<typeof fetch>(async (input) => {
    const url = new URL(String(input), 'http://x')
    const path = url.pathname.replace('/api/v1/projects/default', '')
    if (path === '/info') return jsonResponse(info(activeId))
    if (path === '/jobs') return jsonResponse({ items: jobs })
    if (path === '/retrain') return jsonResponse(job({ id: 10, status: 'queued' }), 202)
    if (path === '/jobs/10') return jsonResponse(job({ id: 10, status: 'running' }))
    if (path === '/models/compare') {
      const a = byId.get(Number(url.searchParams.get('a')))!
      const b = byId.get(Number(url.searchParams.get('b')))!
      return jsonResponse(comparison(a, b, b.parent_id === a.id))
    }
    const activate = /^\/models\/(\d+)\/activate$/.exec(path)
    if (activate) {
      const id = Number(activate[1])
      return jsonResponse({ active_model: { ...byId.get(id), active: true }, activation: { id: 1, model_id: id } })
    }
    const one = /^\/models\/(\d+)$/.exec(path)
    if (one && byId.has(Number(one[1]))) return jsonResponse(byId.get(Number(one[1])))
    return jsonResponse({ error: { code: 'not_found', message: `no ${path}`, details: null } }, 404)
  })
  vi.stubGlobal('fetch', fetchMock)
  void useInfo().reload() // /info is fetched once and shared: fetch this server's
  return () => fetchMock.mock.calls.map(([u, init]) => `${init?.method ?? 'GET'} ${String(u)}`)
}

const mountDetail = (id: number) =>
  mount(ModelDetailView, {
    props: { id },
    // Chart.js needs a canvas, which jsdom lacks; the charts are not what these tests are about.
    global: { stubs: { RouterLink: RouterLinkStub, PerClassChart: true, ReliabilityChart: true } },
  })

afterEach(() => {
  vi.unstubAllGlobals()
  useAdminToken().forget()
})

describe('the model detail page', () => {
  it("shows a retrained version's stored comparison with its parent and promotes it", async () => {
    const calls = stubServer([model({ id: 4, active: true }), model({ id: 5, parent_id: 4 })])
    useAdminToken().submitToken('tok')
    const wrapper = mountDetail(5)
    await vi.waitFor(() => expect(wrapper.find('[data-testid="promote"]').exists()).toBe(true))

    const section = wrapper.find('[data-testid="model-comparison"]')
    expect(section.text()).toContain('model #4, which it was retrained from, the active one')
    expect(section.text()).toContain('The comparison made when model #5 was trained')
    expect(section.find('thead').text()).toContain('Active #4')
    expect(section.find('thead').text()).toContain('This model #5')
    expect(section.findAll('table.matrix')).toHaveLength(2)
    expect(calls()).toContain('GET /api/v1/projects/default/models/compare?a=4&b=5')

    await wrapper.find('[data-testid="promote"]').trigger('click')
    await vi.waitFor(() => expect(calls()).toContain('POST /api/v1/projects/default/models/5/activate'))
    await vi.waitFor(() => expect(wrapper.text()).toContain('Model #5 is now active.'))
    wrapper.unmount()
  })

  it('offers the active model too when it is not the parent, computed only when chosen', async () => {
    const calls = stubServer([model({ id: 4 }), model({ id: 5, parent_id: 4 }), model({ id: 6, active: true })])
    const wrapper = mountDetail(5)
    await vi.waitFor(() => expect(wrapper.find('[data-testid="model-comparison"] table').exists()).toBe(true))
    const radios = wrapper.findAll('input[name="baseline"]')
    expect(radios).toHaveLength(2)
    expect(wrapper.find('[data-testid="model-comparison"] thead').text()).toContain('Model #4')
    expect(calls().filter((c) => c.includes('/compare'))).toEqual(['GET /api/v1/projects/default/models/compare?a=4&b=5'])

    await radios[1].setValue(true)
    await vi.waitFor(() => expect(wrapper.find('[data-testid="model-comparison"] thead').text()).toContain('Active #6'))
    expect(wrapper.find('[data-testid="model-comparison"]').text()).toContain('Computed just now.')
    expect(calls()).toContain('GET /api/v1/projects/default/models/compare?a=6&b=5')
    wrapper.unmount()
  })

  it('compares a first version with the active model only on request, and the active one with nothing', async () => {
    const calls = stubServer([model({ id: 1 }), model({ id: 2, active: true })])
    const first = mountDetail(1)
    await vi.waitFor(() => expect(first.find('[data-testid="compare-active"]').exists()).toBe(true))
    expect(calls().some((c) => c.includes('/compare'))).toBe(false)
    await first.find('[data-testid="compare-active"]').trigger('click')
    await vi.waitFor(() => expect(first.find('[data-testid="promote"]').exists()).toBe(true))
    first.unmount()

    const active = mountDetail(2)
    await vi.waitFor(() => expect(active.find('h1').text()).toContain('Model #2'))
    await flushPromises()
    expect(active.find('[data-testid="model-comparison"]').exists()).toBe(false)
    active.unmount()
  })
})

describe('the retrain panel after a reload', () => {
  it("shows the latest succeeded retrain's candidate, compared with the active model, ready to promote", async () => {
    const calls = stubServer(
      [model({ id: 6, active: true }), model({ id: 7, parent_id: 6 })],
      [job({ id: 9, status: 'failed' }), job({ id: 8, status: 'succeeded', candidate_id: 7 }), job({ id: 3, status: 'succeeded', candidate_id: 5 })],
    )
    // The page passes the active id once the models are loaded.
    const wrapper = mount(RetrainPanel, { props: { activeId: null } })
    await flushPromises()
    expect(wrapper.find('[data-testid="job"]').exists()).toBe(false)
    await wrapper.setProps({ activeId: 6 })
    await vi.waitFor(() => expect(wrapper.find('[data-testid="comparison"]').exists()).toBe(true))
    expect(wrapper.find('[data-testid="job"]').text()).toContain('Job #8')
    expect(wrapper.find('[data-testid="comparison"] h3').text()).toBe('Candidate #7 vs active #6')
    expect(wrapper.find('[data-testid="promote"]').text()).toBe('Promote model #7')
    expect(calls().filter((c) => c.includes('/compare'))).toEqual(['GET /api/v1/projects/default/models/compare?a=6&b=7'])

    // A new retrain replaces it at once: nothing of the earlier job is left to mistake for the new one.
    useAdminToken().submitToken('tok')
    await wrapper.find('[data-testid="retrain"]').trigger('click')
    await vi.waitFor(() => expect(wrapper.find('[data-testid="job"]').text()).toContain('Job #10'))
    expect(wrapper.find('[data-testid="comparison"]').exists()).toBe(false)
    expect(wrapper.find('[data-testid="promote"]').exists()).toBe(false)
    wrapper.unmount()
  })

  it('shows nothing when that candidate is already active', async () => {
    const calls = stubServer(
      [model({ id: 6 }), model({ id: 7, parent_id: 6, active: true })],
      [job({ id: 8, status: 'succeeded', candidate_id: 7 })],
    )
    const wrapper = mount(RetrainPanel, { props: { activeId: 7 } })
    await flushPromises()
    expect(wrapper.find('[data-testid="job"]').exists()).toBe(false)
    expect(wrapper.find('[data-testid="promote"]').exists()).toBe(false)
    expect(calls().some((c) => c.includes('/compare'))).toBe(false)
    wrapper.unmount()
  })
})

describe("the model page's evaluation split", () => {
  it('names only what the version has: folds and seed, a holdout test size, neither for a retrained one', async () => {
    const split = async (eval_split: Model['eval_split']) => {
      stubServer([model({ id: 1, active: true, eval_split })])
      const wrapper = mountDetail(1)
      await vi.waitFor(() => expect(wrapper.text()).toContain('Evaluation split'))
      const dd = wrapper.findAll('dt').find((dt) => dt.text() === 'Evaluation split')!.element.nextElementSibling!
      wrapper.unmount()
      return dd.textContent!.trim()
    }
    expect(await split({ method: 'cross-validation', folds: 5, seed: 0, train_rows: 600, test_rows: 600 })).toBe(
      'cross-validation, 5 folds, seed 0 · fitted on 600 rows',
    )
    expect(await split({ method: 'cross-validation', folds: 5, inherited_from: 1, train_rows: 700, test_rows: 150 })).toBe(
      'cross-validation, 5 folds · fitted on 700 rows',
    )
    expect(await split({ method: 'holdout', test_size: 0.2, seed: 0, train_rows: 480, test_rows: 120 })).toBe(
      'holdout, test size 0.2, seed 0 · 480 train / 120 test rows',
    )
  })
})
