import { expect, test, type APIRequestContext } from '@playwright/test'
import { ADMIN_TOKEN, apiJson } from './helpers'

/** A small three-class data set (ticket routing), made up here: 30 rows per team. */
function ticketsCsv(): string {
  const topics: Record<string, string[]> = {
    billing: ['invoice', 'refund', 'charged twice', 'payment failed', 'billing address', 'receipt'],
    tech: ['app crashes', 'login error', 'password reset', 'page does not load', 'sync is broken', 'bug'],
    shipping: ['parcel is late', 'tracking number', 'delivery address', 'package lost', 'courier', 'shipped'],
  }
  const openings = ['Hello, my', 'Please help: the', 'Question about the', 'Urgent -', 'Hi team, the']
  const rows = ['id,body,team']
  let id = 0
  for (const [team, words] of Object.entries(topics)) {
    for (let i = 0; i < 30; i++) {
      const text = `${openings[i % openings.length]} ${words[i % words.length]} ${words[(i + 2) % words.length]} (${i})`
      rows.push(`${++id},"${text}",${team}`)
    }
  }
  return `${rows.join('\n')}\n`
}

const admin = { Authorization: `Bearer ${ADMIN_TOKEN}` }

/** Create `slug` and train its first version through the API, as an admin script would. */
async function projectWithModel(request: APIRequestContext, slug: string) {
  expect((await request.post('/api/v1/projects', { headers: admin, data: { slug, name: slug } })).status()).toBe(201)
  const started = await request.post(`/api/v1/projects/${slug}/train`, {
    headers: admin,
    multipart: {
      file: { name: 'tickets.csv', mimeType: 'text/csv', buffer: Buffer.from(ticketsCsv()) },
      format: 'csv',
      text_column: 'body',
      label_column: 'team',
    },
  })
  expect(started.status(), await started.text()).toBe(202)
  const job = (await started.json()) as { id: number }
  await expect
    .poll(async () => (await apiJson<{ status: string }>(request, `/api/v1/projects/${slug}/jobs/${job.id}`)).status, {
      timeout: 120_000,
    })
    .toBe('succeeded')
}

test('creating a project from a file in the browser ends on its Classify page, which classifies', async ({ page }) => {
  test.setTimeout(180_000)
  const name = `Tickets ${Date.now()}`
  const slug = name.toLowerCase().replace(' ', '-')

  await page.goto('/projects')
  await page.getByTestId('new-project').click()
  await page.getByLabel('Name', { exact: true }).fill(name)
  await expect(page.getByLabel('Slug')).toHaveValue(slug)
  await page.getByLabel('Labelled file').setInputFiles({ name: 'tickets.csv', mimeType: 'text/csv', buffer: Buffer.from(ticketsCsv()) })
  await expect(page.getByTestId('preview').locator('tbody tr')).toHaveCount(5)
  await expect(page.getByLabel('Text column')).toHaveValue('body')
  await expect(page.getByLabel('Label column')).toHaveValue('team')
  await expect(page.getByTestId('label-counts').locator('li')).toHaveCount(3)

  await page.getByTestId('create-project').click()
  const tokenDialog = page.getByRole('dialog', { name: 'Admin token needed' })
  await tokenDialog.getByLabel('Admin token').fill(ADMIN_TOKEN)
  await tokenDialog.getByRole('button', { name: 'Continue' }).click()
  await expect(page.getByTestId('train-progress')).toBeVisible()

  await page.waitForURL(new RegExp(`/p/${slug}$`), { timeout: 120_000 })
  await page.getByLabel('Message', { exact: true }).fill('I was charged twice, please refund the invoice')
  const [response] = await Promise.all([
    page.waitForResponse((r) => r.url().includes(`/api/v1/projects/${slug}/classify`) && r.request().method() === 'POST'),
    page.getByRole('button', { name: 'Classify', exact: true }).click(),
  ])
  expect(response.status()).toBe(200)
  await expect(page.getByTestId('result')).toContainText('billing')
  await expect(page.getByTestId('project-switcher')).toHaveValue(slug)

  // The Projects page lists it with its active version and the prediction just made.
  await page.getByRole('link', { name: 'Projects', exact: true }).click()
  const row = page.locator(`tr[data-project="${slug}"]`)
  await expect(row).toContainText(name)
  await expect(row.locator('td[data-label="Predictions"]')).toHaveText('1')
})

