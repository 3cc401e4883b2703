/** Loading / error / data refs around one async call, newest call wins. */
import { ref, shallowRef, type Ref, type ShallowRef } from 'vue'
import { errorMessage } from '@/api/client'

export interface RequestState<T, A extends unknown[]> {
  data: ShallowRef<T | null>
  error: Ref<string | null>
  loading: Ref<boolean>
  /** The answer, or null when the call failed or a newer call was made meanwhile. */
  run: (...args: A) => Promise<T | null>
}

export function useRequest<T, A extends unknown[] = []>(
  fn: (...args: A) => Promise<T>,
): RequestState<T, A> {
  const data = shallowRef<T | null>(null)
  const error = ref<string | null>(null)
  const loading = ref(false)
  let latest = 0

  async function run(...args: A): Promise<T | null> {
    const call = ++latest
    loading.value = true
    error.value = null
    try {
      const value = await fn(...args)
      if (call !== latest) return null // a newer call has been made: its answer counts
      data.value = value
      return value
    } catch (e) {
      if (call === latest) error.value = errorMessage(e)
      return null
    } finally {
      if (call === latest) loading.value = false
    }
  }

  return { data, error, loading, run }
}
