import { writeFileSync, mkdirSync } from 'node:fs'
import { join } from 'node:path'
import { expect, test } from '@playwright/test'
import {
  ARTIFACTS,
  SCREENSHOTS,
  HAM,
  SPAM,
  VIEWPORTS,
  apiJson,
  classifyOnPage,
  expectNoSeriousViolations,
  screenshotBoth,
  settle,
} from './helpers'

// Charts and transitions are still (Chart.js and base.css honour reduced motion), so each
// screenshot needs only the next frames after a resize rather than a second's wait.
test.use({ reducedMotion: 'reduce' })

interface Page_ {
  name: string
  path: string
  heading: string | RegExp
}

test('first page load is quick on loopback (measured, not asserted)', async ({ page }) => {
  await page.goto('/', { waitUntil: 'load' })
  await expect(page.getByRole('heading', { name: 'Classify a message' })).toBeVisible()
  const timing = await page.evaluate(() => {
    const nav = performance.getEntriesByType('navigation')[0] as PerformanceNavigationTiming
    const paint = performance.getEntriesByName('first-contentful-paint')[0]
    return {
      domContentLoadedMs: Math.round(nav.domContentLoadedEventEnd),
      loadMs: Math.round(nav.loadEventEnd),
      firstContentfulPaintMs: paint ? Math.round(paint.startTime) : null,
      transferredBytes: performance
        .getEntriesByType('resource')
        .reduce((sum, r) => sum + ((r as PerformanceResourceTiming).transferSize || 0), nav.transferSize || 0),
    }
  })
  mkdirSync(ARTIFACTS, { recursive: true })
  writeFileSync(join(ARTIFACTS, 'first-load.json'), `${JSON.stringify(timing, null, 2)}\n`)
  console.log(`first load of / : ${JSON.stringify(timing)}`)
})

test('every page passes an accessibility scan at desktop and phone width, light and dark', async ({ page, request }) => {
  test.setTimeout(180_000)
  const { items } = await apiJson<{ items: { id: number; active: boolean }[] }>(request, '/api/v1/models')
  const modelId = (items.find((m) => m.active) ?? items[0])?.id
  const pages: Page_[] = [
    { name: 'classify', path: '/', heading: 'Classify a message' },
    { name: 'history', path: '/history', heading: 'History' },
    { name: 'batch', path: '/batch', heading: 'Batch classify' },
    { name: 'models', path: '/models', heading: 'Models' },
    ...(modelId ? [{ name: 'model-detail', path: `/models/${modelId}`, heading: new RegExp(`Model #${modelId}`) }] : []),
    { name: 'dashboard', path: '/dashboard', heading: 'Dashboard' },
    { name: 'review', path: '/review', heading: 'Review queue' },
    { name: 'projects', path: '/projects', heading: 'Projects' },
    { name: 'new-project', path: '/projects/new', heading: 'New project' },
    { name: 'not-found', path: '/no/such/page', heading: 'Page not found' },
  ]

  for (const p of pages) {
    await test.step(p.name, async () => {
      // Scan the pages in their richest state: a result on Classify, results on Batch.
      if (p.name === 'classify') await classifyOnPage(page, SPAM)
      else await page.goto(p.path)
      if (p.name === 'batch') {
        const csv = ['text', SPAM, HAM, 'Are we still on for lunch?'].map((t) => `"${t}"`).join('\n')
        await page.getByLabel('CSV or text file').setInputFiles({ name: 'sample.csv', mimeType: 'text/csv', buffer: Buffer.from(csv) })
        await page.getByTestId('batch-run').click()
        await expect(page.getByTestId('batch-results')).toBeVisible()
      }
      await expect(page.getByRole('heading', { level: 1, name: p.heading })).toBeVisible()
      await expect(page.getByRole('status').filter({ hasText: /^\s*Loading/ })).toHaveCount(0)
      await expect(page).toHaveTitle(/tagloop/)

      for (const scheme of ['light', 'dark'] as const) {
        await page.emulateMedia({ colorScheme: scheme })
        for (const [size, viewport] of Object.entries(VIEWPORTS)) {
          await page.setViewportSize(viewport)
          await expectNoSeriousViolations(page, `${p.path} (${size}, ${scheme})`)
        }
      }
      if (p.name === 'classify' || p.name === 'dashboard') {
        await page.setViewportSize(VIEWPORTS.desktop)
        await page.emulateMedia({ colorScheme: 'dark' })
        await settle(page)
        await page.screenshot({ path: join(SCREENSHOTS, `${p.name}-desktop-dark.png`), fullPage: true })
      }
      await page.emulateMedia({ colorScheme: 'light' })
      await screenshotBoth(page, p.name)
      // Nothing wider than the phone screen.
      await page.setViewportSize(VIEWPORTS.phone)
      await settle(page)
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth)
      expect(overflow, `${p.path} scrolls sideways at phone width`).toBeLessThanOrEqual(0)
      await page.setViewportSize(VIEWPORTS.desktop)
    })
  }
})

test('the skip link and the nav are reachable by keyboard', async ({ page }) => {
  await page.goto('/history')
  await page.keyboard.press('Tab')
  const skip = page.getByRole('link', { name: 'Skip to main content' })
  await expect(skip).toBeFocused()
  await page.keyboard.press('Enter')
  await expect(page.locator('#main')).toBeFocused()
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Dashboard' }).click()
  await expect(page).toHaveTitle('Dashboard · tagloop')
  await expect(page.getByRole('link', { name: 'Dashboard' })).toHaveAttribute('aria-current', 'page')
})
