/**
 * Who is signed in (one shared state for the whole app): loaded from `/auth/me` at start, set by
 * signing in, cleared by signing out. It also hands the session's CSRF token to the API client,
 * which sends it on every change.
 */
import { computed, readonly, ref } from 'vue'
import { setCsrfToken } from '@/api/client'
import { getMe, signIn, signOut, signOutEverywhere } from '@/api/endpoints'
import type { Me } from '@/api/types'

const me = ref<Me | null>(null)
const loaded = ref(false)

function remember(value: Me | null) {
  me.value = value
  setCsrfToken(value?.csrf_token ?? null)
  loaded.value = true
}

let pending: Promise<void> | null = null

function load(): Promise<void> {
  pending = getMe()
    .then(remember)
    .catch(() => remember(null))
  return pending
}

/** Load who is signed in unless it is loaded or being loaded. */
function ensureLoaded(): Promise<void> {
  return pending ?? load()
}

async function login(login: string, password: string): Promise<void> {
  remember(await signIn({ login, password }))
}

async function logout(everywhere = false): Promise<void> {
  try {
    await (everywhere ? signOutEverywhere() : signOut())
  } finally {
    remember({ user: null, admin: false, csrf_token: null, open: me.value?.open ?? false })
  }
}

export function useSession() {
  return {
    me: readonly(me),
    loaded: readonly(loaded),
    user: computed(() => me.value?.user ?? null),
    /** The server has no accounts yet: it is open, as before accounts existed. */
    open: computed(() => me.value?.open ?? false),
    load,
    ensureLoaded,
    login,
    logout,
  }
}
