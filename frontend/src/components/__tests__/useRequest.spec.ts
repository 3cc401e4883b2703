import { describe, expect, it } from 'vitest'
import { useRequest } from '@/composables/useRequest'

describe('useRequest', () => {
  it('gives an older call that answers last null, and keeps the newest answer', async () => {
    const resolvers: ((value: string) => void)[] = []
    const request = useRequest(() => new Promise<string>((resolve) => resolvers.push(resolve)))
    const older = request.run()
    const newer = request.run()
    resolvers[1]('new')
    expect(await newer).toBe('new')
    resolvers[0]('old')
    expect(await older).toBeNull()
    expect(request.data.value).toBe('new')
    expect(request.loading.value).toBe(false)
  })
})
