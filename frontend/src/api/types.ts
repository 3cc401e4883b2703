/**
 * Types of the tagloop REST API (v1), taken from `schema.d.ts`: `npm run gen:api` generates it
 * from `docs/openapi.json`, and `__tests__/schema.spec.ts` fails when it is stale. The web app
 * asks for everything under `/projects/{project}`, so the types are those of these paths.
 *
 * The document marks every response field the server always sends as required, so most types are
 * the generated ones as they are. Refinements remain only where the document says no more than
 * `object` (a model's `metrics`, `data`, `eval_split`, the rows of the stats, `/info`'s `limits`…):
 * each gives the shape the server sends, checked by the compiler to narrow the generated type
 * (`Refine` in `openapi.ts`; `endpoints.ts` checks each answer with `Answer`).
 */
import type { Body, Defaulted, QueryOf, Refine } from './openapi'
import type { components } from './schema'

type Schemas = components['schemas']

// ---- Requests -----------------------------------------------------------------------------------

/** The document lets `text` and `texts` both be left out; the server takes exactly one. */
export type ClassifyOne = Required<Pick<Body<'/projects/{project}/classify', 'post'>, 'text'>>
export type ClassifyBatch = Required<Pick<Body<'/projects/{project}/classify', 'post'>, 'texts'>>
export type ClassifyQuery = QueryOf<'/projects/{project}/classify', 'post'>

export type PredictionQuery = QueryOf<'/projects/{project}/predictions', 'get'>
/** The filters shared by the list, its pages and the CSV export. */
export type PredictionFilters = Omit<QueryOf<'/projects/{project}/predictions/export', 'get'>, 'page' | 'per_page'>
export type FeedbackFilter = NonNullable<PredictionQuery['feedback']>

export type FeedbackIn = Defaulted<
  Body<'/projects/{project}/predictions/{prediction_id}/feedback', 'post'>,
  'comment' | 'reviewer'
>
export type ReasonIn = Defaulted<Body<'/projects/{project}/models/{model_id}/activate', 'post'>, 'reason'>
export type RollbackIn = Defaulted<Body<'/projects/{project}/models/rollback', 'post'>, 'reason'>
export type RetrainIn = Defaulted<Body<'/projects/{project}/retrain', 'post'>, 'reason'>

export type CompareQuery = QueryOf<'/projects/{project}/models/compare', 'get'>
export type StatsQuery = QueryOf<'/projects/{project}/stats', 'get'>
export type AgreementQuery = QueryOf<'/projects/{project}/stats/agreement', 'get'>
export type Agreement = Schemas['AgreementOut']
export type JobsQuery = QueryOf<'/projects/{project}/jobs', 'get'>
export type ReviewQuery = QueryOf<'/projects/{project}/review', 'get'>

export type ProjectIn = Defaulted<Body<'/projects', 'post'>, 'name' | 'description'>

/** How `POST /projects/{project}/train` reads the uploaded file. */
export type TrainingFormat = NonNullable<Schemas['TrainForm']['format']>

/** What `POST /projects/{project}/train` takes (multipart: the file and how to read it). */
export type TrainingUpload = {
  file: File
  format?: TrainingFormat
  textColumn?: string
  labelColumn?: string
}

// ---- Responses ----------------------------------------------------------------------------------

/** The error envelope (the document says `details: unknown`; the server sends an object or null). */
export type ApiErrorBody = Refine<
  Schemas['HTTPError'],
  { error: { code: string; message: string; details: Record<string, unknown> | null } }
>

export type Project = Schemas['ProjectOut']
export type ProjectList = Schemas['ProjectList']

export type Info = Refine<
  Schemas['InfoOut'],
  {
    /** The document says `object`. */
    active_model: { id: number; backend: string; labels: string[] } | null
    /** The document says `object`. */
    limits: { max_text_length: number; max_batch: number }
  }
>

/**
 * Feedback on a prediction. Lists, pages and the review queue leave out `comment` and
 * `reviewer`; one prediction's detail (and the answer to giving feedback) has them.
 */
export type Feedback = Schemas['FeedbackOut']
export type FeedbackDetail = Required<Feedback>

export type ExplanationToken = Schemas['Contribution']

/** A prediction as lists show it (`explanation` is left out unless asked for). */
export type Prediction = Omit<Schemas['PredictionOut'], 'explanation'>

/** The answer to classifying one text: `explanation` only with `?explain=true`. */
export type ExplainedPrediction = Schemas['PredictionOut']

export type PredictionDetail = Refine<
  Omit<Schemas['PredictionDetailOut'], 'explanation'>,
  { feedback: FeedbackDetail | null }
>

