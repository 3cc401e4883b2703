import type { Prediction } from '@/api/types'

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
