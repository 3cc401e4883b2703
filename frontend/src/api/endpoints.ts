/**
 * One function per endpoint of the tagloop API; views and composables call these, never fetch.
 * Everything a project holds is asked for under `/projects/{project}`: each such function takes
 * the project's slug first.
 *
 * Each call names its operation in the OpenAPI document: `Answer<path, method, T>` fails to
 * compile unless `T` narrows what the document says that operation answers, and request bodies and
 * query parameters are checked (`satisfies`) against the document's types.
 */
import { API_BASE, get, post, postForm, request, toQueryString, type AdminAuth } from './client'
import type { Answer } from './openapi'
import type {
  ActivationList,
  ActivationResult,
  BatchResult,
  ClassifyBatch,
  ClassifyOne,
  ClassifyQuery,
  CompareQuery,
  ExplainedPrediction,
  FeedbackIn,
  Job,
  JobList,
  Model,
  ModelComparison,
  Info,
  ModelList,
  Project,
  ProjectIn,
  ProjectList,
  PredictionDetail,
  PredictionFilters,
  PredictionPage,
  PredictionQuery,
  ReasonIn,
  RetrainIn,
  ReviewList,
  ReviewQuery,
  RollbackIn,
  Stats,
  StatsQuery,
  Agreement,
  AgreementQuery,
  TrainingUpload,
  ImportResult,
  ItemCounts,
  ItemsUpload,
  LabellingItem,
  LabellingItems,
  LabelsOut,
  LearningCurve,
  LoginIn,
  Me,
  Access,
  NewApiToken,
  TokenIn,
  TokenList,
  RoleName,
  User,
  UserIn,
  UserList,
  UserPatch,
} from './types'

export type { PredictionQuery } from './types'

/** The path of `project` below the API base: everything the project holds is under it. */
const at = (project: string) => `/projects/${encodeURIComponent(project)}`

export const getInfo = (project: string) => get<Answer<'/projects/{project}/info', 'get', Info>>(`${at(project)}/info`)

export const classify = (project: string, text: string, explain = true) =>
  post<Answer<'/projects/{project}/classify', 'post', ExplainedPrediction>>(`${at(project)}/classify`, { text } satisfies ClassifyOne, {
    query: { explain } satisfies ClassifyQuery,
  })

export const classifyBatch = (project: string, texts: string[], signal?: AbortSignal) =>
  post<Answer<'/projects/{project}/classify', 'post', BatchResult>>(`${at(project)}/classify`, { texts } satisfies ClassifyBatch, { signal })

export const listPredictions = (project: string, query: PredictionQuery = {}, signal?: AbortSignal) =>
  get<Answer<'/projects/{project}/predictions', 'get', PredictionPage>>(`${at(project)}/predictions`, query, signal)

/** The URL of the CSV export of the predictions that match `filters` (a plain link downloads it). */
export const predictionsExportUrl = (project: string, filters: PredictionFilters = {}) =>
  `${API_BASE}${at(project)}/predictions/export${toQueryString(filters)}`

export const getPrediction = (project: string, id: number) =>
  get<Answer<'/projects/{project}/predictions/{prediction_id}', 'get', PredictionDetail>>(`${at(project)}/predictions/${id}`)

export const sendFeedback = (project: string, id: number, label: string, comment?: string) =>
  post<Answer<'/projects/{project}/predictions/{prediction_id}/feedback', 'post', PredictionDetail>>(
    `${at(project)}/predictions/${id}/feedback`,
    (comment ? { label, comment } : { label }) satisfies FeedbackIn,
  )

export const listModels = (project: string) => get<Answer<'/projects/{project}/models', 'get', ModelList>>(`${at(project)}/models`)

export const getModel = (project: string, id: number) =>
  get<Answer<'/projects/{project}/models/{model_id}', 'get', Model>>(`${at(project)}/models/${id}`)

