import { afterEach, describe, expect, it, vi } from 'vitest'
import { ApiError, request, toQueryString } from '@/api/client'
import { classify, listPredictions, predictionsExportUrl, sendFeedback } from '@/api/endpoints'
import { useAdminToken } from '@/composables/useAdminToken'
import { jsonResponse, prediction } from './fixtures'

function mockFetch(...responses: (Response | Error | DOMException)[]) {
  const fn = vi.fn<typeof fetch>()
  for (const r of responses) {
    if (r instanceof Response) fn.mockResolvedValueOnce(r)
    else fn.mockRejectedValueOnce(r)
  }
  vi.stubGlobal('fetch', fn)
  return fn
}

afterEach(() => {
  vi.unstubAllGlobals()
  sessionStorage.clear()
})

describe('request', () => {
  it('sends JSON with the browser cookie and parses the answer', async () => {
    const fetchMock = mockFetch(jsonResponse(prediction()))
    const result = await classify('spam-filter', 'hello')
    expect(result.label).toBe('spam')
    const [url, init] = fetchMock.mock.calls[0]
    expect(url).toBe('/api/v1/projects/spam-filter/classify?explain=true')
    expect(init?.method).toBe('POST')
    expect(init?.credentials).toBe('same-origin')
    expect(init?.body).toBe(JSON.stringify({ text: 'hello' }))
    expect((init?.headers as Record<string, string>)['Content-Type']).toBe('application/json')
  })

  it("turns the API's error envelope into an ApiError with its message", async () => {
    mockFetch(
      jsonResponse(
        { error: { code: 'text_too_long', message: 'text is longer than 10,000 characters', details: { max: 10000 } } },
        422,
      ),
    )
    const error = await classify('default', 'x'.repeat(10001)).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(ApiError)
    expect(error).toMatchObject({
      status: 422,
      code: 'text_too_long',
      message: 'text is longer than 10,000 characters',
      details: { max: 10000 },
    })
  })

  it('explains an error that is not JSON by its status', async () => {
    mockFetch(new Response('<html>Bad gateway</html>', { status: 502, statusText: 'Bad Gateway' }))
    await expect(request('GET', '/info')).rejects.toMatchObject({
      status: 502,
      code: 'http_error',
      message: 'The server answered 502 (Bad Gateway).',
    })
  })

  it('also reads a flat {message, detail} error and lists the field problems', async () => {
    mockFetch(
      jsonResponse({ message: 'Validation error', detail: { json: { text: ['Longer than maximum length 10000.'] } } }, 422),
    )
    await expect(request('POST', '/classify', { body: {} })).rejects.toMatchObject({
      status: 422,
      message: 'Validation error: text: Longer than maximum length 10000.',
    })
  })

  it('reports a network failure in words', async () => {
    mockFetch(new TypeError('Failed to fetch'))
    await expect(request('GET', '/info')).rejects.toMatchObject({ status: 0, code: 'network_error' })
  })

  it('lets an abort through unchanged', async () => {
    mockFetch(new DOMException('aborted', 'AbortError'))
    await expect(request('GET', '/info')).rejects.toMatchObject({ name: 'AbortError' })
  })

  it('sends the admin token as a bearer token', async () => {
    const fetchMock = mockFetch(jsonResponse({}))
    await request('POST', '/models/rollback', { body: {}, token: 's3cret' })
    const headers = fetchMock.mock.calls[0][1]?.headers as Record<string, string>
    expect(headers.Authorization).toBe('Bearer s3cret')
  })

  it('marks 401 and 403 as authentication errors', () => {
    expect(new ApiError(401, 'unauthorized', 'no').isAuth).toBe(true)
    expect(new ApiError(403, 'forbidden', 'no').isAuth).toBe(true)
    expect(new ApiError(404, 'not_found', 'no').isAuth).toBe(false)
  })
})

describe('query strings', () => {
  it('leaves out empty filters and encodes the rest', () => {
    expect(toQueryString({ q: 'a&b', label: '', page: 2, mine: true, since: undefined, x: null })).toBe(
      '?q=a%26b&page=2&mine=true',
    )
    expect(toQueryString({})).toBe('')
  })

  it('builds the list and export URLs from the same filters', async () => {
    const fetchMock = mockFetch(jsonResponse({ items: [], page: 1, per_page: 10, total: 0, pages: 0 }))
    await listPredictions('tickets', { label: 'spam', min_confidence: 0.5, page: 1 })
    expect(fetchMock.mock.calls[0][0]).toBe('/api/v1/projects/tickets/predictions?label=spam&min_confidence=0.5&page=1')
    expect(predictionsExportUrl('tickets', { label: 'spam', feedback: 'disagree' })).toBe(
      '/api/v1/projects/tickets/predictions/export?label=spam&feedback=disagree',
    )
  })

  it('sends a comment with feedback only when there is one', async () => {
    const fetchMock = mockFetch(jsonResponse(prediction()), jsonResponse(prediction()))
    await sendFeedback('default', 3, 'ham')
    await sendFeedback('default', 3, 'ham', 'a friend')
    expect(fetchMock.mock.calls[0][1]?.body).toBe('{"label":"ham"}')
    expect(fetchMock.mock.calls[1][1]?.body).toBe('{"label":"ham","comment":"a friend"}')
  })
})

describe('withAdmin', () => {
  it('asks for the token, keeps it in sessionStorage and asks again after a 401', async () => {
    const admin = useAdminToken()
    admin.forget()
    const seen: string[] = []
    const action = vi.fn(async (token: string) => {
      seen.push(token)
      if (token === 'wrong') throw new ApiError(401, 'unauthorized', 'invalid admin token')
      return 'done'
    })

    const pending = admin.withAdmin(action)
    await Promise.resolve()
    expect(admin.dialog.value).toEqual({ open: true, message: null, purpose: null })
    admin.submitToken('wrong')
    await vi.waitFor(() => expect(admin.dialog.value.open).toBe(true))
    expect(admin.dialog.value.message).toBe('invalid admin token')
    expect(sessionStorage.getItem('tagloop.adminToken')).toBeNull()
    admin.submitToken('right')

    await expect(pending).resolves.toBe('done')
    expect(seen).toEqual(['wrong', 'right'])
    expect(sessionStorage.getItem('tagloop.adminToken')).toBe('right')

    // Known token: no dialog this time.
    await expect(admin.withAdmin(async (t) => t)).resolves.toBe('right')
    expect(admin.dialog.value.open).toBe(false)
  })

  it('resolves to null when the dialog is cancelled and rethrows other errors', async () => {
    const admin = useAdminToken()
    admin.forget()
    const pending = admin.withAdmin(async () => 'never')
    await Promise.resolve()
    admin.submitToken(null)
    await expect(pending).resolves.toBeNull()

    sessionStorage.setItem('tagloop.adminToken', 'x')
    admin.submitToken('x')
    await expect(
      admin.withAdmin(async () => {
        throw new ApiError(409, 'conflict', 'no previous model to roll back to')
      }),
    ).rejects.toMatchObject({ message: 'no previous model to roll back to' })
  })
})
