import { readFile } from 'node:fs/promises'
import { expect, test } from '@playwright/test'
import Papa from 'papaparse'
import { screenshotBoth } from './helpers'

const SPAMMY = [
  'URGENT! You have won a 1 week FREE membership in our £100,000 prize Jackpot! Txt CLAIM to 81010',
  'FreeMsg: claim your free ringtone now, reply YES, "limited" offer',
  'Congratulations, you have been selected for a £2000 award. Call 09050000327 now',
]
const HAMMY = [
  'Are we still on for lunch tomorrow?',
  'ok, I will call you later when I get home',
  'Thanks for the lift, see you on Monday, mum says hi',
]

/** 200 rows with an id column, commas, quotes and a few multi-line messages. */
function sampleCsv(rows = 200) {
  const data = Array.from({ length: rows }, (_, i) => {
    const pool = i % 3 === 0 ? SPAMMY : HAMMY
    const text = `${pool[i % pool.length]} (${i + 1})${i % 50 === 7 ? '\nsecond line' : ''}`
    return { id: i + 1, message: text, source: 'e2e' }
  })
  return { csv: Papa.unparse(data), data }
}

test('a 200-row CSV upload yields a downloadable 200-row CSV of results', async ({ page }) => {
  const { csv, data } = sampleCsv()
  await page.goto('/batch')
  await page.getByLabel('CSV or text file').setInputFiles({ name: 'messages.csv', mimeType: 'text/csv', buffer: Buffer.from(csv) })
  await expect(page.getByLabel('Column with the messages')).toHaveValue('message')
  await expect(page.getByText('200 messages in 1 request')).toBeVisible()

  await page.getByTestId('batch-run').click()
  await expect(page.getByTestId('batch-results')).toBeVisible()
  await expect(page.getByText('Classified 200 of 200 messages')).toBeVisible()
  await expect(page.locator('#batch-progress')).toHaveAttribute('value', '200')
  await expect(page.getByRole('alert')).toHaveCount(0)

  const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('batch-download').click()])
  expect(download.suggestedFilename()).toBe('messages-classified.csv')
  const content = await readFile(await download.path(), 'utf8')
  const parsed = Papa.parse<Record<string, string>>(content, { header: true, skipEmptyLines: true })
  expect(parsed.errors).toEqual([])
  expect(parsed.data).toHaveLength(200)
  expect(parsed.meta.fields).toEqual(expect.arrayContaining(['text', 'label', 'confidence', 'prediction_id', 'model_version']))
  for (const [i, row] of parsed.data.entries()) {
    expect(row.text).toBe(data[i].message)
    expect(['ham', 'spam']).toContain(row.label)
    expect(Number(row.prediction_id)).toBeGreaterThan(0)
    expect(Number(row.confidence)).toBeGreaterThan(0)
    expect(row.error).toBe('')
  }
  const spam = parsed.data.filter((r) => r.label === 'spam').length
  expect(spam).toBeGreaterThan(20)
  expect(spam).toBeLessThan(180)

  await screenshotBoth(page, 'batch')
})

test('a text file is read one message per line', async ({ page }) => {
  await page.goto('/batch')
  const lines = ['first message', '', 'second message', 'third message']
  await page.getByLabel('CSV or text file').setInputFiles({
    name: 'lines.txt',
    mimeType: 'text/plain',
    buffer: Buffer.from(lines.join('\n')),
  })
  await expect(page.getByText('3 messages in 1 request')).toBeVisible()
  await page.getByTestId('batch-run').click()
  await expect(page.getByTestId('batch-results')).toContainText('3 classified')
})
