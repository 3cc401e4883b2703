import { mkdirSync, readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { expect, type APIRequestContext, type Page } from '@playwright/test'
import type { AxeResults, RunOptions } from 'axe-core'

export const ADMIN_TOKEN = process.env.TAGLOOP_E2E_ADMIN_TOKEN ?? 'test-admin-token'
export const ARTIFACTS = join(dirname(fileURLToPath(import.meta.url)), '..', 'test-artifacts')
export const SCREENSHOTS = join(ARTIFACTS, 'screenshots')

export const SPAM =
  'WINNER!! You have been selected to receive a £900 prize reward! To claim call 09061701461. Claim code KL341. Valid 12 hours only.'
export const HAM = 'see you at the station at 6'

export const VIEWPORTS = {
  desktop: { width: 1280, height: 800 },
  phone: { width: 390, height: 844 },
} as const
export type ViewportName = keyof typeof VIEWPORTS

/**
 * Save `<name>-desktop.png` and `<name>-phone.png`, then go back to the desktop size. The
 * screenshots are taken with reduced motion (base.css then turns transitions off), so each needs
 * only the next frames after the resize instead of a second's wait; the page then gets back the
 * motion setting it had, for the rest of its test. (Chart.js reads the setting once, on load: the
 * pages with charts are shot by pages.spec.ts, which loads every page with reduced motion.)
 */
export async function screenshotBoth(page: Page, name: string, prepare?: () => Promise<void>) {
  mkdirSync(SCREENSHOTS, { recursive: true })
  const reduced = await page.evaluate(() => window.matchMedia('(prefers-reduced-motion: reduce)').matches)
  if (!reduced) await page.emulateMedia({ reducedMotion: 'reduce' })
  for (const [size, viewport] of Object.entries(VIEWPORTS)) {
    await page.setViewportSize(viewport)
    await prepare?.()
    await settle(page)
    await page.screenshot({ path: join(SCREENSHOTS, `${name}-${size}.png`), fullPage: true })
  }
  await page.setViewportSize(VIEWPORTS.desktop)
  if (!reduced) await page.emulateMedia({ reducedMotion: 'no-preference' })
}

/**
 * Let the page settle after a resize or a colour-scheme change before a screenshot: charts
 * redraw on the next animation frames (ResizeObserver), and animate for a second unless the
 * page is emulating reduced motion (then Chart.js and CSS animations are off).
 */
export async function settle(page: Page) {
  const reduced = await page.evaluate(async () => {
    for (let i = 0; i < 3; i++) await new Promise((resolve) => requestAnimationFrame(resolve))
    return window.matchMedia('(prefers-reduced-motion: reduce)').matches
  })
  if (!reduced) await page.waitForTimeout(1000)
}

const AXE_SOURCE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8')
const AXE_OPTIONS: RunOptions = {
  runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] },
  // Only the violations are read: the passes and the rules that did not apply are not listed.
  resultTypes: ['violations'],
}

/**
 * Serious and critical WCAG 2.1 A/AA violations on the page once it has settled. axe runs in the page
 * itself, put there once per document: the pages are scanned at several sizes and in both colour
 * schemes, and loading axe's half a megabyte again for each scan cost as much as a scan. Every
 * scan runs every rule of those tags on the whole document (the app has no frames).
 */
export async function seriousViolations(page: Page) {
  expect(page.frames(), 'a frame would need a scan of its own').toHaveLength(1)
  if (!(await page.evaluate(() => 'axe' in window))) await page.evaluate(AXE_SOURCE)
  const violations = await page.evaluate(async (options) => {
    // The page as a person meets it after a resize or a colour-scheme change: what reacts to
    // its own size (ResizeObserver: a table that starts to scroll becomes a focusable region)
    // does so before the next frames are drawn, and no key press can come in between.
    for (let i = 0; i < 2; i++) await new Promise((resolve) => requestAnimationFrame(resolve))
    const { axe } = window as unknown as { axe: { run: (context: Document, options: RunOptions) => Promise<AxeResults> } }
    return (await axe.run(document, options)).violations
  }, AXE_OPTIONS)
  return violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => ({ id: v.id, impact: v.impact, help: v.help, targets: v.nodes.slice(0, 5).map((n) => n.target.join(' ')) }))
}

export async function expectNoSeriousViolations(page: Page, where: string) {
  expect(await seriousViolations(page), `accessibility violations on ${where}`).toEqual([])
}

/** Classify `text` on the Classify page and wait for the result card. */
export async function classifyOnPage(page: Page, text: string) {
  await page.goto('/')
  await page.getByLabel('Message', { exact: true }).fill(text)
  await page.getByRole('button', { name: 'Classify', exact: true }).click()
  const result = page.getByTestId('result')
  await expect(result).toBeVisible()
  return result
}

export async function apiJson<T>(request: APIRequestContext, path: string): Promise<T> {
  const response = await request.get(path)
  expect(response.ok(), `${path} answered ${response.status()}`).toBe(true)
  return (await response.json()) as T
}