export const activateModel = (project: string, id: number, admin: AdminAuth, reason?: string) =>
  post<Answer<'/projects/{project}/models/{model_id}/activate', 'post', ActivationResult>>(
    `${at(project)}/models/${id}/activate`,
    (reason ? { reason } : {}) satisfies ReasonIn,
    admin,
  )

export const rollbackModel = (project: string, admin: AdminAuth, reason?: string) =>
  post<Answer<'/projects/{project}/models/rollback', 'post', ActivationResult>>(
    `${at(project)}/models/rollback`,
    (reason ? { reason } : {}) satisfies RollbackIn,
    admin,
  )

export const activationHistory = (project: string) =>
  get<Answer<'/projects/{project}/models/history', 'get', ActivationList>>(`${at(project)}/models/history`)

/**
 * The comparison of version b with version a as stored (a retraining stores its candidate's, with
 * the version it was retrained from; otherwise a 404 `comparison_not_stored`). With `admin`, both
 * versions are scored now instead (`fresh=true`: for those who may retrain).
 */
export const compareModels = (project: string, a: number, b: number, admin?: AdminAuth) =>
  request<Answer<'/projects/{project}/models/compare', 'get', ModelComparison>>('GET', `${at(project)}/models/compare`, {
    query: { a, b, ...(admin ? { fresh: true } : {}) } satisfies CompareQuery,
    token: admin?.token,
    actor: admin?.actor,
  })

/** Statistics over the last `days` days, of one model version's predictions if `modelVersion` is given. */
export const getStats = (project: string, days = 30, modelVersion?: number) =>
  get<Answer<'/projects/{project}/stats', 'get', Stats>>(`${at(project)}/stats`, { days, model_version: modelVersion } satisfies StatsQuery)

/** Agreement per person with the model, and between two people who labelled the same texts. */
export const getAgreement = (project: string, days = 30) =>
  get<Answer<'/projects/{project}/stats/agreement', 'get', Agreement>>(`${at(project)}/stats/agreement`, { days } satisfies AgreementQuery)

export const startRetrain = (project: string, admin: AdminAuth) =>
  post<Answer<'/projects/{project}/retrain', 'post', Job>>(`${at(project)}/retrain`, {} satisfies RetrainIn, admin)

export const listJobs = (project: string) => get<Answer<'/projects/{project}/jobs', 'get', JobList>>(`${at(project)}/jobs`)

export const getJob = (project: string, id: number) =>
  get<Answer<'/projects/{project}/jobs/{job_id}', 'get', Job>>(`${at(project)}/jobs/${id}`)

export const cancelJob = (project: string, id: number, admin: AdminAuth) =>
  post<Answer<'/projects/{project}/jobs/{job_id}/cancel', 'post', Job>>(`${at(project)}/jobs/${id}/cancel`, {}, admin)

export const reviewQueue = (project: string, limit = 50) =>
  get<Answer<'/projects/{project}/review', 'get', ReviewList>>(`${at(project)}/review`, { limit } satisfies ReviewQuery)

// ---- Projects -----------------------------------------------------------------------------------

export const listProjects = () => get<Answer<'/projects', 'get', ProjectList>>('/projects')

export const getProject = (project: string) => get<Answer<'/projects/{project}', 'get', Project>>(at(project))

export const createProject = (input: ProjectIn, admin: AdminAuth) =>
  post<Answer<'/projects', 'post', Project>>('/projects', input satisfies ProjectIn, admin)

export const deleteProject = (project: string, admin: AdminAuth) =>
  request<void>('DELETE', at(project), { token: admin.token, actor: admin.actor })

/** Upload a labelled file to `project` and start training its next version (a `train` job). */
export const startTraining = (project: string, upload: TrainingUpload, admin: AdminAuth) => {
  const form = new FormData()
  form.set('file', upload.file, upload.file.name)
  if (upload.format) form.set('format', upload.format)
  if (upload.textColumn) form.set('text_column', upload.textColumn)
  if (upload.labelColumn) form.set('label_column', upload.labelColumn)
  return postForm<Answer<'/projects/{project}/train', 'post', Job>>(`${at(project)}/train`, form, admin)
}

