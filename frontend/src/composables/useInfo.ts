/** The service's /info, fetched once and shared: labels, their display names, limits. */
import { computed, ref } from 'vue'
import { getInfo } from '@/api/endpoints'
import { errorMessage } from '@/api/client'
import type { Info } from '@/api/types'

const info = ref<Info | null>(null)
const error = ref<string | null>(null)
const loading = ref(false)
let pending: Promise<void> | null = null

function load(force = false): Promise<void> {
  if (pending && !force) return pending
  loading.value = true
  pending = getInfo()
    .then((value) => {
      info.value = value
      error.value = null
    })
    .catch((e: unknown) => {
      error.value = errorMessage(e)
      pending = null
    })
    .finally(() => {
      loading.value = false
    })
  return pending
}

/**
 * Reload /info until it names model `id` as active. Each server process swaps to a newly
 * activated version on its next poll (half a second by default), so the first reload after an
 * activation can still describe the old one: the footer and the Classify header would keep it.
 */
async function loadUntilActive(id: number, { attempts = 40, delayMs = 250 } = {}): Promise<boolean> {
  for (let i = 0; i < attempts; i += 1) {
    await load(true)
    if (info.value?.active_model?.id === id) return true
    await new Promise((resolve) => setTimeout(resolve, delayMs))
  }
  return false
}

export function useInfo() {
  void load()
  const labels = computed(() => info.value?.active_model?.labels ?? info.value?.labels ?? [])
  const maxTextLength = computed(() => info.value?.limits.max_text_length ?? 10000)
  const maxBatch = computed(() => info.value?.limits.max_batch ?? 1000)
  const labelName = (label: string) => info.value?.label_names[label] ?? label
  return { info, error, loading, labels, maxTextLength, maxBatch, labelName, reload: () => load(true), reloadUntilActive: loadUntilActive }
}
