import { expect, test, type APIRequestContext } from '@playwright/test'
import { ADMIN_TOKEN, apiJson, screenshotBoth } from './helpers'

interface Model {
  id: number
  active: boolean
}

interface Activation {
  action: string
  model_id: number
  actor: string
  reason: string
}

const ACTOR = 'e2e tester'

const models = async (request: APIRequestContext) => (await apiJson<{ items: Model[] }>(request, '/api/v1/models')).items

/**
 * A second model to switch to: retrain through the API when the server has only one. Fails the
 * test (rather than testing less) when that does not work.
 */
async function ensureTwoModels(request: APIRequestContext): Promise<Model[]> {
  let items = await models(request)
  if (items.length >= 2) return items
  const started = await request.post('/api/v1/retrain', { headers: { Authorization: `Bearer ${ADMIN_TOKEN}` }, data: {} })
  expect(started.ok(), `retraining a second model did not start: ${started.status()} ${await started.text()}`).toBe(true)
  const job = (await started.json()) as { id: number }
  await expect
    .poll(async () => (await apiJson<{ status: string }>(request, `/api/v1/jobs/${job.id}`)).status, {
      timeout: 120_000,
      message: 'retraining a second model did not finish: is `tagloop worker` running?',
    })
    .toMatch(/succeeded|failed|cancelled/)
  const finished = await apiJson<{ status: string; error: string }>(request, `/api/v1/jobs/${job.id}`)
  expect(finished.status, `retraining a second model ${finished.status}: ${finished.error}`).toBe('succeeded')
  items = await models(request)
  expect(items.length, 'the server still has fewer than two models after retraining').toBeGreaterThanOrEqual(2)
  return items
}

/** How many activations a rollback could still undo: activations push, rollbacks pop. */
async function undoableActivations(request: APIRequestContext): Promise<number> {
  const { items } = await apiJson<{ items: Activation[] }>(request, '/api/v1/models/history')
  expect(items.length, 'the history is short enough to replay (the API lists the newest 100)').toBeLessThan(100)
  return items.reduce((depth, a) => depth + (a.action === 'rollback' ? -1 : 1), 0) - 1
}

test('activate and roll back a model through the admin token dialog', async ({ page, request }) => {
  const items = await ensureTwoModels(request)
  const active = items.find((m) => m.active)
  expect(active, 'the server has an active model').toBeTruthy()
  const other = items.find((m) => !m.active)
  expect(other, 'a model that is not active, to activate').toBeTruthy()

  await page.goto('/models')
  await page.evaluate(() => sessionStorage.clear())
  await page.reload()
  await expect(page.getByRole('heading', { name: 'Versions' })).toBeVisible()
  await expect(page.locator(`tr[data-model-id="${active!.id}"]`)).toContainText('active')

  const tokenDialog = page.getByRole('dialog', { name: 'Admin token needed' })

  await page.locator(`tr[data-model-id="${other!.id}"]`).getByRole('button', { name: /Activate/ }).click()
  const confirm = page.getByRole('dialog', { name: `Activate model #${other!.id}?` })
  await confirm.getByLabel(/Reason/).fill('e2e: try the other model')
  await confirm.getByRole('button', { name: 'Activate' }).click()

  // A wrong token is refused and the dialog asks again, showing the server's message.
  await expect(tokenDialog).toBeVisible()
  await tokenDialog.getByLabel('Admin token').fill('not-the-token')
  await tokenDialog.getByRole('button', { name: 'Continue' }).click()
  await expect(tokenDialog).toBeVisible()
  await expect(tokenDialog.getByRole('alert')).not.toBeEmpty()
  await tokenDialog.getByLabel('Admin token').fill(ADMIN_TOKEN)
  // The name goes to the activation history instead of "admin".
  await tokenDialog.getByLabel('Your name (for the activation history)').fill(ACTOR)
  await tokenDialog.getByRole('button', { name: 'Continue' }).click()

  await expect(page.getByTestId('action-notice')).toHaveText(`Model #${other!.id} is now active.`)
  expect((await models(request)).find((m) => m.active)?.id).toBe(other!.id)
  await expect(page.getByRole('table').last()).toContainText('e2e: try the other model')
  await expect(page.getByRole('table').last().locator('tbody tr').first()).toContainText(ACTOR)

  // The token is remembered for this tab: rolling back asks no token.
  await page.getByTestId('rollback').click()
  const rollback = page.getByRole('dialog', { name: 'Roll back to the previous model?' })
  await rollback.getByLabel(/Reason/).fill('e2e: back again')
  await rollback.getByRole('button', { name: 'Roll back' }).click()
  await expect(tokenDialog).toBeHidden()
  await expect(page.getByTestId('action-notice')).toHaveText(`Rolled back: model #${active!.id} is active again.`)
  expect((await models(request)).find((m) => m.active)?.id).toBe(active!.id)
  expect(await page.evaluate(() => sessionStorage.getItem('tagloop.adminToken'))).toBe(ADMIN_TOKEN)
  expect(await page.evaluate(() => sessionStorage.getItem('tagloop.adminActor'))).toBe(ACTOR)

  const { items: history } = await apiJson<{ items: Activation[] }>(request, '/api/v1/models/history')
  expect(history.slice(0, 2).map((a) => [a.action, a.model_id, a.actor, a.reason])).toEqual([
    ['rollback', active!.id, ACTOR, 'e2e: back again'],
    ['activate', other!.id, ACTOR, 'e2e: try the other model'],
  ])
  await screenshotBoth(page, 'models')
})

test("a rollback the server refuses shows the server's message, after the token dialog", async ({ page, request }) => {
  // The test above leaves the server as it found it; rolling back from the first activation is refused.
  expect(await undoableActivations(request), 'an earlier activation to roll back to: this test would change the server').toBe(0)
  const before = (await models(request)).find((m) => m.active)

  await page.goto('/models')
  await page.evaluate(() => sessionStorage.clear())
  await page.reload()
  const tokenDialog = page.getByRole('dialog', { name: 'Admin token needed' })
  await page.getByTestId('rollback').click()
  await page.getByRole('dialog', { name: 'Roll back to the previous model?' }).getByRole('button', { name: 'Roll back' }).click()
  await tokenDialog.getByLabel('Admin token').fill('not-the-token')
  await tokenDialog.getByRole('button', { name: 'Continue' }).click()
  await expect(tokenDialog.getByRole('alert')).not.toBeEmpty()
  await tokenDialog.getByLabel('Admin token').fill(ADMIN_TOKEN)
  await tokenDialog.getByRole('button', { name: 'Continue' }).click()
  const refusal = page.getByRole('alert').filter({ hasText: 'The model was not changed' })
  await expect(refusal).toBeVisible()
  const direct = await request.post('/api/v1/models/rollback', { headers: { Authorization: `Bearer ${ADMIN_TOKEN}` }, data: {} })
  expect(direct.status()).toBe(409)
  const { error } = (await direct.json()) as { error: { message: string } }
  await expect(refusal).toContainText(error.message)
  expect((await models(request)).find((m) => m.active)?.id).toBe(before?.id)
})
