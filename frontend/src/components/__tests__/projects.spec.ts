import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { defineComponent, h } from 'vue'
import { flushPromises, mount } from '@vue/test-utils'
import { createMemoryHistory, createRouter, RouterView } from 'vue-router'
import { routes } from '@/router'
import { resetInfo } from '@/composables/useInfo'
import { rememberedProject, rememberProject, useProject } from '@/composables/useProject'
import { useProjects } from '@/composables/useProjects'
import ProjectSwitcher from '@/components/ProjectSwitcher.vue'
import ProjectsView from '@/views/ProjectsView.vue'
import { info, jsonResponse, project } from './fixtures'

/** A server with the projects `slugs`; anything else a project is asked for is a 404. */
function stubServer(slugs: string[]) {
  const fetchMock = vi.fn<typeof fetch>(async (input) => {
    const path = new URL(String(input), 'http://x').pathname
    if (path === '/api/v1/projects') return jsonResponse({ items: slugs.map((slug) => project({ slug, name: slug })) })
    const match = /^\/api\/v1\/projects\/([^/]+)(\/.*)?$/.exec(path)
    const slug = match ? decodeURIComponent(match[1]!) : null
    if (slug === null || !slugs.includes(slug)) {
      return jsonResponse({ error: { code: 'project_not_found', message: `project '${slug}' does not exist`, details: null } }, 404)
    }
    if (match![2] === '/info') return jsonResponse({ ...info(), project: project({ slug }) })
    return jsonResponse({ items: [], page: 1, per_page: 25, total: 0, pages: 0 })
  })
  vi.stubGlobal('fetch', fetchMock)
  return fetchMock
}

function appRouter() {
  return createRouter({ history: createMemoryHistory(), routes })
}

beforeEach(() => {
  localStorage.clear()
  rememberProject(null)
  resetInfo()
})

afterEach(() => {
  vi.unstubAllGlobals()
})

describe('the remembered project', () => {
  it('is kept in localStorage and read when the URL names none', () => {
    rememberProject('tickets')
    expect(localStorage.getItem('tagloop.project')).toBe('tickets')
    expect(rememberedProject()).toBe('tickets')
    let seen = ''
    mount(defineComponent({ setup: () => () => h('p', (seen = useProject().value)) }))
    expect(seen).toBe('tickets')
    rememberProject(null)
    expect(localStorage.getItem('tagloop.project')).toBeNull()
  })

  it('gives way to the project in the URL', async () => {
    rememberProject('tickets')
    const router = createRouter({
      history: createMemoryHistory(),
      routes: [{ path: '/p/:project', component: { render: () => h('p', useProject().value) } }],
    })
    await router.push('/p/sentiment')
    const wrapper = mount(defineComponent({ setup: () => () => h(RouterView) }), { global: { plugins: [router] } })
    await flushPromises()
    expect(wrapper.text()).toBe('sentiment')
  })
})

// The first navigation to each page loads (and, here, compiles) its lazy chunk.
describe('project-less URLs', { timeout: 30_000 }, () => {
  it('send / to the remembered project, and old links to the same page of it', async () => {
    stubServer(['default', 'tickets'])
    rememberProject('tickets')
    const router = appRouter()
    await router.push('/')
    expect(router.currentRoute.value.fullPath).toBe('/p/tickets')
    await router.push('/models/3?tab=x#top')
    expect(router.currentRoute.value.fullPath).toBe('/p/tickets/models/3?tab=x#top')
    expect(router.currentRoute.value.name).toBe('model')
    await router.push('/history')
    expect(router.currentRoute.value.fullPath).toBe('/p/tickets/history')
  })

  it('send a new browser to the default project, else to the first, else to the Projects page', async () => {
    stubServer(['alpha', 'default'])
    const router = appRouter()
    await router.push('/review')
    expect(router.currentRoute.value.fullPath).toBe('/p/default/review')

    stubServer(['tickets', 'sentiment'])
    await router.push('/batch')
    expect(router.currentRoute.value.fullPath).toBe('/p/tickets/batch')

    stubServer([])
    await router.push('/')
    expect(router.currentRoute.value.name).toBe('projects')
  })
})

