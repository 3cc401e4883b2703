import { readFile } from 'node:fs/promises'
import { expect, test } from '@playwright/test'
import Papa from 'papaparse'
import { apiJson, screenshotBoth } from './helpers'

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
  // Every input column first, as it was, so rows can be matched back; then the results.
  expect(parsed.meta.fields).toEqual(['id', 'message', 'source', 'label', 'confidence', 'p_ham', 'p_spam', 'prediction_id', 'model_version', 'error'])
  // Every row as it went in, with a label, a prediction id and a confidence, and no error. One
  // comparison of all the rows (a failure lists the rows that differ): an expect per cell, some
  // 8,700 in this file, cost Playwright's runner about 3 s of CPU.
  const rowsGot = parsed.data.map((r) => ({
    id: r.id,
    message: r.message,
    source: r.source,
    label: r.label,
    predictionIdAndConfidenceAbove0: Number(r.prediction_id) > 0 && Number(r.confidence) > 0,
    error: r.error,
  }))
  expect(rowsGot).toEqual(
    data.map((d) => ({
      id: String(d.id),
      message: d.message,
      source: 'e2e',
      label: expect.stringMatching(/^(ham|spam)$/),
      predictionIdAndConfidenceAbove0: true,
      error: '',
    })),
  )
  const spam = parsed.data.filter((r) => r.label === 'spam').length
  expect(spam).toBeGreaterThan(20)
  expect(spam).toBeLessThan(180)

  await screenshotBoth(page, 'batch')
})

test('2,500 rows from a column picked by hand go in several requests; a too-long row fails alone', async ({ page, request }) => {
  test.setTimeout(180_000)
  const { limits } = await apiJson<{ limits: { max_text_length: number; max_batch: number } }>(request, '/api/v1/info')
  const rows = 2500
  const tooLong = 1234 // 1-based row number
  const data = Array.from({ length: rows }, (_, i) => {
    const pool = i % 3 === 0 ? SPAMMY : HAMMY
    return {
      id: i + 1,
      message: `row ${i + 1}`, // the column the page guesses
      note: i + 1 === tooLong ? 'x'.repeat(limits.max_text_length + 1) : `${pool[i % pool.length]} [${i + 1}]`,
    }
  })
  const requests = Math.ceil((rows - 1) / limits.max_batch)
  expect(requests, 'the file needs several requests').toBeGreaterThan(1)

  await page.goto('/batch')
  await page.getByLabel('CSV or text file').setInputFiles({
    name: 'big.csv',
    mimeType: 'text/csv',
    buffer: Buffer.from(Papa.unparse(data)),
  })
  const picker = page.getByLabel('Column with the messages')
  await expect(picker).toHaveValue('message')
  await picker.selectOption('note')
  await expect(page.getByText(`2,500 messages in ${requests} requests`)).toBeVisible()
  await expect(page.getByTestId('batch-refused')).toContainText(`Message 1,234: text is longer than`)

  const sent: number[] = []
  page.on('request', (r) => {
    if (r.url().endsWith('/classify') && r.method() === 'POST') sent.push((r.postDataJSON() as { texts: string[] }).texts.length)
  })
  await page.getByTestId('batch-run').click()
  await expect(page.getByTestId('batch-results')).toBeVisible({ timeout: 120_000 })
  await expect(page.getByText('Classified 2,500 of 2,500 messages')).toBeVisible()
  await expect(page.getByTestId('batch-results').getByRole('status')).toContainText('2,499 classified, 1 failed')
  await expect(page.getByRole('alert')).toHaveCount(0)
  expect(sent).toHaveLength(requests)
  expect(sent.every((n) => n <= limits.max_batch)).toBe(true)
  expect(sent.reduce((a, b) => a + b, 0)).toBe(rows - 1)

  const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('batch-download').click()])
  const parsed = Papa.parse<Record<string, string>>(await readFile(await download.path(), 'utf8'), {
    header: true,
    skipEmptyLines: true,
  })
  expect(parsed.data).toHaveLength(rows)
  // Every row as it went in; the too-long one has no label and says why, every other one has a label.
  expect(parsed.data.map((r) => ({ id: r.id, note: r.note, label: r.label, error: r.error }))).toEqual(
    data.map((d, i) => ({
      id: String(d.id),
      note: d.note,
      ...(i + 1 === tooLong
        ? { label: '', error: expect.stringMatching(/^text is longer than/) }
        : { label: expect.stringMatching(/^(ham|spam)$/), error: '' }),
    })),
  )
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

test('spaces around a message are kept and blank rows are counted, for CSV and text files', async ({ page }) => {
  await page.goto('/batch')
  const csv = 'id,message\n1,"  see you at 6  "\n\n2,\n3,WIN a free prize now\n'
  await page.getByLabel('CSV or text file').setInputFiles({ name: 'spaced.csv', mimeType: 'text/csv', buffer: Buffer.from(csv) })
  await expect(page.getByTestId('batch-skipped')).toHaveText('2 blank rows skipped') // a blank line, an empty message
  await page.getByTestId('batch-run').click()
  await expect(page.getByText('Classified 2 of 2 messages')).toBeVisible()
  const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('batch-download').click()])
  const parsed = Papa.parse<Record<string, string>>(await readFile(await download.path(), 'utf8'), { header: true, skipEmptyLines: true })
  expect(parsed.data.map((r) => [r.id, r.message])).toEqual([['1', '  see you at 6  '], ['3', 'WIN a free prize now']])

  await page.getByLabel('CSV or text file').setInputFiles({ name: 'lines.txt', mimeType: 'text/plain', buffer: Buffer.from('one\n\n  two  \n \n') })
  await expect(page.getByTestId('batch-skipped')).toHaveText('2 blank rows skipped')
})
