/**
 * The comparison of two model versions: the stored one is read (anyone who may read the project);
 * when none is stored, `notStored` says so and `compute` asks the server to score both versions
 * now, which needs someone who may retrain (the admin token or a maintainer's session).
 */
import { ref, shallowRef } from 'vue'
import { ApiError, errorMessage } from '@/api/client'
import { compareModels } from '@/api/endpoints'
import type { ModelComparison } from '@/api/types'
import { useAdminToken } from './useAdminToken'
import { useInfo } from './useInfo'

export function useComparison() {
  const { withAdmin } = useAdminToken()
  const { project } = useInfo()
  const data = shallowRef<ModelComparison | null>(null)
  const error = ref<string | null>(null)
  const loading = ref(false)
  /** The pair asked for has no stored comparison (nothing was scored for it). */
  const notStored = ref<{ a: number; b: number } | null>(null)
  let latest = 0

  async function fetchPair(a: number, b: number, fresh: boolean) {
    const call = ++latest
    loading.value = true
    error.value = null
    notStored.value = null
    try {
      const found = fresh
        ? await withAdmin((token, actor) => compareModels(project.value, a, b, { token, actor }), 'compare')
        : await compareModels(project.value, a, b)
      if (call === latest && found) data.value = found
      else if (call === latest && !found) notStored.value = { a, b } // the dialog was cancelled
    } catch (e) {
      if (call !== latest) return
      if (e instanceof ApiError && e.code === 'comparison_not_stored') notStored.value = { a, b }
      else error.value = errorMessage(e)
    } finally {
      if (call === latest) loading.value = false
    }
  }

  /** Show the stored comparison of b with a, or that there is none. */
  const load = (a: number, b: number) => fetchPair(a, b, false)
  /** Score both versions now (asks for the admin token when there is no session). */
  const compute = (a: number, b: number) => fetchPair(a, b, true)
  function clear() {
    latest++
    data.value = null
    error.value = null
    notStored.value = null
    loading.value = false
  }

  return { data, error, loading, notStored, load, compute, clear }
}
