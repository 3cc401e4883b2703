/** The server's projects, fetched once and shared by the switcher and the Projects page. */
import { ref, shallowRef } from 'vue'
import { listProjects } from '@/api/endpoints'
import { errorMessage } from '@/api/client'
import type { Project } from '@/api/types'

const projects = shallowRef<Project[] | null>(null)
const error = ref<string | null>(null)
const loading = ref(false)
let pending: Promise<void> | null = null

function load(force = false): Promise<void> {
  if (pending && !force) return pending
  loading.value = true
  pending = listProjects()
    .then(({ items }) => {
      projects.value = items
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

export function useProjects() {
  void load()
  return { projects, error, loading, reload: () => load(true) }
}
