import { expect, test } from '@playwright/test'
import Papa from 'papaparse'
import { SPAM, apiJson } from './helpers'

test('history filters, inline feedback and the CSV export of the filtered rows', async ({ page, request }) => {
  const made = (await (await request.post('/api/v1/classify', { data: { text: `${SPAM} (history)` } })).json()) as {
    id: number
    label: string
  }

  await page.goto('/history')
  await page.getByLabel('Predicted label').selectOption('spam')
  await expect(page).toHaveURL(/label=spam/)
  const rows = page.locator('table.history tbody tr')
  await expect(rows.first()).toBeVisible()
  for (const badge of await rows.locator('[data-badge]').all()) await expect(badge).toHaveText('spam')

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
  expect(href).toContain('/api/v1/predictions/export?')
  const csv = await (await request.get(href!)).text()
  const parsed = Papa.parse<Record<string, string>>(csv, { header: true, skipEmptyLines: true })
  expect(parsed.data.length).toBeGreaterThan(0)
  expect(parsed.data.every((r) => r.label === 'spam')).toBe(true)
})