export type BatchResult = Schemas['BatchOut']

export type PredictionPage = Schemas['PredictionPage']

export type ReviewList = Schemas['ReviewList']

export type ConfusionMatrix = Schemas['ConfusionMatrix']

// A model's `metrics` is only `object` in the document: these are the figures the server computes.
export type ClassMetrics = {
  precision: number
  recall: number
  f1: number
  support: number
  false_positive_rate: number
}

export type Reliability = {
  bins: number[]
  confidence: number[]
  accuracy: number[]
  count: number[]
}

/** Grouped k-fold cross-validation: the folds' mean and standard deviation of each figure. */
export type CrossValidation = {
  folds: number
  mean: Record<string, number | null>
  sd: Record<string, number | null>
}

/** One candidate of the auto backend's model selection. */
export type LeaderboardEntry = {
  candidate: string
  backend: string
  status: 'scored' | 'skipped' | 'unavailable'
  reason?: string
  seconds?: number
  accuracy?: number
  macro_f1?: number
  mcc?: number
  selected?: boolean
}

export type Selection = {
  metric: string
  budget: number
  winner: { candidate: string; backend: string }
  leaderboard: LeaderboardEntry[]
}

export type ModelMetrics = {
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
  cv?: CrossValidation
  selection?: Selection
}

export type Model = Refine<
  Schemas['ModelOut'],
  {
    // The document says `object` for each of these.
    data: { source: string; sha256: string; rows: number }
    eval_split: {
      method: string
      test_size?: number
      folds?: number
      seed: number
      train_rows: number
      test_rows: number
    }
    metrics: ModelMetrics
    library_versions: Record<string, string>
    artifact: { path: string; sha256: string; bytes: number }
  }
>

export type ModelList = Refine<Schemas['ModelList'], { items: Model[] }>

export type Activation = Schemas['ActivationOut']

export type ActivationList = Schemas['ActivationList']

export type ActivationResult = Refine<Schemas['ActivateOut'], { active_model: Model }>

export type Stats = Refine<
  Schemas['StatsOut'],
  {
    // The document says `object` for each of these (and for the rows of the lists).
    per_day: { date: string; label: string; model_version: number; count: number }[]
    feedback_per_day: { date: string; count: number; agreed: number }[]
    per_model: { model_version: number; predictions: number; feedback: number; agreement_rate: number | null }[]
    confidence_histogram: { edges: number[]; counts: number[] }
  }
>

export type Job = Schemas['JobOut']
export type JobStatus = Job['status']
export type JobList = Schemas['JobList']

export type MetricDelta = Schemas['MetricDelta']

export type ModelComparison = Refine<
  Schemas['CompareOut'],
  {
    a: Model
    b: Model
    // The document gives these as maps with any keys; these are the keys the server sends.
    /** How many of the changed rows b now gets right, and wrong. */
    changes: { now_right: number; now_wrong: number }
    /** Both models' confusion matrices on the same evaluation rows. */
    confusion_matrices: { a: ConfusionMatrix; b: ConfusionMatrix }
    /** Evaluation rows per slice. */
    rows: { fixed: number; feedback: number }
    slices: { fixed: Schemas['Slice']; feedback: Schemas['Slice'] }
  }
>

// The tutorial's endpoints (`/api/task`, `/api/tasks`, outside v1): the web app does not call them.
export type TutorialTaskIn = Schemas['TaskIn']
export type TutorialTask = Schemas['Task']
export type TutorialTaskOut = Schemas['TaskOut']

/** Labelling: an imported item, the queue's counts, an import's report. */
export type LabellingItem = Schemas['ItemOut']
export type LabellingItems = Schemas['ItemList']
export type ItemCounts = Schemas['ItemCounts']
export type ImportResult = Schemas['ImportOut']
export type LabelsOut = Schemas['LabelList']
export type ItemsUpload = { file: File; textColumn?: string }
export type LearningCurve = Schemas['CurveOut']
// ---- Accounts -----------------------------------------------------------------------------------

export type Me = Schemas['MeOut']
export type Access = Schemas['AccessOut']
export type Permission = Schemas['PermissionOut']
export type User = Schemas['UserOut']
export type LoginIn = Schemas['LoginIn']
export type ApiToken = Schemas['TokenOut']
export type NewApiToken = Schemas['NewTokenOut']
export type TokenList = Schemas['TokenList']
export type TokenIn = Body<'/tokens', 'post'>
export type UserList = Schemas['UserList']
export type UserIn = Defaulted<Body<'/users', 'post'>, 'name' | 'is_admin'>
export type UserPatch = Schemas['UserPatch']
export type RoleName = NonNullable<Schemas['RoleIn']['role']>
