import { expect, test, type Page } from '@playwright/test'
import { HAM, SPAM, classifyOnPage } from './helpers'

/** Record every Content-Security-Policy violation the page reports, from its first script on. */
async function watchViolations(page: Page) {
  const violations: string[] = []
  page.on('console', (message) => {
    if (/Content.Security.Policy/i.test(message.text())) violations.push(message.text())
  })
  await page.addInitScript(() => {
    document.addEventListener('securitypolicyviolation', (event) => {
      console.error(`Content-Security-Policy violation: ${event.violatedDirective} ${event.blockedURI}`)
    })
  })
  return violations
}

const PAGES = [
  { path: '/', heading: 'Classify a message' },
  { path: '/history', heading: 'History' },
  { path: '/batch', heading: /Batch/ },
  { path: '/models', heading: 'Models' },
  { path: '/dashboard', heading: 'Dashboard' },
  { path: '/review', heading: /Review/ },
]

test('every page runs under the Content-Security-Policy with no violation', async ({ page }) => {
  const violations = await watchViolations(page)
  for (const { path, heading } of PAGES) {
    const response = await page.goto(path)
    const headers = response!.headers()
    expect(headers['content-security-policy'], path).toContain("script-src 'self'")
    expect(headers['content-security-policy'], path).toContain("frame-ancestors 'none'")
    expect(headers['x-frame-options'], path).toBe('DENY')
    expect(headers['x-content-type-options'], path).toBe('nosniff')
    await expect(page.getByRole('heading', { level: 1, name: heading })).toBeVisible()
    await page.waitForLoadState('networkidle')
  }
  // The pages that do most: a classification with its highlighted words and bars.
  await classifyOnPage(page, SPAM)
  await classifyOnPage(page, HAM)
  await page.goto('/dashboard')
  await page.waitForLoadState('networkidle')
  expect(violations).toEqual([])
})

test('an inline script injected into a page does not run', async ({ page }) => {
  const violations = await watchViolations(page)
  await page.goto('/')
  await page.waitForLoadState('networkidle')
  const ran = await page.evaluate(async () => {
    const script = document.createElement('script')
    script.textContent = 'window.__injected = true'
    document.body.append(script)
    await new Promise((resolve) => setTimeout(resolve, 100))
    return (window as unknown as { __injected?: boolean }).__injected === true
  })
  expect(ran).toBe(false)
  expect(violations.some((v) => v.includes('script-src'))).toBe(true) // the policy said no
})

test('the API docs render every operation, offline, under the policy', async ({ page }) => {
  const violations = await watchViolations(page)
  const origin = new URL(test.info().project.use.baseURL!).origin
  const outside: string[] = []
  page.on('request', (request) => {
    const url = request.url()
    if (!url.startsWith('data:') && new URL(url).origin !== origin) outside.push(url)
  })
  await page.goto('/api/docs')
  const spec = (await (await page.request.get('/api/openapi.json')).json()) as { paths: Record<string, object> }
  const operations = page.locator('.opblock')
  await expect(operations.first()).toBeVisible()
  await expect(page.getByRole('heading', { name: /tagloop/ }).first()).toBeVisible()
  const expected = Object.values(spec.paths).reduce((n, methods) => n + Object.keys(methods).filter((m) => m !== 'parameters').length, 0)
  await expect(operations).toHaveCount(expected)
  // The per-project path (the legacy /api/v1/classify is listed too, struck through as deprecated).
  const classify = '/api/v1/projects/{project}/classify'
  await expect(page.locator('.opblock-summary-path', { hasText: classify }).first()).toBeVisible()
  // Open one operation: its request body schema is rendered from the 3.1 document.
  await page.locator('.opblock-post .opblock-summary', { hasText: classify }).first().click()
  await expect(page.locator('.opblock-post.is-open').first()).toContainText('Request body')
  expect(violations).toEqual([])
  expect(outside, 'requests to other servers (a CDN)').toEqual([])
})
