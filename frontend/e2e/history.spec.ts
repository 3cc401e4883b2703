import { expect, test } from '@playwright/test'
import Papa from 'papaparse'
import { SPAM, apiJson } from './helpers'

test('history filters, inline feedback and the CSV export of the filtered rows', async ({ page, request }) => {
  const made = (await (await request.post('/api/v1/classify', { data: { text: `${SPAM} (history)` } })).json()) as {
    id: number
    label: string
    confidence: number
  }

  await page.goto('/history')
  await page.getByLabel('Predicted label').selectOption('spam')
  await expect(page).toHaveURL(/label=spam/)
  const rows = page.locator('table.history tbody tr')
  // The filtered page, not the one on screen before it came: no request in flight, rows shown,
  // and none of them with another label.
  await expect(page.locator('.table-wrap[aria-busy="true"]')).toHaveCount(0)
  await expect(rows.first()).toBeVisible()
  await expect(rows.locator('[data-badge]').filter({ hasNotText: /^\s*spam\s*$/ })).toHaveCount(0)

  await page.getByLabel('Text contains').fill('(history)')
  await page.getByRole('button', { name: 'Apply filters' }).click()
  await expect(page).toHaveURL(/q=%28history%29|q=\(history\)/)
  const row = page.locator(`tr[data-prediction-id="${made.id}"]`)
  await expect(row).toBeVisible()

  // Thumbs up inline, stored on the server.
  await row.getByRole('button', { name: `Correct: spam (prediction ${made.id})` }).click()
  await expect(row).toContainText('Confirmed as spam')
  const stored = await apiJson<{ feedback: { label: string } | null }>(request, `/api/v1/predictions/${made.id}`)
  expect(stored.feedback?.label).toBe('spam')

  const href = await page.getByTestId('export-csv').getAttribute('href')
  expect(href).toContain('label=spam')
  expect(href).toContain('/api/v1/projects/default/predictions/export?')
  const csv = await (await request.get(href!)).text()
  const parsed = Papa.parse<Record<string, string>>(csv, { header: true, skipEmptyLines: true })
  expect(parsed.data.length).toBeGreaterThan(0)
  expect(parsed.data.every((r) => r.label === 'spam')).toBe(true)

  // Feedback state: the rows shown are the ones with that state (all spam predictions, text filter off).
  await page.getByLabel('Text contains').fill('')
  await page.getByRole('button', { name: 'Apply filters' }).click()
  await expect(page).not.toHaveURL(/q=/)
  const feedbackCells = rows.locator('td[data-label="Feedback"]')
  await page.getByLabel('Feedback', { exact: true }).selectOption('agree')
  await expect(page).toHaveURL(/feedback=agree/)
  await expect(row).toBeVisible()
  await expect.poll(async () => (await feedbackCells.allTextContents()).every((t) => t.includes('Confirmed as'))).toBe(true)

  await page.getByLabel('Feedback', { exact: true }).selectOption('none')
  await expect(page).toHaveURL(/feedback=none/)
  await expect(row).toHaveCount(0)
  await expect(rows.first()).toBeVisible()
  await expect
    .poll(async () => (await feedbackCells.allTextContents()).some((t) => /Confirmed as|Corrected to/.test(t)))
    .toBe(false)
  await page.getByLabel('Feedback', { exact: true }).selectOption('')

  // Confidence range (in percent): every row shown is inside it.
  const confidences = async () =>
    (await rows.locator('td[data-label="Confidence"]').allTextContents()).map((t) => Number.parseFloat(t))
  const floor = Math.floor(made.confidence * 100)
  await page.getByLabel('Minimum confidence (%)').fill(String(floor))
  await page.getByLabel('Maximum confidence (%)').fill('100')
  await page.getByRole('button', { name: 'Apply filters' }).click()
  await expect(page).toHaveURL(new RegExp(`min=${floor}&max=100`))
  await expect(row).toBeVisible()
  await expect.poll(async () => (await confidences()).every((c) => c >= floor)).toBe(true)

  await page.getByLabel('Minimum confidence (%)').fill('')
  await page.getByLabel('Maximum confidence (%)').fill(String(floor - 1))
  await page.getByRole('button', { name: 'Apply filters' }).click()
  await expect(page).toHaveURL(new RegExp(`max=${floor - 1}`))
  await expect(row).toHaveCount(0)
  await expect.poll(async () => (await confidences()).every((c) => c <= floor - 1)).toBe(true)
})
