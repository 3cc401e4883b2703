/** One function per endpoint of the tagloop API; views and composables call these, never fetch. */
import { API_BASE, get, post, toQueryString, type Query } from './client'
import type {
  ActivationResult,
  Activation,
  BatchResult,
  ExplainedPrediction,
  Info,
  Job,
  Model,
  ModelComparison,
  Page,
  Prediction,
  PredictionDetail,
  PredictionFilters,
  Stats,
} from './types'

export const getInfo = () => get<Info>('/info')

export const classify = (text: string, explain = true) =>
  post<ExplainedPrediction>('/classify', { text }, { query: { explain } })

export const classifyBatch = (texts: string[], signal?: AbortSignal) =>
  post<BatchResult>('/classify', { texts }, { signal })

export interface PredictionQuery extends PredictionFilters {
  page?: number
  per_page?: number
}

export const listPredictions = (query: PredictionQuery = {}, signal?: AbortSignal) =>
  get<Page<Prediction>>('/predictions', query as Query, signal)

/** The URL of the CSV export of the predictions that match `filters` (a plain link downloads it). */
export const predictionsExportUrl = (filters: PredictionFilters = {}) =>
  `${API_BASE}/predictions/export${toQueryString(filters as Query)}`

export const getPrediction = (id: number) => get<PredictionDetail>(`/predictions/${id}`)

export const sendFeedback = (id: number, label: string, comment?: string) =>
  post<Prediction>(`/predictions/${id}/feedback`, comment ? { label, comment } : { label })

export const listModels = () => get<{ items: Model[] }>('/models')

export const getModel = (id: number) => get<Model>(`/models/${id}`)

export const activateModel = (id: number, token: string, reason?: string) =>
  post<ActivationResult>(`/models/${id}/activate`, reason ? { reason } : {}, { token })

export const rollbackModel = (token: string, reason?: string) =>
  post<ActivationResult>('/models/rollback', reason ? { reason } : {}, { token })

export const activationHistory = () => get<{ items: Activation[] }>('/models/history')

export const compareModels = (a: number, b: number) =>
  get<ModelComparison>('/models/compare', { a, b })

export const getStats = (days = 30) => get<Stats>('/stats', { days })

export const startRetrain = (token: string) => post<Job>('/retrain', {}, { token })

export const listJobs = () => get<{ items: Job[] }>('/jobs')

export const getJob = (id: number) => get<Job>(`/jobs/${id}`)

export const cancelJob = (id: number, token: string) => post<Job>(`/jobs/${id}/cancel`, {}, { token })

export const reviewQueue = (limit = 50) => get<{ items: Prediction[] }>('/review', { limit })
