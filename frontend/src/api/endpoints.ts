/**
 * One function per endpoint of the tagloop API; views and composables call these, never fetch.
 *
 * Each call names its operation in the OpenAPI document: `Answer<path, method, T>` fails to
 * compile unless `T` narrows what the document says that operation answers, and request bodies and
 * query parameters are checked (`satisfies`) against the document's types.
 */
import { API_BASE, get, post, toQueryString, type AdminAuth } from './client'
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
  Info,
  Job,
  JobList,
  Model,
  ModelComparison,
  ModelList,
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
} from './types'

export type { PredictionQuery } from './types'

export const getInfo = () => get<Answer<'/info', 'get', Info>>('/info')

export const classify = (text: string, explain = true) =>
  post<Answer<'/classify', 'post', ExplainedPrediction>>('/classify', { text } satisfies ClassifyOne, {
    query: { explain } satisfies ClassifyQuery,
  })

export const classifyBatch = (texts: string[], signal?: AbortSignal) =>
  post<Answer<'/classify', 'post', BatchResult>>('/classify', { texts } satisfies ClassifyBatch, { signal })

export const listPredictions = (query: PredictionQuery = {}, signal?: AbortSignal) =>
  get<Answer<'/predictions', 'get', PredictionPage>>('/predictions', query, signal)

/** The URL of the CSV export of the predictions that match `filters` (a plain link downloads it). */
export const predictionsExportUrl = (filters: PredictionFilters = {}) =>
  `${API_BASE}/predictions/export${toQueryString(filters)}`

export const getPrediction = (id: number) =>
  get<Answer<'/predictions/{prediction_id}', 'get', PredictionDetail>>(`/predictions/${id}`)

export const sendFeedback = (id: number, label: string, comment?: string) =>
  post<Answer<'/predictions/{prediction_id}/feedback', 'post', PredictionDetail>>(
    `/predictions/${id}/feedback`,
    (comment ? { label, comment } : { label }) satisfies FeedbackIn,
  )

export const listModels = () => get<Answer<'/models', 'get', ModelList>>('/models')

export const getModel = (id: number) => get<Answer<'/models/{model_id}', 'get', Model>>(`/models/${id}`)

export const activateModel = (id: number, admin: AdminAuth, reason?: string) =>
  post<Answer<'/models/{model_id}/activate', 'post', ActivationResult>>(
    `/models/${id}/activate`,
    (reason ? { reason } : {}) satisfies ReasonIn,
    admin,
  )

export const rollbackModel = (admin: AdminAuth, reason?: string) =>
  post<Answer<'/models/rollback', 'post', ActivationResult>>(
    '/models/rollback',
    (reason ? { reason } : {}) satisfies RollbackIn,
    admin,
  )

export const activationHistory = () => get<Answer<'/models/history', 'get', ActivationList>>('/models/history')

export const compareModels = (a: number, b: number) =>
  get<Answer<'/models/compare', 'get', ModelComparison>>('/models/compare', { a, b } satisfies CompareQuery)

/** Statistics over the last `days` days, of one model version's predictions if `modelVersion` is given. */
export const getStats = (days = 30, modelVersion?: number) =>
  get<Answer<'/stats', 'get', Stats>>('/stats', { days, model_version: modelVersion } satisfies StatsQuery)

export const startRetrain = (admin: AdminAuth) =>
  post<Answer<'/retrain', 'post', Job>>('/retrain', {} satisfies RetrainIn, admin)

export const listJobs = () => get<Answer<'/jobs', 'get', JobList>>('/jobs')

export const getJob = (id: number) => get<Answer<'/jobs/{job_id}', 'get', Job>>(`/jobs/${id}`)

export const cancelJob = (id: number, admin: AdminAuth) =>
  post<Answer<'/jobs/{job_id}/cancel', 'post', Job>>(`/jobs/${id}/cancel`, {}, admin)

export const reviewQueue = (limit = 50) =>
  get<Answer<'/review', 'get', ReviewList>>('/review', { limit } satisfies ReviewQuery)
