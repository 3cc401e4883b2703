/**
 * Where project-less URLs lead: `/` and the links of the single-project web app (`/history`,
 * `/models/3`, …) go to the same page of the remembered project, else `default` if the server
 * has it, else its first project; with no project at all, to the Projects page.
 */
import type { RouteLocationNormalized, RouteLocationRaw } from 'vue-router'
import { listProjects } from '@/api/endpoints'
import { DEFAULT_PROJECT, rememberedProject } from '@/composables/useProject'

/** The project to open, or null when the server has none. */
export async function homeProject(): Promise<string | null> {
  const remembered = rememberedProject()
  if (remembered) return remembered
  try {
    const { items } = await listProjects()
    if (items.length === 0) return null
    return items.some((p) => p.slug === DEFAULT_PROJECT) ? DEFAULT_PROJECT : items[0]!.slug
  } catch {
    return DEFAULT_PROJECT // the project's own page then says what is wrong
  }
}

/** A `beforeEnter` guard sending a project-less URL to the page `name` of the home project. */
export function toProjectPage(name: string) {
  return async (to: RouteLocationNormalized): Promise<RouteLocationRaw> => {
    const project = await homeProject()
    if (project === null) return { name: 'projects', replace: true }
    return { name, params: { ...to.params, project }, query: to.query, hash: to.hash, replace: true }
  }
}
