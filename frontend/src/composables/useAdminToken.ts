/**
 * The admin token: asked for once in a dialog, kept in sessionStorage only (gone when the tab
 * closes), asked for again when the server answers 401/403.
 */
import { readonly, ref } from 'vue'
import { ApiError } from '@/api/client'

const STORAGE_KEY = 'tagloop.adminToken'

function stored(): string | null {
  try {
    return sessionStorage.getItem(STORAGE_KEY)
  } catch {
    return null
  }
}

const token = ref<string | null>(stored())
const dialog = ref<{ open: boolean; message: string | null }>({ open: false, message: null })
let answer: ((value: string | null) => void) | null = null

function setToken(value: string | null) {
  token.value = value
  try {
    if (value) sessionStorage.setItem(STORAGE_KEY, value)
    else sessionStorage.removeItem(STORAGE_KEY)
  } catch {
    // Storage disabled: the token lives in memory for this page only.
  }
}

/** Open the dialog; resolves with the token entered, or null if the user cancelled. */
function askForToken(message: string | null = null): Promise<string | null> {
  answer?.(null)
  dialog.value = { open: true, message }
  return new Promise((resolve) => {
    answer = resolve
  })
}

/** Called by the dialog. */
function submitToken(value: string | null) {
  const trimmed = value?.trim() || null
  if (trimmed) setToken(trimmed)
  dialog.value = { open: false, message: null }
  const resolve = answer
  answer = null
  resolve?.(trimmed)
}

/**
 * Run `action` with the admin token, asking for it first if there is none and again after a
 * 401/403. Resolves to null if the user cancels the dialog; other errors are thrown.
 */
async function withAdmin<T>(action: (token: string) => Promise<T>): Promise<T | null> {
  let current = token.value ?? (await askForToken())
  for (;;) {
    if (!current) return null
    try {
      return await action(current)
    } catch (e) {
      if (!(e instanceof ApiError) || !e.isAuth) throw e
      setToken(null)
      current = await askForToken(e.message)
    }
  }
}

export function useAdminToken() {
  return {
    token: readonly(token),
    dialog: readonly(dialog),
    withAdmin,
    askForToken,
    submitToken,
    forget: () => setToken(null),
  }
}
