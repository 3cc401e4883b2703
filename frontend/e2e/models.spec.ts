import { expect, test, type APIRequestContext } from '@playwright/test'
import { ADMIN_TOKEN, apiJson, screenshotBoth } from './helpers'

interface Model {
  id: number
  active: boolean
}

const models = async (request: APIRequestContext) => (await apiJson<{ items: Model[] }>(request, '/api/v1/models')).items

/** A second model to switch to: retrain through the API when the server has only one. */
async function ensureTwoModels(request: APIRequestContext): Promise<Model[]> {
  let items = await models(request)
  if (items.length >= 2) return items
  const started = await request.post('/api/v1/retrain', { headers: { Authorization: `Bearer ${ADMIN_TOKEN}` }, data: {} })
  if (!started.ok()) return items
  const job = (await started.json()) as { id: number }
  await expect
    .poll(async () => (await apiJson<{ status: string }>(request, `/api/v1/jobs/${job.id}`)).status, {
      timeout: 120_000,
      message: 'retraining a second model did not finish: is `tagloop worker` running?',
    })
    .toMatch(/succeeded|failed|cancelled/)
  items = await models(request)
  return items
}

test('activate and roll back a model through the admin token dialog', async ({ page, request }) => {
  const items = await ensureTwoModels(request)
  const active = items.find((m) => m.active)
  expect(active, 'the server has an active model').toBeTruthy()
  const other = items.find((m) => !m.active)

  await page.goto('/models')
  await page.evaluate(() => sessionStorage.clear())
  await page.reload()
  await expect(page.getByRole('heading', { name: 'Versions' })).toBeVisible()
  await expect(page.locator(`tr[data-model-id="${active!.id}"]`)).toContainText('active')

  const tokenDialog = page.getByRole('dialog', { name: 'Admin token needed' })

  if (other) {
    await page.locator(`tr[data-model-id="${other.id}"]`).getByRole('button', { name: /Activate/ }).click()
    const confirm = page.getByRole('dialog', { name: `Activate model #${other.id}?` })
    await confirm.getByLabel(/Reason/).fill('e2e: try the other model')
    await confirm.getByRole('button', { name: 'Activate' }).click()

    // A wrong token is refused and the dialog asks again, showing the server's message.
    await expect(tokenDialog).toBeVisible()
    await tokenDialog.getByLabel('Admin token').fill('not-the-token')
    await tokenDialog.getByRole('button', { name: 'Continue' }).click()
    await expect(tokenDialog).toBeVisible()
    await expect(tokenDialog.getByRole('alert')).not.toBeEmpty()
    await tokenDialog.getByLabel('Admin token').fill(ADMIN_TOKEN)
    await tokenDialog.getByRole('button', { name: 'Continue' }).click()

    await expect(page.getByTestId('action-notice')).toHaveText(`Model #${other.id} is now active.`)
    expect((await models(request)).find((m) => m.active)?.id).toBe(other.id)
    await expect(page.getByRole('table').last()).toContainText('e2e: try the other model')

    // The token is remembered for this tab: rolling back asks no token.
    await page.getByTestId('rollback').click()
    const rollback = page.getByRole('dialog', { name: 'Roll back to the previous model?' })
    await rollback.getByLabel(/Reason/).fill('e2e: back again')
    await rollback.getByRole('button', { name: 'Roll back' }).click()
    await expect(tokenDialog).toBeHidden()
    await expect(page.getByTestId('action-notice')).toHaveText(`Rolled back: model #${active!.id} is active again.`)
    expect((await models(request)).find((m) => m.active)?.id).toBe(active!.id)
    expect(await page.evaluate(() => sessionStorage.getItem('tagloop.adminToken'))).toBe(ADMIN_TOKEN)
  } else {
    // Only one model: the token dialog still guards rollback, and the server's refusal is shown.
    await page.getByTestId('rollback').click()
    await page.getByRole('dialog', { name: 'Roll back to the previous model?' }).getByRole('button', { name: 'Roll back' }).click()
    await tokenDialog.getByLabel('Admin token').fill('not-the-token')
    await tokenDialog.getByRole('button', { name: 'Continue' }).click()
    await expect(tokenDialog.getByRole('alert')).not.toBeEmpty()
    await tokenDialog.getByLabel('Admin token').fill(ADMIN_TOKEN)
    await tokenDialog.getByRole('button', { name: 'Continue' }).click()
    const direct = await request.post('/api/v1/models/rollback', { headers: { Authorization: `Bearer ${ADMIN_TOKEN}` }, data: {} })
    const { error } = (await direct.json()) as { error: { message: string } }
    await expect(page.getByRole('alert').filter({ hasText: 'The model was not changed' })).toContainText(error.message)
  }
  await screenshotBoth(page, 'models')
})
