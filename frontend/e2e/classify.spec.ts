import { expect, test } from '@playwright/test'
import { HAM, SPAM, apiJson, classifyOnPage, screenshotBoth } from './helpers'

interface Prediction {
  id: number
  label: string
  feedback: { label: string; comment: string; agrees: boolean } | null
}

test('a typical spam SMS is shown as spam with the words that drove it highlighted', async ({ page }) => {
  const result = await classifyOnPage(page, SPAM)
  await expect(result.locator('[data-badge]').first()).toHaveText('spam')
  const marks = result.getByTestId('highlighted-text').locator('mark.toward')
  expect(await marks.count()).toBeGreaterThan(0)
  await expect(marks.first()).toHaveAttribute('title', /toward spam/)
  await expect(result.getByRole('heading', { name: 'Words that mattered most' })).toBeVisible()
  await expect(result.getByRole('list', { name: 'Probability per class' }).locator('li')).toHaveCount(2)
  await screenshotBoth(page, 'classify')
})

test('an everyday message is shown as not spam', async ({ page }) => {
  const result = await classifyOnPage(page, HAM)
  await expect(result.locator('[data-badge="ham"]')).toHaveText('not spam')
  await expect(result.getByTestId('highlighted-text')).toHaveText(HAM)
})

test('feedback given on the page is stored by the server', async ({ page, request }) => {
  const result = await classifyOnPage(page, `${HAM} tomorrow, ok?`)
  const heading = await result.getByRole('heading', { name: 'Result' }).locator('..').textContent()
  const id = Number(/prediction #(\d+)/.exec(heading ?? '')?.[1])
  expect(id).toBeGreaterThan(0)

  await result.getByTestId('feedback-no').click()
  await result.getByRole('radio', { name: 'spam', exact: true }).check()
  await result.getByLabel('Comment (optional)').fill('e2e says spam')
  await result.getByTestId('feedback-submit').click()
  await expect(result.getByTestId('feedback-saved')).toContainText('saved as')

  const stored = await apiJson<Prediction>(request, `/api/v1/predictions/${id}`)
  expect(stored.feedback).toMatchObject({ label: 'spam', comment: 'e2e says spam', agrees: stored.label === 'spam' })

  // The recent list shows the same feedback state.
  await expect(page.locator(`.recent [data-prediction-id="${id}"]`)).toContainText(/Corrected to spam|Confirmed as spam/)

  // Thumbs up on the next one stores the predicted label.
  const second = await classifyOnPage(page, SPAM)
  const secondId = Number(/prediction #(\d+)/.exec((await second.textContent()) ?? '')?.[1])
  await second.getByTestId('feedback-yes').click()
  await expect(second.getByTestId('feedback-saved')).toHaveText('Thanks, confirmed.')
  const confirmed = await apiJson<Prediction>(request, `/api/v1/predictions/${secondId}`)
  expect(confirmed.feedback).toMatchObject({ label: confirmed.label, agrees: true })
})

test('past the length limit the Classify button is disabled and says why', async ({ page, request }) => {
  const info = await apiJson<{ limits: { max_text_length: number } }>(request, '/api/v1/info')
  const tooLong = 'a'.repeat(info.limits.max_text_length + 3)
  const direct = await request.post('/api/v1/classify', { data: { text: tooLong } })
  expect(direct.status()).toBe(422) // the server refuses it too

  await page.goto('/')
  const message = page.getByLabel('Message', { exact: true })
  await message.fill(tooLong)
  const button = page.getByRole('button', { name: 'Classify', exact: true })
  await expect(button).toBeDisabled()
  await expect(button).toHaveAccessibleDescription(/too long: remove 3 to classify it/)
  await message.press('Control+Enter') // the shortcut does not send it either
  await expect(page.getByTestId('result')).toHaveCount(0)
  await message.press('Backspace')
  await message.press('Backspace')
  await message.press('Backspace')
  await expect(button).toBeEnabled()
})

test('Ctrl+Enter in the text box classifies', async ({ page }) => {
  await page.goto('/')
  const box = page.getByLabel('Message', { exact: true })
  await box.fill(SPAM)
  await box.press('Control+Enter')
  const result = page.getByTestId('result')
  await expect(result).toBeVisible()
  await expect(result.locator('[data-badge]').first()).toHaveText('spam')
  await expect(result.getByTestId('highlighted-text')).toHaveText(SPAM)
  // The key press submitted instead of adding a line.
  await expect(box).toHaveValue(SPAM)
})

test('words after emoji are marked exactly (the API counts characters in code points)', async ({ page }) => {
  const text = `🎉🎉 ${SPAM} 🎉 call now`
  await page.goto('/')
  await page.getByLabel('Message', { exact: true }).fill(text)
  const [response] = await Promise.all([
    page.waitForResponse((r) => /\/api\/v1\/(projects\/[^/]+\/)?classify/.test(r.url()) && r.request().method() === 'POST'),
    page.getByRole('button', { name: 'Classify', exact: true }).click(),
  ])
  const { explanation } = (await response.json()) as { explanation: { token: string; weight: number }[] }
  // The API's token is its own slice of the text: every mark must show one of them, not a shifted slice.
  const tokens = new Set(explanation.filter((t) => t.weight !== 0).map((t) => t.token))
  const marks = await page.getByTestId('result').getByTestId('highlighted-text').locator('mark').allTextContents()
  expect(marks.length).toBeGreaterThan(0)
  for (const mark of marks) expect(tokens, `marked "${mark}"`).toContain(mark)
  await expect(page.getByTestId('highlighted-text')).toHaveText(text)
})
