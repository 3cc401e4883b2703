import { expect, test } from '@playwright/test'
import { apiJson, screenshotBoth } from './helpers'

interface Prediction {
  id: number
  label: string
  probabilities: Record<string, number>
  feedback: { label: string } | null
}

test('the review queue is worked with the keyboard and stores feedback', async ({ page, request }) => {
  // Make sure there is something to review: a message the model is unsure about.
  await request.post('/api/v1/classify', { data: { text: 'call me later about the free tickets ok' } })
  const queue = await apiJson<{ items: Prediction[] }>(request, '/api/v1/review?limit=50')
  expect(queue.items.length).toBeGreaterThan(0)

  await page.goto('/review')
  const item = page.getByTestId('review-item')
  await expect(item).toBeVisible()
  const first = queue.items[0]
  await expect(item.getByRole('heading', { level: 2 })).toContainText(`Prediction #${first.id}`)

  await page.keyboard.press('?')
  const help = page.getByRole('dialog', { name: 'Keyboard shortcuts' })
  await expect(help).toBeVisible()
  await expect(help).toContainText('Pick the label with that number')
  await page.keyboard.press('Escape')
  await expect(help).toBeHidden()

  // "2" picks the second label, Enter saves it and moves on.
  const labels = Object.keys(first.probabilities)
  await page.keyboard.press('2')
  await expect(item.getByRole('button', { pressed: true })).toContainText(labels[1] === 'ham' ? 'not spam' : labels[1])
  await page.keyboard.press('Enter')
  if (queue.items.length > 1) {
    await expect(item.getByRole('heading', { level: 2 })).toContainText(`Prediction #${queue.items[1].id}`)
  }
  await expect
    .poll(async () => (await apiJson<Prediction>(request, `/api/v1/predictions/${first.id}`)).feedback?.label)
    .toBe(labels[1])

  // k goes back; the item now shows its feedback.
  await page.keyboard.press('k')
  await expect(item).toContainText('Feedback so far')
  await screenshotBoth(page, 'review')
})

test('a long review queue scrolls inside its list, not into blank page below', async ({ page, request }) => {
  // Enough unsure messages that the queue overflows its list (32rem tall).
  const texts = Array.from({ length: 40 }, (_, i) => `call me later about the free tickets ok ${i}`)
  expect((await request.post('/api/v1/classify', { data: { texts } })).ok()).toBe(true)
  await page.goto('/review')
  await expect(page.getByTestId('review-item')).toBeVisible()
  const list = page.locator('nav.queue ol')
  await expect(list.locator('li')).not.toHaveCount(0)
  const sizes = await page.evaluate(() => {
    const ol = document.querySelector('nav.queue ol') as HTMLElement
    const app = document.getElementById('app') as HTMLElement
    return {
      overflows: ol.scrollHeight > ol.clientHeight,
      page: document.documentElement.scrollHeight,
      app: app.getBoundingClientRect().bottom + window.scrollY,
    }
  })
  expect(sizes.overflows).toBe(true)
  // The page is as tall as the app; nothing hidden reaches past it.
  expect(sizes.page).toBeLessThanOrEqual(Math.ceil(sizes.app) + 2)
})
