import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { defineComponent } from 'vue'
import { mount, type VueWrapper } from '@vue/test-utils'
import { useAdminToken } from '@/composables/useAdminToken'
import { fieldOf, parseLabelSet, useCreateProject } from '@/composables/useCreateProject'
import { ApiError } from '@/api/client'
import { guessColumns, labelCounts, parseLabelledFile, slugProblem, suggestSlug } from '@/lib/projects'
import { job, jsonResponse, project } from './fixtures'

const SMS = 'ham\tsee you at 6\nspam\tWINNER! call now\nham\tok thanks\n'
const CSV = 'id,body,team\n1,My invoice is wrong,billing\n2,App crashes on start,tech\n3,Refund please,billing\n'

type Flow = ReturnType<typeof useCreateProject>
const mounted: VueWrapper[] = []

/** The composable, run inside a component (it follows the job until the component goes). */
function setup(): Flow {
  let flow: Flow | null = null
  mounted.push(mount(defineComponent({ setup: () => ((flow = useCreateProject(1)), () => null) })))
  return flow!
}

type Call = { method: string; path: string; init: RequestInit | undefined }

/** A server answering by "METHOD /path"; each answer is used once, the last one repeatedly. */
function stubServer(answers: Record<string, Response[]>) {
  const calls: Call[] = []
  vi.stubGlobal(
    'fetch',
    vi.fn<typeof fetch>(async (input, init) => {
      const path = new URL(String(input), 'http://x').pathname
      const method = init?.method ?? 'GET'
      calls.push({ method, path, init })
      if (path === '/api/v1/projects' && method === 'GET') return jsonResponse({ items: [] })
      const queue = answers[`${method} ${path}`]
      if (!queue?.length) return jsonResponse({ error: { code: 'not_found', message: `no ${method} ${path}`, details: null } }, 404)
      return (queue.length > 1 ? queue.shift()! : queue[0]!.clone())
    }),
  )
  return calls
}

const file = (content: string, name: string) => new File([content], name, { type: 'text/plain' })
const posts = (calls: Call[]) => calls.filter((c) => c.method === 'POST').map((c) => c.path)

beforeEach(() => useAdminToken().submitToken('secret'))

afterEach(() => {
  for (const wrapper of mounted.splice(0)) wrapper.unmount()
  vi.unstubAllGlobals()
  useAdminToken().forget()
})

describe('reading a labelled file', () => {
  it('tells SMS-style lines from a TSV with a header, and reads CSV and JSON Lines', () => {
    expect(parseLabelledFile('SMSSpamCollection', SMS)).toMatchObject({ format: 'sms', fields: ['label', 'text'] })
    expect(parseLabelledFile('t.tsv', 'label\ttext\nham\thi\n')).toMatchObject({ format: 'tsv', fields: ['label', 'text'] })
    const jsonl = parseLabelledFile('d.jsonl', '{"text": "hi", "label": "pos"}\nnot json\n{"text": "bad", "label": "neg"}\n')
    expect(jsonl.rows).toHaveLength(2)
    expect(jsonl.problems[0]).toMatch(/^Line 2:/)
    const csv = parseLabelledFile('tickets.csv', CSV)
    expect(guessColumns(csv)).toEqual({ text: 'body', label: 'team' })
    expect(labelCounts(csv.rows, 'team')).toEqual([
      ['billing', 2],
      ['tech', 1],
    ])
  })

  it('suggests a slug the server takes from any name', () => {
    expect(suggestSlug('Ticket router (EU) — Zoë')).toBe('ticket-router-eu-zoe')
    expect(slugProblem(suggestSlug('  --Spam!! '))).toBeNull()
    expect(slugProblem('-x')).not.toBeNull()
    expect(slugProblem('Upper')).not.toBeNull()
  })
})

