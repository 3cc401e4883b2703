/** The one place that talks HTTP: JSON in and out, the API's error envelope turned into ApiError. */
import type { ApiErrorBody } from './types'

export const API_BASE = '/api/v1'

export class ApiError extends Error {
  readonly status: number
  readonly code: string
  readonly details: Record<string, unknown> | null

  constructor(
    status: number,
    code: string,
    message: string,
    details: Record<string, unknown> | null = null,
  ) {
    super(message)
    this.name = 'ApiError'
    this.status = status
    this.code = code
    this.details = details
  }

  /** The admin token was missing, wrong or lacks the right. */
  get isAuth(): boolean {
    return this.status === 401 || this.status === 403
  }
}

export type QueryValue = string | number | boolean | null | undefined
export type Query = Record<string, QueryValue>

/** `?a=1&b=x` from the set values of `query` (empty strings, null and undefined are left out). */
export function toQueryString(query: Query = {}): string {
  const params = new URLSearchParams()
  for (const [key, value] of Object.entries(query)) {
    if (value === undefined || value === null || value === '') continue
    params.set(key, String(value))
  }
  const text = params.toString()
  return text ? `?${text}` : ''
}

export interface RequestOptions {
  query?: Query
  body?: unknown
  /** A `multipart/form-data` body (a file upload) instead of JSON; the browser sets its boundary. */
  form?: FormData
  /** Admin token, sent as `Authorization: Bearer …`. */
  token?: string | null
  /** Who is acting, sent as `X-Tagloop-Actor`: the activation history names them. */
  actor?: string | null
  signal?: AbortSignal
}

/** What an admin request carries: the token, and the name of the person using it. */
export type AdminAuth = { token: string; actor?: string | null }

function isErrorBody(value: unknown): value is ApiErrorBody {
  if (typeof value !== 'object' || value === null || !('error' in value)) return false
  const error = (value as { error: unknown }).error
  return typeof error === 'object' && error !== null && 'message' in error
}

/** "field: problem; other: problem" from a nested validation detail ({"json": {"text": ["…"]}}). */
function fieldProblems(detail: unknown, path: string[] = []): string[] {
  if (typeof detail === 'string') return [path.length ? `${path.join('.')}: ${detail}` : detail]
  if (Array.isArray(detail)) return detail.flatMap((d) => fieldProblems(d, path))
  if (typeof detail === 'object' && detail !== null) {
    return Object.entries(detail).flatMap(([key, value]) =>
      // The request part ("json", "query") is noise to a person.
      fieldProblems(value, path.length === 0 && ['json', 'query', 'form', 'files', 'form_and_files'].includes(key) ? [] : [...path, key]),
    )
  }
  return []
}

/** Other Flask error shapes: `{"message": …, "detail": …}` (APIFlask's default). */
function fromFlatBody(status: number, body: unknown): ApiError | null {
  if (typeof body !== 'object' || body === null || typeof (body as { message?: unknown }).message !== 'string') return null
  const { message, detail, code } = body as { message: string; detail?: unknown; code?: unknown }
  const problems = fieldProblems(detail)
  const text = problems.length ? `${message}: ${problems.join('; ')}` : message
  const details = typeof detail === 'object' && detail !== null ? (detail as Record<string, unknown>) : null
  return new ApiError(status, typeof code === 'string' ? code : 'error', text, details)
}

async function errorFrom(response: Response): Promise<ApiError> {
  let body: unknown = null
  try {
    body = await response.json()
  } catch {
    // Not JSON (a proxy's HTML page, an empty body): fall back to the status line.
  }
  if (isErrorBody(body)) {
    const { code, message, details } = body.error
    return new ApiError(response.status, code || 'error', message, details ?? null)
  }
  const flat = fromFlatBody(response.status, body)
  if (flat) return flat
  const reason = response.statusText || 'request failed'
  return new ApiError(response.status, 'http_error', `The server answered ${response.status} (${reason}).`)
}

/** The signed-in session's CSRF token (from sign-in or `/auth/me`), sent on every change. */
let csrfToken: string | null = null

export function setCsrfToken(value: string | null) {
  csrfToken = value
}

export async function request<T>(method: string, path: string, options: RequestOptions = {}): Promise<T> {
  const headers: Record<string, string> = { Accept: 'application/json' }
  if (options.body !== undefined) headers['Content-Type'] = 'application/json'
  if (options.token) headers.Authorization = `Bearer ${options.token}`
  else if (csrfToken && method !== 'GET') headers['X-CSRF-Token'] = csrfToken
  // Percent-encoded: a header carries only ASCII, a name may be "Zoë" (the server decodes it).
  if (options.actor) headers['X-Tagloop-Actor'] = encodeURIComponent(options.actor)

  let response: Response
  try {
    response = await fetch(`${API_BASE}${path}${toQueryString(options.query)}`, {
      method,
      headers,
      body: options.form ?? (options.body === undefined ? undefined : JSON.stringify(options.body)),
      credentials: 'same-origin',
      signal: options.signal,
    })
  } catch (cause) {
    if (isAbort(cause)) throw cause
    throw new ApiError(0, 'network_error', 'Could not reach the tagloop server. Check your connection and try again.')
  }

  if (!response.ok) throw await errorFrom(response)
  if (response.status === 204) return undefined as T
  try {
    return (await response.json()) as T
  } catch {
    throw new ApiError(response.status, 'bad_response', 'The server sent a response that is not JSON.')
  }
}

export const get = <T>(path: string, query?: Query, signal?: AbortSignal) =>
  request<T>('GET', path, { query, signal })

export const post = <T>(path: string, body?: unknown, options: Omit<RequestOptions, 'body'> = {}) =>
  request<T>('POST', path, { ...options, body: body ?? {} })

export const postForm = <T>(path: string, form: FormData, options: Omit<RequestOptions, 'body' | 'form'> = {}) =>
  request<T>('POST', path, { ...options, form })

/** True for the error fetch throws when its AbortSignal fires. */
export function isAbort(error: unknown): boolean {
  return typeof error === 'object' && error !== null && (error as { name?: unknown }).name === 'AbortError'
}

/** A readable message for anything thrown by a request. */
export function errorMessage(error: unknown): string {
  if (error instanceof Error) return error.message
  return String(error)
}
