/**
 * The current project's /info, fetched once per project and shared: labels, their display names,
 * limits, and the project itself. `notFound` is set when the server has no such project.
 */
import { computed, reactive, watch } from 'vue'
import { getInfo } from '@/api/endpoints'
import { ApiError, errorMessage } from '@/api/client'
import type { Info } from '@/api/types'
import { useProject } from './useProject'

interface InfoState {
  info: Info | null
  error: string | null
  notFound: boolean
  loading: boolean
  pending: Promise<void> | null
}

const states = reactive(new Map<string, InfoState>())

function stateOf(project: string): InfoState {
  let state = states.get(project)
  if (!state) {
    states.set(project, { info: null, error: null, notFound: false, loading: false, pending: null })
    state = states.get(project)!
  }
  return state
}

function load(project: string, force = false): Promise<void> {
  const state = stateOf(project)
  if (state.pending && !force) return state.pending
  state.loading = true
  state.pending = getInfo(project)
    .then((value) => {
      state.info = value
      state.error = null
      state.notFound = false
    })
    .catch((e: unknown) => {
      state.error = errorMessage(e)
      state.notFound = e instanceof ApiError && e.status === 404
      state.pending = null
    })
    .finally(() => {
      state.loading = false
    })
  return state.pending
}

/** Forget every project's info (after a project is created or deleted, say). */
export function resetInfo() {
  states.clear()
}

/**
 * Reload /info until it names model `id` as active. Each server process swaps to a newly
 * activated version on its next poll (half a second by default), so the first reload after an
 * activation can still describe the old one: the footer and the Classify header would keep it.
 */
async function loadUntilActive(
  project: string,
  id: number,
  { attempts = 40, delayMs = 250 } = {},
): Promise<boolean> {
  for (let i = 0; i < attempts; i += 1) {
    await load(project, true)
    if (stateOf(project).info?.active_model?.id === id) return true
    await new Promise((resolve) => setTimeout(resolve, delayMs))
  }
  return false
}

export function useInfo() {
  const project = useProject()
  watch(project, (slug) => void load(slug), { immediate: true })
  const state = computed(() => stateOf(project.value))
  const info = computed(() => state.value.info)
  const labels = computed(() => info.value?.active_model?.labels ?? info.value?.labels ?? [])
  const maxTextLength = computed(() => info.value?.limits.max_text_length ?? 10000)
  const maxBatch = computed(() => info.value?.limits.max_batch ?? 1000)
  const labelName = (label: string) => info.value?.label_names[label] ?? label
  return {
    project,
    info,
    error: computed(() => state.value.error),
    notFound: computed(() => state.value.notFound),
    loading: computed(() => state.value.loading),
    labels,
    maxTextLength,
    maxBatch,
    labelName,
    reload: () => load(project.value, true),
    reloadUntilActive: (id: number) => loadUntilActive(project.value, id),
  }
}
