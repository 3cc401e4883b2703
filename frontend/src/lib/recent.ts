import type { Prediction, PredictionPage } from '@/api/types'

/**
 * `page` (this browser's newest predictions) with `fresh`, the one just classified, on top.
 *
 * The server stores a prediction a moment after it answers (on SQLite, within
 * TAGLOOP_FLUSH_MS), so a list asked for right after a classify can come from a server
 * process that has not stored it yet. The newest result is ours to show either way.
 */
export function withFresh(page: PredictionPage, fresh: Prediction | null): PredictionPage {
  if (!fresh || page.page !== 1 || page.items.some((p) => p.id === fresh.id)) return page
  if (page.items.length > 0 && page.items[0].id > fresh.id) return page // newer ones are listed
  const { explanation: _, ...plain } = fresh as Prediction & { explanation?: unknown }
  const total = page.total + 1
  return {
    ...page,
    items: [plain, ...page.items].slice(0, page.per_page),
    total,
    pages: Math.max(page.pages, Math.ceil(total / page.per_page)),
  }
}
