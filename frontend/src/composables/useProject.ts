/**
 * Which project the web app shows: the one in the URL (`/p/:project/…`), else the one this
 * browser last worked in (localStorage), else `default`.
 */
import { computed, getCurrentInstance, inject, ref, type ComputedRef } from 'vue'
import { routeLocationKey } from 'vue-router'

const STORAGE_KEY = 'tagloop.project'
export const DEFAULT_PROJECT = 'default'

function read(): string | null {
  try {
    return localStorage.getItem(STORAGE_KEY)
  } catch {
    return null
  }
}

const remembered = ref<string | null>(read())

/** The project this browser last worked in, or null. */
export function rememberedProject(): string | null {
  return remembered.value
}

/** Remember `slug` for the next visit (null forgets it). */
export function rememberProject(slug: string | null) {
  remembered.value = slug
  try {
    if (slug) localStorage.setItem(STORAGE_KEY, slug)
    else localStorage.removeItem(STORAGE_KEY)
  } catch {
    // Storage disabled: remembered for this page only.
  }
}

/** The `project` route parameter as a slug, or null where the route has none. */
export function projectParam(value: unknown): string | null {
  return typeof value === 'string' && value !== '' ? value : null
}

/** The slug of the project the current page shows. */
export function useProject(): ComputedRef<string> {
  // Components tested without a router still get a project.
  const route = getCurrentInstance() ? inject(routeLocationKey, null) : null
  return computed(() => projectParam(route?.params.project) ?? remembered.value ?? DEFAULT_PROJECT)
}
