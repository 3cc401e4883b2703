/**
 * Types of the tagloop REST API (v1), taken from `schema.d.ts`: `npm run gen:api` generates it
 * from `docs/openapi.json`, and `__tests__/schema.spec.ts` fails when it is stale. The web app
 * asks for everything under `/projects/{project}`, so the types are those of these paths.
 *
 * Responses are the generated types as they are; what remains hand-written is about requests,
 * where the document cannot say it (exactly one of `text` and `texts`; fields with a default the
 * client may leave out) or the body is multipart.
 */
import type { Body, Defaulted, QueryOf } from './openapi'
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
// The document marks every field the server always sends as required and types every object it
// sends, so each response type is the generated one under the name the web app uses.

export type ApiErrorBody = Schemas['HTTPError']

export type Project = Schemas['ProjectOut']
export type ProjectList = Schemas['ProjectList']

export type Info = Schemas['InfoOut']

/**
 * Feedback on a prediction. Lists, pages and the review queue leave out `comment` and
 * `reviewer`; one prediction's detail (and the answer to giving feedback) has them.
 */
export type Feedback = Schemas['FeedbackOut']
export type FeedbackDetail = Schemas['FeedbackDetailOut']

export type ExplanationToken = Schemas['Contribution']

/** A prediction as lists show it (`explanation` is left out unless asked for). */
export type Prediction = Omit<Schemas['PredictionOut'], 'explanation'>

/** The answer to classifying one text: `explanation` only with `?explain=true`. */
export type ExplainedPrediction = Schemas['PredictionOut']

export type PredictionDetail = Omit<Schemas['PredictionDetailOut'], 'explanation'>

export type BatchResult = Schemas['BatchOut']
export type PredictionPage = Schemas['PredictionPage']
export type ReviewList = Schemas['ReviewList']

export type ConfusionMatrix = Schemas['ConfusionMatrix']
export type ClassMetrics = Schemas['ClassMetrics']
export type Reliability = Schemas['Reliability']
export type CrossValidation = Schemas['CrossValidation']
export type LeaderboardEntry = Schemas['LeaderboardEntry']
export type Selection = Schemas['Selection']
export type ModelMetrics = Schemas['ModelMetrics']
export type Model = Schemas['ModelOut']
export type ModelList = Schemas['ModelList']

export type Activation = Schemas['ActivationOut']
export type ActivationList = Schemas['ActivationList']
export type ActivationResult = Schemas['ActivateOut']

export type Stats = Schemas['StatsOut']

export type Job = Schemas['JobOut']
export type JobStatus = Job['status']
export type JobList = Schemas['JobList']

export type MetricDelta = Schemas['MetricDelta']
export type ModelComparison = Schemas['CompareOut']

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
