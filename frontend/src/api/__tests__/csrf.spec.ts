import { afterEach, describe, expect, it, vi } from 'vitest'
import { request, setCsrfToken } from '../client'

function sent(): Record<string, string> {
  const call = vi.mocked(fetch).mock.calls.at(-1)
  return (call?.[1]?.headers ?? {}) as Record<string, string>
}

describe('the session CSRF token', () => {
  afterEach(() => {
    setCsrfToken(null)
    vi.unstubAllGlobals()
  })

  it('goes on every change the session makes, never on reads or bearer-token requests', async () => {
    vi.stubGlobal('fetch', vi.fn(async () => new Response(null, { status: 204 })))
    setCsrfToken('abc')
    await request('POST', '/projects/default/retrain', { body: {} })
    expect(sent()['X-CSRF-Token']).toBe('abc')
    await request('DELETE', '/tokens/1')
    expect(sent()['X-CSRF-Token']).toBe('abc')
    await request('GET', '/stats')
    expect(sent()).not.toHaveProperty('X-CSRF-Token')
    await request('POST', '/retrain', { body: {}, token: 't' })
    expect(sent()).not.toHaveProperty('X-CSRF-Token')
    setCsrfToken(null)
    await request('POST', '/retrain', { body: {} })
    expect(sent()).not.toHaveProperty('X-CSRF-Token')
  })
})
