/** Follow a background job of `project`: poll GET /jobs/{id} until it is finished. */
import { computed, onBeforeUnmount, ref, shallowRef, toValue, type MaybeRefOrGetter } from 'vue'
import { getJob } from '@/api/endpoints'
import { errorMessage } from '@/api/client'
import type { Job } from '@/api/types'

const FINISHED = new Set(['succeeded', 'failed', 'cancelled'])

export function useJobPolling(project: MaybeRefOrGetter<string>, intervalMs = 1000) {
  const job = shallowRef<Job | null>(null)
  const error = ref<string | null>(null)
  let timer: ReturnType<typeof setTimeout> | null = null
  let onFinish: ((job: Job) => void) | null = null

  const running = computed(() => job.value !== null && !FINISHED.has(job.value.status))

  function stop() {
    if (timer) clearTimeout(timer)
    timer = null
  }

  async function poll(id: number) {
    try {
      job.value = await getJob(toValue(project), id)
      error.value = null
    } catch (e) {
      error.value = errorMessage(e)
    }
    if (job.value && FINISHED.has(job.value.status)) {
      stop()
      onFinish?.(job.value)
      return
    }
    timer = setTimeout(() => void poll(id), intervalMs)
  }

  /** Start following `start`; `finished` is called once when the job ends. */
  function follow(start: Job, finished?: (job: Job) => void) {
    stop()
    job.value = start
    onFinish = finished ?? null
    if (FINISHED.has(start.status)) onFinish?.(start)
    else timer = setTimeout(() => void poll(start.id), intervalMs)
  }

  onBeforeUnmount(stop)
  return { job, error, running, follow, stop }
}