describe('a project page', { timeout: 30_000 }, () => {
  it('remembers a project the server has, and says plainly when it has no such project', async () => {
    stubServer(['default', 'tickets'])
    const router = appRouter()
    await router.push('/p/tickets/history')
    const wrapper = mount(defineComponent({ setup: () => () => h(RouterView) }), { global: { plugins: [router] } })
    await flushPromises()
    expect(rememberedProject()).toBe('tickets')
    expect(wrapper.find('[data-testid="project-not-found"]').exists()).toBe(false)

    await router.push('/p/nope/history')
    await flushPromises()
    const missing = wrapper.find('[data-testid="project-not-found"]')
    expect(missing.text()).toContain('nope')
    expect(missing.find('a').attributes('href')).toBe('/projects')
    expect(rememberedProject()).toBe('tickets')

    // Back to a project whose info is already known, from a page outside the projects.
    await router.push('/p/default/')
    await flushPromises()
    await router.push('/projects')
    await flushPromises()
    rememberProject('tickets')
    await router.push('/p/default/history')
    await flushPromises()
    expect(rememberedProject()).toBe('default')
    wrapper.unmount()
  })
})

describe('the project switcher', { timeout: 30_000 }, () => {
  it('lists the projects and opens the same page of the one picked (a model page: its list)', async () => {
    stubServer(['default', 'tickets'])
    await useProjects().reload()
    const router = appRouter()
    await router.push('/p/default/history?page=2')
    const wrapper = mount(ProjectSwitcher, { global: { plugins: [router] } })
    await flushPromises()
    const select = wrapper.find('select')
    expect(wrapper.findAll('option').map((o) => o.attributes('value'))).toEqual(['default', 'tickets'])
    expect((select.element as HTMLSelectElement).value).toBe('default')

    await select.setValue('tickets')
    await vi.waitFor(() => expect(router.currentRoute.value.fullPath).toBe('/p/tickets/history'), { timeout: 10_000 })

    await router.push('/p/tickets/models/4')
    await flushPromises()
    await select.setValue('default')
    await vi.waitFor(() => expect(router.currentRoute.value.fullPath).toBe('/p/default/models'), { timeout: 10_000 })
    wrapper.unmount()
  })
})

describe('the Projects page', () => {
  it('lists each project with its labels, active version, volume and agreement; says so when there is none', async () => {
    const tickets = project({
      slug: 'tickets',
      name: 'Ticket router',
      description: 'Routes support mail',
      labels: [{ name: 'billing', display: 'Billing' }, { name: 'tech', display: '' }],
      active_version: 4,
      predictions: 1234,
      feedback: 56,
      agreement_rate: 0.875,
    })
    vi.stubGlobal('fetch', vi.fn<typeof fetch>(async () => jsonResponse({ items: [project(), tickets] })))
    const router = appRouter()
    await router.push('/projects')
    const wrapper = mount(ProjectsView, { global: { plugins: [router] } })
    await flushPromises()
    const row = wrapper.find('tr[data-project="tickets"]')
    expect(row.find('th').text()).toContain('Ticket router')
    expect(row.find('th').text()).toContain('Routes support mail')
    expect(row.findAll('.labels li').map((li) => li.text())).toEqual(['Billing', 'tech'])
    expect(row.find('td[data-label="Active version"] a').attributes('href')).toBe('/p/tickets/models/4')
    expect(row.find('td[data-label="Predictions"]').text()).toBe('1,234')
    expect(row.find('td[data-label="Agreement"]').text()).toBe('87.5%')
    wrapper.unmount()

    vi.stubGlobal('fetch', vi.fn<typeof fetch>(async () => jsonResponse({ items: [] })))
    const empty = mount(ProjectsView, { global: { plugins: [router] } })
    await flushPromises()
    expect(empty.text()).toContain('No project yet')
    empty.unmount()

    vi.stubGlobal('fetch', vi.fn<typeof fetch>(async () => jsonResponse({ error: { code: 'x', message: 'database is locked', details: null } }, 503)))
    const failing = mount(ProjectsView, { global: { plugins: [router] } })
    await flushPromises()
    expect(failing.find('[role="alert"]').text()).toContain('database is locked')
    failing.unmount()
  })
})
