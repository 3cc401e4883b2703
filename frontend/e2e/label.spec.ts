import { readFileSync } from 'node:fs'
import { expect, test } from '@playwright/test'
import { ADMIN_TOKEN, apiJson, expectNoSeriousViolations, screenshotBoth } from './helpers'

const admin = { Authorization: `Bearer ${ADMIN_TOKEN}` }

/** Unlabelled tickets, as a CSV a person would upload: 12 per topic, sorted by topic. */
function ticketsCsv(): string {
  const topics = {
    billing: 'please refund the invoice charge',
    tech: 'the app crashes when I open the screen',
    shipping: 'my parcel is late and tracking shows nothing',
  }
  const rows = ['id,body,channel']
  let id = 0
  for (const text of Object.values(topics)) for (let i = 0; i < 12; i++) rows.push(`${++id},"${text} (${i})",email`)
  return `${rows.join('\n')}\n`
}

type Counts = { items: number; labelled: number; skipped: number; open: number; by_label: Record<string, number> }

test('a project starts empty, is filled from a file and labelled with the keyboard', async ({ page, request }) => {
  const slug = `label-${Date.now()}`
  const created = await request.post('/api/v1/projects', {
    headers: admin,
    data: { slug, labels: [{ name: 'billing' }, { name: 'tech' }] },
  })
  expect(created.status()).toBe(201)

  await page.goto(`/p/${slug}/label`)
  await expect(page.getByTestId('import-prompt')).toContainText('No texts to label yet')

  // Upload with a preview, then the admin token.
  await page.getByLabel('File of texts').setInputFiles({ name: 'tickets.csv', mimeType: 'text/csv', buffer: Buffer.from(ticketsCsv()) })
  await expect(page.getByTestId('upload-preview')).toContainText('id,body,channel')
  await page.getByLabel('Text column').fill('body')
  await page.getByRole('button', { name: 'Import' }).click()
  const tokenDialog = page.getByRole('dialog', { name: 'Admin token needed' })
  await tokenDialog.getByLabel('Admin token').fill(ADMIN_TOKEN)
  await tokenDialog.getByRole('button', { name: 'Continue' }).click()
  await expect(page.getByTestId('upload-result')).toContainText('36 texts added from 36 rows')

  // One item at a time; its metadata is shown; keys label, skip and undo.
  const item = page.getByTestId('label-item')
  await expect(item).toBeVisible()
  await expect(item).toContainText('channel')
  const first = await page.getByTestId('label-text').textContent()
  await page.keyboard.press(first?.includes('refund') ? '1' : '2')
  await expect(page.getByTestId('label-progress')).toContainText('1 of 36 labelled')
  await expect(page.getByTestId('label-text')).not.toHaveText(first ?? '')
  await page.keyboard.press('s')
  await expect(page.getByTestId('label-progress')).toContainText('(1 skipped)')
  await page.keyboard.press('u')
  await expect(page.getByTestId('label-progress')).toContainText('(0 skipped)')

  // A label added on the spot gets the next number key.
  await page.getByLabel('Add a label').fill('shipping')
  await page.getByRole('button', { name: 'Add', exact: true }).click()
  await expect(item.getByRole('button', { name: /3 shipping/ })).toBeVisible()
  await page.locator('body').click({ position: { x: 1, y: 1 } })
  for (let n = 0; n < 5; n++) {
    const text = (await page.getByTestId('label-text').textContent()) ?? ''
    const before = (await apiJson<Counts>(request, `/api/v1/projects/${slug}/items/counts`)).labelled
    await page.keyboard.press(text.includes('refund') ? '1' : text.includes('crashes') ? '2' : '3')
    await expect.poll(async () => (await apiJson<Counts>(request, `/api/v1/projects/${slug}/items/counts`)).labelled).toBe(before + 1)
    await expect(page.getByTestId('label-text')).not.toHaveText(text) // the page has taken the answer in: keys work again
  }
  const counts = await apiJson<Counts>(request, `/api/v1/projects/${slug}/items/counts`)
  expect(counts.labelled).toBe(6)
  expect(Object.values(counts.by_label).reduce((a, b) => a + b, 0)).toBe(6)

  const download = page.waitForEvent('download')
  await page.getByRole('link', { name: 'JSON Lines' }).click()
  const lines = readFileSync((await (await download).path()) as string, 'utf-8').trim().split('\n')
  expect(lines.map((l: string) => JSON.parse(l).metadata.channel)).toEqual(Array(6).fill('email'))

  await page.getByRole('button', { name: 'Compute' }).click()
  await expect(page.getByText('Not enough labels yet')).toBeVisible()

  await expectNoSeriousViolations(page, 'the labelling page')
  await screenshotBoth(page, 'label')
  await page.setViewportSize({ width: 390, height: 844 })
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth)
  expect(overflow).toBeLessThanOrEqual(0)

  // The project's Dashboard shows the same learning curve at once (here: too few labels yet).
  await page.goto(`/p/${slug}/dashboard`)
  await expect(page.getByTestId('learning-curve-card')).toContainText('Not enough labels yet')
  await expect(page.getByTestId('learning-curve-card').getByRole('link', { name: 'Label' })).toBeVisible()
  expect(await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth)).toBeLessThanOrEqual(0)
})
