import { expect, test } from '@playwright/test'
import { ADMIN_TOKEN, apiJson, screenshotBoth } from './helpers'

interface Model {
  id: number
  active: boolean
}

test('retrain from the Models page, compare the candidate and promote it', async ({ page, request }) => {
  test.setTimeout(360_000)
  const before = (await apiJson<{ items: Model[] }>(request, '/api/v1/models')).items
  const active = before.find((m) => m.active)!

  await page.goto('/models')
  await page.getByTestId('retrain').click()
  const tokenDialog = page.getByRole('dialog', { name: 'Admin token needed' })
  await tokenDialog.getByLabel('Admin token').fill(ADMIN_TOKEN)
  await tokenDialog.getByRole('button', { name: 'Continue' }).click()

  const job = page.getByTestId('job')
  await expect(job).toBeVisible()
  await expect(job.getByRole('progressbar')).toBeVisible()
  // Needs `tagloop worker` running beside the server.
  await expect(job.locator('.status'), 'the job never started: is `tagloop worker` running?').not.toHaveText('queued', {
    timeout: 60_000,
  })
  await expect(job.locator('.status')).toHaveText('succeeded', { timeout: 180_000 })
  const comparison = page.getByTestId('comparison')
  await expect(comparison).toBeVisible()
  await expect(comparison.getByRole('table').first()).toContainText('Accuracy')
  await expect(comparison.locator('table.matrix')).toHaveCount(2)
  await screenshotBoth(page, 'retrain')

  const promote = page.getByTestId('promote')
  const candidate = Number((await promote.textContent())?.match(/#(\d+)/)?.[1])
  expect(candidate).toBeGreaterThan(active.id)

  // The candidate's own page shows the comparison stored when it was trained, with a promote button.
  await page.goto(`/models/${candidate}`)
  const stored = page.getByTestId('model-comparison')
  await expect(stored).toContainText(`The comparison made when model #${candidate} was trained`)
  await expect(stored.locator('table.matrix')).toHaveCount(2)
  await expect(stored.getByTestId('promote')).toHaveText(`Promote model #${candidate}`)

  // A fresh load of the Models page still offers the latest retrain's candidate, compared.
  await page.goto('/models')
  await expect(page.getByTestId('job')).toContainText('succeeded')
  await expect(page.getByTestId('comparison')).toContainText(`Candidate #${candidate} vs active #${active.id}`)
  await promote.click()
  await expect(page.getByText(`Model #${candidate} is now active.`)).toBeVisible()
  expect((await apiJson<{ items: Model[] }>(request, '/api/v1/models')).items.find((m) => m.active)?.id).toBe(candidate)

  // The former model's page: nothing is stored for it against the new active model, so the page
  // says so (no error) and "Compare now" scores both on the server, with the token already given.
  // Each server process learns of the promotion within its poll interval: load the page until
  // the one that answers it serves the new model (the footer names it).
  await expect(async () => {
    await page.goto(`/models/${active.id}`)
    await expect(page.locator('footer')).toContainText(`active model #${candidate}`, { timeout: 2_000 })
  }).toPass({ timeout: 30_000 })
  const withActive = page.getByRole('radio', { name: `the active model #${candidate}` })
  // One baseline shows a button, two (a retrained version: its parent and the active one) show
  // radios: wait for one of them before asking which.
  await expect(withActive.or(page.getByTestId('compare-active'))).toBeVisible()
  if (await withActive.count()) await withActive.check()
  else await page.getByTestId('compare-active').click()
  const notStored = page.getByTestId('comparison-not-stored')
  await expect(notStored).toContainText(`No comparison of model #${active.id} with model #${candidate} is stored.`)
  await expect(page.getByRole('alert')).toHaveCount(0)
  await notStored.getByTestId('compare-now').click()
  // Scoring refits both recipes without the comparison set: seconds, a minute on a busy machine.
  await expect(page.getByTestId('model-comparison')).toContainText('Computed just now.', { timeout: 120_000 })
  await expect(page.getByTestId('model-comparison').locator('table.matrix')).toHaveCount(2)

  // Leave the server as it was for the other specs.
  const back = await request.post('/api/v1/models/rollback', {
    headers: { Authorization: `Bearer ${ADMIN_TOKEN}` },
    data: { reason: 'e2e: undo promote' },
  })
  expect(back.ok()).toBe(true)
})