describe('useCreateProject', () => {
  it('previews the file, then creates the project, uploads the file and follows training to the end', async () => {
    const calls = stubServer({
      'POST /api/v1/projects': [jsonResponse(project({ slug: 'tickets', name: 'Tickets' }), 201)],
      'POST /api/v1/projects/tickets/train': [jsonResponse(job({ id: 8, kind: 'train', status: 'queued', progress: 0 }), 202)],
      'GET /api/v1/projects/tickets/jobs/8': [
        jsonResponse(job({ id: 8, kind: 'train', status: 'running', progress: 0.5 })),
        jsonResponse(job({ id: 8, kind: 'train', status: 'succeeded', progress: 1, candidate_id: 1 })),
      ],
    })
    const flow = setup()
    flow.name.value = 'Tickets'
    expect(flow.slug.value).toBe('tickets')
    await flow.chooseFile(file(CSV, 'tickets.csv'))
    expect(flow.previewRows.value).toHaveLength(3)
    expect([flow.textColumn.value, flow.labelColumn.value]).toEqual(['body', 'team'])
    expect(flow.counts.value).toEqual([
      ['billing', 2],
      ['tech', 1],
    ])

    await expect(flow.submit()).resolves.toBe('tickets')
    expect(flow.step.value).toBe('done')
    expect(flow.job.value?.status).toBe('succeeded')
    expect(posts(calls)).toEqual(['/api/v1/projects', '/api/v1/projects/tickets/train'])
    const [create, train] = calls.filter((c) => c.method === 'POST')
    expect(JSON.parse(String(create!.init?.body))).toEqual({ slug: 'tickets', name: 'Tickets', description: '' })
    expect((train!.init?.headers as Record<string, string>).Authorization).toBe('Bearer secret')
    const form = train!.init?.body as FormData
    expect((form.get('file') as File).name).toBe('tickets.csv')
    expect([form.get('format'), form.get('text_column'), form.get('label_column')]).toEqual(['csv', 'body', 'team'])
  })

  it('puts a taken slug next to the slug field and trains nothing', async () => {
    const calls = stubServer({
      'POST /api/v1/projects': [
        jsonResponse({ error: { code: 'project_exists', message: "project 'spam' exists", details: null } }, 409),
      ],
    })
    const flow = setup()
    flow.slug.value = 'spam'
    await flow.chooseFile(file(SMS, 'SMSSpamCollection'))
    await expect(flow.submit()).resolves.toBeNull()
    expect(flow.errors.slug).toBe("project 'spam' exists")
    expect(flow.step.value).toBe('edit')
    expect(posts(calls)).toEqual(['/api/v1/projects'])
  })

  it('puts a refused file next to the file field, and a retry only trains the project it made', async () => {
    const calls = stubServer({
      'POST /api/v1/projects': [jsonResponse(project({ slug: 'spam' }), 201)],
      'POST /api/v1/projects/spam/train': [
        jsonResponse({ error: { code: 'bad_data', message: 'spam.txt line 3: blank text', details: null } }, 422),
        jsonResponse(job({ id: 9, kind: 'train', status: 'failed', error: 'only one label' }), 202),
      ],
    })
    const flow = setup()
    flow.slug.value = 'spam'
    await flow.chooseFile(file(SMS, 'spam.txt'))
    expect(flow.parsed.value?.format).toBe('sms')

    await expect(flow.submit()).resolves.toBeNull()
    expect(flow.errors.file).toBe('spam.txt line 3: blank text')
    expect(flow.created.value).toBe('spam')

    await expect(flow.submit()).resolves.toBeNull()
    expect(flow.errors.file).toBeUndefined()
    expect(flow.errors.form).toBe('Training failed: only one label')
    expect(posts(calls)).toEqual(['/api/v1/projects', '/api/v1/projects/spam/train', '/api/v1/projects/spam/train'])
    const form = calls.at(-1)!.init?.body as FormData
    expect([form.get('format'), form.get('text_column')]).toEqual(['sms', null])
  })

  it('checks in the browser what it can before asking the server anything', async () => {
    const calls = stubServer({})
    const flow = setup()
    flow.slug.value = 'Bad Slug'
    await expect(flow.submit()).resolves.toBeNull()
    expect(flow.errors.slug).toMatch(/lowercase/)
    expect(flow.errors.file).toMatch(/Choose a labelled file/)
    await flow.chooseFile(file('text,label\nhello,a\nbye,a\n', 'one.csv'))
    flow.slug.value = 'ok'
    await flow.submit()
    expect(flow.errors.labelColumn).toMatch(/two different labels/)
    expect(posts(calls)).toEqual([])
  })

  it('starts from a label set: creates the project with its labels, and uploads and trains nothing', async () => {
    const calls = stubServer({
      'POST /api/v1/projects': [jsonResponse(project({ slug: 'tickets', name: 'Tickets' }), 201)],
    })
    const flow = setup()
    flow.name.value = 'Tickets'
    flow.start.value = 'labels'
    flow.labelSet.value = 'billing'
    await expect(flow.submit()).resolves.toBeNull()
    expect(flow.errors.labels).toMatch(/at least two labels/)
    expect(flow.errors.file).toBeUndefined() // no file is asked for
    expect(posts(calls)).toEqual([])

    flow.labelSet.value = ' billing, tech,,billing ,shipping\n'
    await expect(flow.submit()).resolves.toBe('tickets')
    expect(flow.step.value).toBe('done')
    expect(posts(calls)).toEqual(['/api/v1/projects'])
    expect(JSON.parse(String(calls.find((c) => c.method === 'POST')!.init?.body))).toEqual({
      slug: 'tickets',
      name: 'Tickets',
      description: '',
      labels: [
        { name: 'billing', display: '' },
        { name: 'tech', display: '' },
        { name: 'shipping', display: '' },
      ],
    })
  })

  it('reads a typed label set', () => {
    expect(parseLabelSet('a, b\nc,, a ,')).toEqual(['a', 'b', 'c'])
    expect(parseLabelSet('  ')).toEqual([])
  })

  it('finds the field a validation error names', () => {
    const error = (details: Record<string, unknown>) => new ApiError(422, 'validation_error', 'bad', details)
    expect(fieldOf(error({ json: { slug: ['bad'] } }), 'form')).toBe('slug')
    expect(fieldOf(error({ field: 'label_column' }), 'form')).toBe('labelColumn')
    expect(fieldOf(error({ form_and_files: { text_column: ['missing'] } }), 'file')).toBe('textColumn')
    expect(fieldOf(error({}), 'file')).toBe('file')
    expect(fieldOf(error({ json: { labels: { 0: ['bad'] } } }), 'form')).toBe('labels')
  })
})
