/**
 * The admin token: asked for once in a dialog, kept in sessionStorage only (gone when the tab
 * closes), asked for again when the server answers 401/403. The same dialog asks for the
 * person's name (optional), sent as `X-Tagloop-Actor` so the activation history says who it was.
 */
import { readonly, ref } from 'vue'
import { ApiError } from '@/api/client'
import { useSession } from '@/composables/useSession'

const STORAGE_KEY = 'tagloop.adminToken'
const ACTOR_KEY = 'tagloop.adminActor'
export const MAX_ACTOR_LENGTH = 100

function stored(key: string): string | null {
  try {
    return sessionStorage.getItem(key)
  } catch {
    return null
  }
}

function store(key: string, value: string | null) {
  try {
    if (value) sessionStorage.setItem(key, value)
    else sessionStorage.removeItem(key)
  } catch {
    // Storage disabled: the value lives in memory for this page only.
  }
}

/**
 * Why `name` cannot be sent as the actor, or null. Any language is fine: the client sends it
 * percent-encoded (UTF-8) and the server decodes it.
 */
export function actorNameProblem(name: string): string | null {
  if (name.length > MAX_ACTOR_LENGTH) return `Use at most ${MAX_ACTOR_LENGTH} characters.`
  if (/[\u0000-\u001f\u007f]/.test(name)) return 'Use letters, digits, spaces and punctuation only.'
  return null
}

const token = ref<string | null>(stored(STORAGE_KEY))
const actor = ref<string | null>(stored(ACTOR_KEY))
/** What the token is asked for, in the dialog's words: each action says what it changes. */
export const ADMIN_PURPOSES = {
  activate: 'Activating a model changes which model serves predictions.',
  rollback: 'Rolling back changes which model serves predictions: the previous one serves again.',
  retrain:
    'Retraining trains a candidate model in the background; the model that serves predictions does not change until you promote it.',
  compare: 'Comparing now scores both models on the server; no model changes.',
  cancel: 'Cancelling stops the retraining job; the model that serves predictions does not change.',
  createProject: 'Creating a project adds a classifier with its own labels and models; no other project changes.',
  train: "Training adds a model version to this project; it serves only once it is activated.",
} as const
export type AdminPurpose = keyof typeof ADMIN_PURPOSES

const dialog = ref<{ open: boolean; message: string | null; purpose: AdminPurpose | null }>({
  open: false,
  message: null,
  purpose: null,
})
let answer: ((value: string | null) => void) | null = null

function setToken(value: string | null) {
  token.value = value
  store(STORAGE_KEY, value)
}

function setActor(value: string | null) {
  const trimmed = value?.trim() || null
  actor.value = trimmed && actorNameProblem(trimmed) === null ? trimmed : null
  store(ACTOR_KEY, actor.value)
}

/** Open the dialog; resolves with the token entered, or null if the user cancelled. */
function askForToken(message: string | null = null, purpose: AdminPurpose | null = null): Promise<string | null> {
  answer?.(null)
  dialog.value = { open: true, message, purpose }
  return new Promise((resolve) => {
    answer = resolve
  })
}

/** Called by the dialog; `name` (when given) replaces the stored name, '' forgets it. */
function submitToken(value: string | null, name?: string) {
  const trimmed = value?.trim() || null
  if (trimmed) {
    setToken(trimmed)
    if (name !== undefined) setActor(name)
  }
  dialog.value = { open: false, message: null, purpose: dialog.value.purpose }
  const resolve = answer
  answer = null
  resolve?.(trimmed)
}

/**
 * Run `action` with the admin token (and the person's name, if given), asking for the token
 * first if there is none and again after a 401/403. Resolves to null if the user cancels the
 * dialog; other errors are thrown.
 */
async function withAdmin<T>(
  action: (token: string, actor: string | null) => Promise<T>,
  purpose: AdminPurpose | null = null,
): Promise<T | null> {
  // Signed in: the session cookie is the credential (no dialog); a refusal names the role needed.
  const session = useSession()
  if (session.user.value) {
    try {
      return await action('', null)
    } catch (e) {
      // An expired or ended session: forget it, so the menu offers to sign in again.
      if (e instanceof ApiError && e.status === 401) await session.load()
      throw e
    }
  }
  let current = token.value ?? (await askForToken(null, purpose))
  for (;;) {
    if (!current) return null
    try {
      return await action(current, actor.value)
    } catch (e) {
      if (!(e instanceof ApiError) || !e.isAuth) throw e
      setToken(null)
      current = await askForToken(e.message, purpose)
    }
  }
}

export function useAdminToken() {
  return {
    token: readonly(token),
    actor: readonly(actor),
    dialog: readonly(dialog),
    withAdmin,
    askForToken,
    submitToken,
    /** Forget the token and the name. */
    forget: () => {
      setToken(null)
      setActor(null)
    },
  }
}
