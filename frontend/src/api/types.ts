/**
 * Types of the tagloop REST API (v1).
 *
 * Written by hand from the API contract until `docs/openapi.json` is committed; then
 * `npm run gen:api` writes `schema.d.ts` and these names become aliases of the generated ones.
 */

export interface ApiErrorBody {
  error: { code: string; message: string; details: Record<string, unknown> | null }
}

export interface Info {
  version: string
  active_model: { id: number; backend: string; labels: string[] } | null
  labels: string[]
  label_names: Record<string, string>
  limits: { max_text_length: number; max_batch: number }
  store_text: boolean
}

export interface Feedback {
  label: string
  comment: string
  reviewer: string
  created_at: string
  agrees: boolean
}

export interface Prediction {
  id: number
  text: string | null
  text_sha256: string
  label: string
  confidence: number
  probabilities: Record<string, number>
  model_version: number
  created_at: string
  source: 'api' | 'task' | 'batch' | string
  feedback: Feedback | null
}

export interface ExplanationToken {
  token: string
  start: number
  end: number
  weight: number
}

export interface ExplainedPrediction extends Prediction {
  explanation?: ExplanationToken[]
}

export interface PredictionDetail extends Prediction {
  feedback_history: Omit<Feedback, 'agrees'>[]
}

export interface BatchResult {
  model_version: number
  predictions: Prediction[]
}

export type FeedbackFilter = 'none' | 'given' | 'agree' | 'disagree'

export interface PredictionFilters {
  label?: string
  model_version?: number
  feedback?: FeedbackFilter
  q?: string
  since?: string
  until?: string
  min_confidence?: number
  max_confidence?: number
  mine?: boolean
}

export interface Page<T> {
  items: T[]
  page: number
  per_page: number
  total: number
  pages: number
}

export interface ClassMetrics {
  precision: number
  recall: number
  f1: number
  support: number
  false_positive_rate: number
}

export interface ConfusionMatrix {
  labels: string[]
  /** Rows are the true labels, columns the predicted ones. */
  matrix: number[][]
}

export interface Reliability {
  bins: number[]
  confidence: number[]
  accuracy: number[]
  count: number[]
}

export interface ModelMetrics {
  n: number
  accuracy: number
  macro_f1: number
  mcc: number
  roc_auc: number | null
  ece: number
  log_loss: number
  per_class: Record<string, ClassMetrics>
  confusion_matrix: ConfusionMatrix
  reliability: Reliability
}

export interface Model {
  id: number
  created_at: string
  active: boolean
  backend: string
  params: Record<string, unknown>
  labels: string[]
  data: { source: string; sha256: string; rows: number }
  eval_split: {
    method: string
    test_size: number
    seed: number
    train_rows: number
    test_rows: number
  }
  metrics: ModelMetrics
  library_versions: Record<string, string>
  artifact: { path: string; sha256: string; bytes: number }
  train_seconds: number
  parent_id: number | null
  description: string
}

export interface Activation {
  id: number
  created_at: string
  model_id: number
  previous_model_id: number | null
  action: 'activate' | 'rollback' | 'promote' | string
  actor: string
  reason: string
}

export interface ActivationResult {
  active_model: Model
  activation: Activation
}

export interface Stats {
  days: number
  total_predictions: number
  feedback_count: number
  agreement_rate: number | null
  per_day: { date: string; label: string; model_version: number; count: number }[]
  feedback_per_day: { date: string; count: number; agreed: number }[]
  per_model: {
    model_version: number
    predictions: number
    feedback: number
    agreement_rate: number | null
  }[]
  confidence_histogram: { edges: number[]; counts: number[] }
}

export type JobStatus = 'queued' | 'running' | 'succeeded' | 'failed' | 'cancelled'

export interface Job {
  id: number
  kind: string
  status: JobStatus
  progress: number
  stage: string
  log: string
  created_at: string
  started_at: string | null
  finished_at: string | null
  error: string | null
  candidate_id: number | null
  result: Record<string, unknown>
  heartbeat_at?: string | null
  requested_by?: string
  cancel_requested?: boolean
}

export interface MetricDelta {
  a: number | null
  b: number | null
  delta: number | null
  higher_is_better?: boolean
}

export interface ModelComparison {
  a: Model
  b: Model
  metrics: Record<string, MetricDelta>
  /** Rows whose predicted label differs between a and b (possibly only the first ones). */
  changed: { text: string; label: string; a: string; b: string }[]
  changed_count?: number
  /** How many of the changed rows b now gets right, and wrong. */
  changes?: { now_right: number; now_wrong: number }
  /** Both models' confusion matrices on the same evaluation rows. */
  confusion_matrices?: { a: ConfusionMatrix; b: ConfusionMatrix }
  eval_rows: number
}
