/**
 * What the caller may do on the current project, as the server answers it (`/access`): the web app
 * keeps no copy of the role table. Loaded once per project and per signed-in person, and again when
 * the person signs in or out. Until the answer is in, nothing is offered; if it cannot be had (the
 * server is down, say) every action is offered and the server's own refusal says why.
 */
import { computed, reactive, watch } from 'vue'
import { getAccess } from '@/api/endpoints'
import type { Access } from '@/api/types'
import { useProject } from './useProject'
import { useSession } from './useSession'

/** The actions the server names (the keys of `/access`'s `actions`). */
export type ActionName =
  | 'read_info'
  | 'classify'
  | 'read_own'
  | 'read'
  | 'feedback'
  | 'label'
  | 'import'
  | 'train'
  | 'retrain'
  | 'cancel_job'
  | 'activate'
  | 'rollback'
  | 'configure'
  | 'create_project'
  | 'delete_project'
  | 'manage_users'

export interface Allowance {
  /** The server's answer is in (or could not be had). */
  known: boolean
  /** Offer the action: the caller may do it, or the admin token (asked for in a dialog) may. */
  enabled: boolean
  /** Show a button for it: enabled, or not known yet (a refusal then says why). */
  offered: boolean
  /** Why not, in the server's words (null when enabled). */
  reason: string | null
  /** The least role the action needs. */
  needs: string | null
}

interface AccessState {
  access: Access | null
  failed: boolean
  pending: Promise<void> | null
}

const states = reactive(new Map<string, AccessState>())

/** Whom the kept answers were asked for: another person (signing in or out) asks afresh, as an
 * answer may have been asked with the cookie of someone who has since signed out. */
let askedFor: string | null = null

function load(key: string, project: string, who: string): void {
  if (askedFor !== who) {
    if (askedFor !== null) states.clear()
    askedFor = who
  }
  let state = states.get(key)
  if (state?.pending) return
  if (!state) {
    states.set(key, { access: null, failed: false, pending: null })
    state = states.get(key)!
  }
  const current = state
  current.pending = getAccess(project)
    .then((value) => {
      // Only a well-formed answer is believed; anything else offers everything.
      const valid = typeof value === 'object' && value !== null && typeof value.actions === 'object'
      current.access = valid ? value : null
      current.failed = !valid
    })
    .catch(() => {
      current.failed = true
      current.pending = null // asked again next time
    })
}

/** What `access` says of `action` (null: the answer is not in yet; failed: offer everything). */
export function allowance(access: Access | null, failed: boolean, action: ActionName): Allowance {
  if (!access) return { known: failed, enabled: failed, offered: true, reason: null, needs: null }
  const permission = access.actions[action]
  if (!permission) return { known: true, enabled: true, offered: true, reason: null, needs: null }
  const enabled = permission.allowed || permission.with_admin_token
  const reason = enabled ? null : sentence(permission.reason)
  return { known: true, enabled, offered: enabled, reason, needs: permission.needs }
}

/** The server's reason as a sentence. */
function sentence(reason: string | null): string | null {
  if (!reason) return null
  return reason.charAt(0).toUpperCase() + reason.slice(1) + (reason.endsWith('.') ? '' : '.')
}

export function useAccess() {
  const project = useProject()
  const session = useSession()
  // Who is asking, as far as the web app knows: a new person (or none) asks again.
  const who = computed(() => {
    const me = session.me.value
    return me?.user ? `user:${me.user.id}` : me?.admin ? 'admin' : 'anonymous'
  })
  void session.ensureLoaded()
  const key = computed(() => `${project.value}\u0000${who.value}`)
  // Asked at once, beside /auth/me (an anonymous visitor's answer is then in after one round
  // trip); trusted only once /auth/me says who is asking, and asked again if someone is.
  watch(key, (value) => load(value, project.value, who.value), { immediate: true })
  const state = computed(() => (session.loaded.value ? (states.get(key.value) ?? null) : null))
  const access = computed(() => state.value?.access ?? null)
  return {
    access,
    role: computed(() => access.value?.role ?? null),
    can: (action: ActionName): Allowance => allowance(access.value, state.value?.failed ?? false, action),
  }
}