/** Labelling: the next items (held for the caller), label / skip / undo, a new label, counts. */
export const nextItems = (project: string, limit = 5) =>
  get<Answer<'/projects/{project}/labelling/next', 'get', LabellingItems>>(`${at(project)}/labelling/next`, { limit })

export const labelItem = (project: string, id: number, label: string) =>
  post<Answer<'/projects/{project}/labelling/items/{item_id}/label', 'post', LabellingItem>>(
    `${at(project)}/labelling/items/${id}/label`,
    { label },
  )

export const skipItem = (project: string, id: number) =>
  post<Answer<'/projects/{project}/labelling/items/{item_id}/skip', 'post', LabellingItem>>(`${at(project)}/labelling/items/${id}/skip`)

export const undoLabel = (project: string) =>
  post<Answer<'/projects/{project}/labelling/undo', 'post', LabellingItem>>(`${at(project)}/labelling/undo`)

export const addLabel = (project: string, name: string) =>
  post<Answer<'/projects/{project}/labelling/labels', 'post', LabelsOut>>(`${at(project)}/labelling/labels`, { name })

export const itemCounts = (project: string) =>
  get<Answer<'/projects/{project}/items/counts', 'get', ItemCounts>>(`${at(project)}/items/counts`)

export const importItems = (project: string, upload: ItemsUpload, admin: AdminAuth) => {
  const form = new FormData()
  form.set('file', upload.file, upload.file.name)
  if (upload.textColumn) form.set('text_column', upload.textColumn)
  return postForm<Answer<'/projects/{project}/items/file', 'post', ImportResult>>(`${at(project)}/items/file`, form, admin)
}

/** The URL of a download of the labelled items: `csv`, `jsonl` or `labelstudio` (JSON tasks). */
export const labelsExportUrl = (project: string, format: 'csv' | 'jsonl' | 'labelstudio') =>
  `${API_BASE}${at(project)}/items/export${toQueryString({ format })}`

export const learningCurve = (project: string) =>
  get<Answer<'/projects/{project}/labelling/curve', 'get', LearningCurve>>(`${at(project)}/labelling/curve`)
// ---- Accounts -----------------------------------------------------------------------------------

/** What the caller may do on `project`, and why not: the server's own answer, for the buttons. */
export const getAccess = (project: string) => get<Answer<'/projects/{project}/access', 'get', Access>>(`${at(project)}/access`)

export const getMe = () => get<Answer<'/auth/me', 'get', Me>>('/auth/me')

export const signIn = (input: LoginIn) => post<Answer<'/auth/login', 'post', Me>>('/auth/login', input satisfies LoginIn)

export const signOut = () => request<void>('POST', '/auth/logout', { body: {} })

/** End every web session of the signed-in person (API tokens stay). */
export const signOutEverywhere = () => request<void>('DELETE', '/auth/sessions')

export const listTokens = () => get<Answer<'/tokens', 'get', TokenList>>('/tokens')

export const createToken = (input: TokenIn) => post<Answer<'/tokens', 'post', NewApiToken>>('/tokens', input satisfies TokenIn)

export const revokeToken = (id: number) => request<void>('DELETE', `/tokens/${id}`)

export const listUsers = () => get<Answer<'/users', 'get', UserList>>('/users')

export const createUser = (input: UserIn) => post<Answer<'/users', 'post', User>>('/users', input satisfies UserIn)

export const updateUser = (login: string, change: UserPatch) =>
  request<User>('PATCH', `/users/${encodeURIComponent(login)}`, { body: change })

export const deleteUser = (login: string) => request<void>('DELETE', `/users/${encodeURIComponent(login)}`)

export const setRole = (login: string, project: string, role: RoleName) =>
  request<User>('PUT', `/users/${encodeURIComponent(login)}/roles/${encodeURIComponent(project)}`, { body: { role } })