test('creating a project from a label set in the browser lands on its Label page, which asks for texts', async ({ page, request }) => {
  const name = `Inbox ${Date.now()}`
  const slug = name.toLowerCase().replace(' ', '-')

  await page.goto('/projects/new')
  await page.getByLabel('Name', { exact: true }).fill(name)
  await page.getByTestId('start-labels').check()
  await expect(page.getByLabel('Labelled file', { exact: true })).toHaveCount(0)
  await page.getByLabel('Labels', { exact: true }).fill('billing')
  await page.getByTestId('create-project').click()
  await expect(page.getByTestId('labels-error')).toContainText('at least two labels')
  await page.getByLabel('Labels', { exact: true }).fill('billing, tech, shipping')
  await page.getByTestId('create-project').click()
  const tokenDialog = page.getByRole('dialog', { name: 'Admin token needed' })
  await tokenDialog.getByLabel('Admin token').fill(ADMIN_TOKEN)
  await tokenDialog.getByRole('button', { name: 'Continue' }).click()

  await page.waitForURL(new RegExp(`/p/${slug}/label$`))
  const created = await apiJson<{ labels: { name: string }[] }>(request, `/api/v1/projects/${slug}`)
  expect(created.labels.map((l) => l.name)).toEqual(['billing', 'tech', 'shipping'])
  expect((await apiJson<{ items: unknown[] }>(request, `/api/v1/projects/${slug}/models`)).items).toEqual([])

  // The import prompt opens the file chooser; the texts come in and the first one is asked.
  const prompt = page.getByTestId('import-prompt')
  await expect(prompt).toContainText('No texts to label yet')
  const [chooser] = await Promise.all([page.waitForEvent('filechooser'), prompt.getByRole('button', { name: 'Choose a file…' }).click()])
  await chooser.setFiles({ name: 'tickets.txt', mimeType: 'text/plain', buffer: Buffer.from('my invoice is wrong\nthe app crashes\nwhere is my parcel\n') })
  await page.getByRole('button', { name: 'Import', exact: true }).click()
  await expect(page.getByTestId('upload-result')).toContainText('3 texts added from 3 rows')
  await expect(page.getByTestId('label-item')).toBeVisible()
  await expect(prompt).toHaveCount(0)
})

test("switching projects shows that project's models and history, and is remembered", async ({ page, request }) => {
  test.setTimeout(180_000)
  const slug = `router-${Date.now()}`
  await projectWithModel(request, slug)
  const marker = `(switch ${Date.now()})`
  await request.post(`/api/v1/projects/${slug}/classify`, { data: { text: `my parcel is late ${marker}` } })
  await request.post('/api/v1/classify', { data: { text: `see you at 6 ${marker}` } })

  await page.goto(`/history?q=${encodeURIComponent(marker)}`)
  await expect(page).toHaveURL(/\/p\/default\/history/)
  const texts = page.locator('table.history tbody td.text')
  await expect(texts).toHaveText([`see you at 6 ${marker}`])

  await page.getByTestId('project-switcher').selectOption(slug)
  await expect(page).toHaveURL(new RegExp(`/p/${slug}/history$`))
  await expect(texts.first()).toHaveText(`my parcel is late ${marker}`)
  await expect(page.getByText(`see you at 6 ${marker}`)).toHaveCount(0)

  const own = (await apiJson<{ items: { id: number }[] }>(request, `/api/v1/projects/${slug}/models`)).items
  await page.getByRole('link', { name: 'Models', exact: true }).click()
  await expect(page).toHaveURL(new RegExp(`/p/${slug}/models$`))
  await expect(page.locator('tr[data-model-id]')).toHaveCount(own.length)
  for (const m of own) await expect(page.locator(`tr[data-model-id="${m.id}"]`)).toBeVisible()

  // The browser remembers it: / opens this project again.
  await page.goto('/')
  await expect(page).toHaveURL(new RegExp(`/p/${slug}$`))
  await page.goto('/p/no-such-project/models')
  await expect(page.getByTestId('project-not-found')).toContainText('no-such-project')
})
