import type { Info, Job, Model, ModelComparison, Prediction, Project } from '@/api/types'

export function prediction(overrides: Partial<Prediction> = {}): Prediction {
  return {
    id: 7,
    text: 'WINNER! Claim your prize now',
    text_sha256: 'abc',
    label: 'spam',
    confidence: 0.97,
    probabilities: { ham: 0.03, spam: 0.97 },
    model_version: 1,
    created_at: '2026-11-25T10:00:00Z',
    source: 'api',
    feedback: null,
    ...overrides,
  }
}

/** A fetch stand-in answering with `body` and `status`. */
export function jsonResponse(body: unknown, status = 200): Response {
  return new Response(JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json' } })
}

/** /info with an active model `activeId` and the given limits. */
export function info(activeId: number | null = 1, limits: Partial<Info['limits']> = {}): Info {
  return {
    version: 't',
    active_model: activeId === null ? null : { id: activeId, backend: 'sklearn', labels: ['ham', 'spam'] },
    labels: ['ham', 'spam'],
    label_names: { ham: 'not spam' },
    limits: { max_text_length: 10000, max_batch: 1000, max_explain_batch: 50, ...limits },
    store_text: true,
    project: {
      slug: 'default',
      name: 'Default',
      description: '',
      labels: [
        { name: 'ham', display: 'not spam' },
        { name: 'spam', display: 'spam' },
      ],
      created_at: '2026-12-01T00:00:00Z',
      settings: {
        auto_retrain_after: 0,
        auto_promote_metric: '',
        auto_promote_margin: 0,
        retention_days: 0,
        anonymous_classify: true,
        costs: {},
        labels_before_first_model: 8,
        retrain_after_labels: 50,
        anonymous_feedback: false,
      },
      active_version: activeId,
      predictions: 0,
      feedback: 0,
      agreement_rate: null,
    },
  }
}

const confusion = { labels: ['ham', 'spam'], matrix: [[95, 2], [3, 20]] }

export function model(overrides: Partial<Model> = {}): Model {
  return {
    id: 1,
    created_at: '2026-11-25T10:00:00Z',
    active: false,
    backend: 'sklearn',
    params: {},
    labels: ['ham', 'spam'],
    data: { source: 'sms.csv', sha256: 'a'.repeat(64), rows: 600 },
    eval_split: { method: 'holdout', test_size: 0.2, seed: 0, train_rows: 480, test_rows: 120 },
    metrics: {
      n: 120,
      accuracy: 0.958,
      macro_f1: 0.91,
      mcc: 0.83,
      roc_auc: 0.98,
      ece: 0.03,
      log_loss: 0.12,
      brier: 0.04,
      per_class: {
        ham: { precision: 0.97, recall: 0.98, f1: 0.97, support: 97, false_positive_rate: 0.13 },
        spam: { precision: 0.91, recall: 0.87, f1: 0.89, support: 23, false_positive_rate: 0.02 },
      },
      confusion_matrix: confusion,
      reliability: { bins: [0.5, 1], confidence: [0.7, 0.95], accuracy: [0.6, 0.97], count: [10, 110] },
    },
    library_versions: { 'scikit-learn': '1.7' },
    artifact: { path: 'models/1.skops', sha256: 'b'.repeat(64), bytes: 2048 },
    train_seconds: 1.5,
    parent_id: null,
    description: '',
    ...overrides,
  }
}

/** Model `a` against model `b`, as GET /models/compare answers. */
export function comparison(a: Model, b: Model, stored = true): ModelComparison {
  const slice = { rows: 120, metrics: {} }
  return {
    a,
    b,
    metrics: { accuracy: { a: 0.95, b: 0.97, delta: 0.02, higher_is_better: true } },
    slices: { fixed: slice, feedback: { rows: 0, metrics: {} } },
    confusion_matrices: { a: confusion, b: confusion },
    changed: [{ text: 'free entry now', label: 'spam', a: 'ham', b: 'spam', source: 'fixed' }],
    changed_count: 1,
    changes: { now_right: 1, now_wrong: 0 },
    eval_rows: 120,
    rows: { fixed: 120, feedback: 0 },
    computed_at: '2026-11-25T11:00:00Z',
    stored,
  }
}

export function job(overrides: Partial<Job> = {}): Job {
  return {
    id: 5,
    kind: 'retrain',
    status: 'running',
    progress: 0.1,
    stage: '',
    log: '',
    error: '',
    candidate_id: null,
    params: {},
    result: {},
    requested_by: 'admin',
    worker: '',
    cancel_requested: false,
    created_at: '2026-11-25T10:00:00Z',
    started_at: null,
    finished_at: null,
    heartbeat_at: null,
    ...overrides,
  }
}

export function project(overrides: Partial<Project> = {}): Project {
  return {
    slug: 'default',
    name: 'SMS spam',
    description: '',
    labels: [
      { name: 'ham', display: 'not spam' },
      { name: 'spam', display: '' },
    ],
    created_at: '2026-11-25T10:00:00Z',
    settings: {
      auto_retrain_after: 0,
      auto_promote_metric: 'macro_f1',
      auto_promote_margin: 0,
      retention_days: 0,
      anonymous_classify: true,
      costs: {},
      labels_before_first_model: 8,
      retrain_after_labels: 50,
      anonymous_feedback: false,
    },
    active_version: 1,
    predictions: 0,
    feedback: 0,
    agreement_rate: null,
    ...overrides,
  }
}
