import { afterEach, describe, expect, it, vi } from 'vitest'
import { flushPromises } from '@vue/test-utils'
import { useAdminToken } from '@/composables/useAdminToken'
import { useInfo } from '@/composables/useInfo'
import { useModelActions } from '@/composables/useModelActions'
import { info, jsonResponse, model } from './fixtures'

afterEach(() => {
  vi.unstubAllGlobals()
  vi.useRealTimers()
  useAdminToken().forget()
  sessionStorage.clear()
})

describe('after an activation', () => {
  it('the shared /info (footer, Classify header) follows once the server swapped', async () => {
    // The server processes still serve version 1 for the first two /info reads after the
    // activation, as they do until their next poll.
    let infoReads = 0
    let activated = false
    vi.stubGlobal(
      'fetch',
      vi.fn<typeof fetch>(async (input) => {
        const url = String(input)
        if (url.startsWith('/api/v1/projects/default/info')) {
          if (activated) infoReads += 1
          return jsonResponse(info(activated && infoReads > 2 ? 2 : 1))
        }
        if (url === '/api/v1/projects/default/models/2/activate') {
          activated = true
          return jsonResponse({ active_model: model({ id: 2, active: true }), activation: { id: 9, model_id: 2 } })
        }
        return jsonResponse({ error: { code: 'not_found', message: 'nope', details: null } }, 404)
      }),
    )
    vi.useFakeTimers()
    useAdminToken().submitToken('a-long-enough-token', 'Ada')
    const shared = useInfo()
    await shared.reload()
    expect(shared.info.value?.active_model?.id).toBe(1)

    await useModelActions().activate(2)
    for (let i = 0; i < 10 && shared.info.value?.active_model?.id !== 2; i += 1) {
      await vi.advanceTimersByTimeAsync(300)
      await flushPromises()
    }
    expect(shared.info.value?.active_model?.id).toBe(2)
    expect(infoReads).toBeGreaterThanOrEqual(3)
  })
})
