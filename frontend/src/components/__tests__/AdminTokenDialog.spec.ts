import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest'
import { flushPromises, mount, type VueWrapper } from '@vue/test-utils'
import AdminTokenDialog from '../AdminTokenDialog.vue'
import RetrainPanel from '../RetrainPanel.vue'
import { request } from '@/api/client'
import { useAdminToken } from '@/composables/useAdminToken'
import { useModelActions } from '@/composables/useModelActions'
import { info, job, jsonResponse, model } from './fixtures'

const activated = (id: number) => ({ active_model: model({ id, active: true }), activation: { id: 9, model_id: id } })

/** Answers each admin endpoint; every call is recorded with its headers. */
function stubServer() {
  const fetchMock = vi.fn<typeof fetch>(async (input) => {
    const url = String(input)
    if (url.startsWith('/api/v1/projects/default/info')) return jsonResponse(info())
    if (url === '/api/v1/projects/default/models/2/activate') return jsonResponse(activated(2))
    if (url === '/api/v1/projects/default/models/rollback') return jsonResponse(activated(1))
    if (url === '/api/v1/projects/default/retrain') return jsonResponse(job({ status: 'running' }), 202)
    if (url === '/api/v1/projects/default/jobs/5/cancel') return jsonResponse(job({ status: 'cancelled' }))
    if (url.startsWith('/api/v1/projects/default/jobs')) return jsonResponse({ items: [] })
    return jsonResponse({ error: { code: 'not_found', message: 'nope', details: null } }, 404)
  })
  vi.stubGlobal('fetch', fetchMock)
  /** The headers of the calls to `path`. */
  return (path: string) =>
    fetchMock.mock.calls.filter(([u]) => String(u) === path).map(([, init]) => init?.headers as Record<string, string>)
}

beforeAll(() => {
  // jsdom has <dialog> without its methods.
  HTMLDialogElement.prototype.showModal = function (this: HTMLDialogElement) {
    this.setAttribute('open', '')
  }
  HTMLDialogElement.prototype.close = function (this: HTMLDialogElement) {
    this.removeAttribute('open')
  }
})

const mounted: VueWrapper[] = []
afterEach(() => {
  for (const wrapper of mounted.splice(0)) wrapper.unmount()
  vi.unstubAllGlobals()
  useAdminToken().forget()
  sessionStorage.clear()
})

async function answerDialog(dialog: VueWrapper, token: string, name: string) {
  await vi.waitFor(() => expect(dialog.find('dialog').attributes('open')).toBeDefined())
  await dialog.find('#admin-token').setValue(token)
  await dialog.find('#admin-actor').setValue(name)
  await dialog.find('form').trigger('submit')
}

describe('the name for the activation history', () => {
  it('is sent as X-Tagloop-Actor when set', async () => {
    const headersOf = stubServer()
    await request('POST', '/projects/default/models/rollback', { body: {}, token: 't', actor: 'Ada' })
    await request('POST', '/projects/default/models/rollback', { body: {}, token: 't' })
    const [named, anonymous] = headersOf('/api/v1/projects/default/models/rollback')
    expect(named['X-Tagloop-Actor']).toBe('Ada')
    await request('POST', '/projects/default/models/rollback', { body: {}, token: 't', actor: 'Zoë 李' })
    expect(headersOf('/api/v1/projects/default/models/rollback')[2]['X-Tagloop-Actor']).toBe('Zo%C3%AB%20%E6%9D%8E')
    expect(anonymous).not.toHaveProperty('X-Tagloop-Actor')
  })

  it('is asked for with the token, kept for the tab and sent on activate, rollback, retrain and cancel', async () => {
    const headersOf = stubServer()
    const dialog = mount(AdminTokenDialog, { attachTo: document.body })
    mounted.push(dialog)
    expect(dialog.find('label[for="admin-actor"]').text()).toBe('Your name (for the activation history)')

    const actions = useModelActions()
    const activating = actions.activate(2, 'try it')
    await answerDialog(dialog, 'tok', '  Ada Lovelace ')
    expect(await activating).not.toBeNull()
    expect(sessionStorage.getItem('tagloop.adminActor')).toBe('Ada Lovelace')
    expect(useAdminToken().actor.value).toBe('Ada Lovelace')

    // Known token and name: no dialog, the same name.
    await actions.rollback('undo')
    expect(dialog.find('dialog').attributes('open')).toBeUndefined()

    const panel = mount(RetrainPanel, { props: { activeId: 1 } })
    mounted.push(panel)
    await flushPromises()
    await panel.find('[data-testid="retrain"]').trigger('click')
    await vi.waitFor(() => expect(panel.find('[data-testid="job"]').exists()).toBe(true))
    await panel.findAll('button').find((b) => b.text() === 'Cancel job')!.trigger('click')
    await vi.waitFor(() => expect(headersOf('/api/v1/projects/default/jobs/5/cancel')).toHaveLength(1))

    for (const path of ['/api/v1/projects/default/models/2/activate', '/api/v1/projects/default/models/rollback', '/api/v1/projects/default/retrain', '/api/v1/projects/default/jobs/5/cancel']) {
      const [headers] = headersOf(path)
      expect(headers, path).toMatchObject({ Authorization: 'Bearer tok', 'X-Tagloop-Actor': 'Ada%20Lovelace' })
    }
  })

  it('refuses a name with control characters; an empty name sends none', async () => {
    const headersOf = stubServer()
    const dialog = mount(AdminTokenDialog, { attachTo: document.body })
    mounted.push(dialog)
    const activating = useModelActions().activate(2)
    await answerDialog(dialog, 'tok', 'Zoë\t李')
    expect(dialog.find('#admin-actor-hint').text()).toContain('letters, digits')
    expect(dialog.find('button[type="submit"]').attributes('disabled')).toBeDefined()
    expect(dialog.find('dialog').attributes('open')).toBeDefined()

    await dialog.find('#admin-actor').setValue('')
    await dialog.find('form').trigger('submit')
    await activating
    const [headers] = headersOf('/api/v1/projects/default/models/2/activate')
    expect(headers.Authorization).toBe('Bearer tok')
    expect(headers).not.toHaveProperty('X-Tagloop-Actor')
    expect(sessionStorage.getItem('tagloop.adminActor')).toBeNull()
  })
})

describe('the dialog', () => {
  it('words itself for the action at hand', async () => {
    stubServer()
    const dialog = mount(AdminTokenDialog, { attachTo: document.body })
    mounted.push(dialog)
    const purpose = () => dialog.get('[data-testid="admin-purpose"]').text()

    const activating = useModelActions().activate(2)
    await vi.waitFor(() => expect(dialog.find('dialog').attributes('open')).toBeDefined())
    expect(purpose()).toContain('changes which model serves predictions')
    useAdminToken().submitToken(null)
    await activating

    const panel = mount(RetrainPanel, { props: { activeId: 1 } })
    mounted.push(panel)
    await flushPromises()
    await panel.find('[data-testid="retrain"]').trigger('click')
    await vi.waitFor(() => expect(dialog.find('dialog').attributes('open')).toBeDefined())
    expect(purpose()).toContain('does not change until you promote it')
    expect(purpose()).not.toContain('changes which model serves')
    useAdminToken().submitToken(null)
  })
})
