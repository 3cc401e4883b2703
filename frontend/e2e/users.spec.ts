import { expect, test } from '@playwright/test'
import { ADMIN_TOKEN, HAM } from './helpers'

// Runs last (specs run in name order): creating the first account ends the server's open mode.
const LOGIN = `e2e-${Date.now()}`
const PASSWORD = 'a long e2e password'

test('sign in, make an API token shown once, sign out; a cross-site change is refused', async ({ page, request }) => {
  const admin = { Authorization: `Bearer ${ADMIN_TOKEN}` }
  const created = await request.post('/api/v1/users', {
    headers: admin,
    data: { login: LOGIN, name: 'E2E Person', password: PASSWORD, is_admin: true },
  })
  expect(created.status()).toBe(201)

  await page.goto('/login?next=/projects')
  await page.getByLabel('Login').fill(LOGIN)
  await page.getByLabel('Password').fill('not the password')
  await page.getByRole('button', { name: 'Sign in' }).click()
  await expect(page.getByRole('alert')).toContainText('the login or the password is wrong')

  await page.getByLabel('Password').fill(PASSWORD)
  await page.getByRole('button', { name: 'Sign in' }).click()
  await expect(page).toHaveURL(/\/projects$/)
  const menu = page.getByTestId('user-menu')
  await expect(menu).toContainText('E2E Person')

  // The session cookie is HttpOnly: page scripts cannot read it.
  expect(await page.evaluate(() => document.cookie)).not.toContain('tagloop_session')
  const cookie = (await page.context().cookies()).find((c) => c.name === 'tagloop_session')
  expect(cookie?.httpOnly).toBe(true)
  expect(cookie?.sameSite).toBe('Lax')

  // A change without the session's CSRF token (as another site's form would send) is refused.
  const forged = await page.evaluate(async () => {
    const response = await fetch('/api/v1/projects/default', {
      method: 'PATCH',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ description: 'forged' }),
    })
    return response.status
  })
  expect(forged).toBe(403)

  // The users page: create a person, give them a role, disable them.
  await menu.getByRole('link', { name: 'Users' }).click()
  const bob = `bob-${Date.now()}`
  await page.getByLabel('Login').fill(bob)
  await page.getByLabel('Name', { exact: true }).fill('Bob')
  await page.getByLabel('Password', { exact: true }).fill('a long password for bob')
  await page.getByRole('button', { name: 'Create user' }).click()
  const row = page.getByTestId(`user-${bob}`)
  await expect(row).toContainText('none')
  await row.getByLabel('Project').selectOption('default')
  await row.getByLabel('Role').selectOption('annotator')
  await row.getByRole('button', { name: 'Set role' }).click()
  await expect(row).toContainText('default: annotator')
  await row.getByRole('button', { name: 'Disable' }).click()
  await expect(row.getByRole('button', { name: 'Enable' })).toBeVisible()
  const disabled = await request.post('/api/v1/auth/login', { data: { login: bob, password: 'a long password for bob' } })
  expect(disabled.status()).toBe(401)

  await menu.getByRole('link', { name: 'Tokens' }).click()
  await page.getByLabel('What it is for').fill('e2e script')
  await page.getByRole('button', { name: 'Create token' }).click()
  const token = (await page.getByTestId('new-token').textContent())?.trim() ?? ''
  expect(token).toMatch(/^tlp_/)
  await expect(page.getByRole('cell', { name: 'e2e script' })).toBeVisible()
  const me = await request.get('/api/v1/auth/me', { headers: { Authorization: `Bearer ${token}` } })
  expect((await me.json()).user.login).toBe(LOGIN)

  await page.getByRole('button', { name: 'Revoke' }).click()
  await expect(page.getByText('No tokens yet')).toBeVisible()
  const revoked = await request.get('/api/v1/stats', { headers: { Authorization: `Bearer ${token}` } })
  expect(revoked.status()).toBe(401)

  await menu.getByRole('button', { name: 'Sign out' }).click()
  await expect(page).toHaveURL(/\/login/)
  await expect(menu).toContainText('Sign in')
})

test('a viewer sees no write buttons and why; a maintainer sees them', async ({ page, request }) => {
  const admin = { Authorization: `Bearer ${ADMIN_TOKEN}` }
  const stamp = Date.now()
  for (const role of ['viewer', 'maintainer']) {
    const login = `${role}-${stamp}`
    const created = await request.post('/api/v1/users', { headers: admin, data: { login, password: PASSWORD } })
    expect(created.status()).toBe(201)
    const granted = await request.put(`/api/v1/users/${login}/roles/default`, { headers: admin, data: { role } })
    expect(granted.status()).toBe(200)
  }
  const signIn = async (login: string) => {
    await page.goto('/login?next=/p/default/models')
    await page.getByLabel('Login').fill(login)
    await page.getByLabel('Password').fill(PASSWORD)
    await page.getByRole('button', { name: 'Sign in' }).click()
    await expect(page).toHaveURL(/\/p\/default\/models$/)
  }

  await signIn(`viewer-${stamp}`)
  // Models: reading is allowed; rolling back is not, and the button says why.
  await expect(page.getByRole('heading', { name: 'Versions' })).toBeVisible()
  await expect(page.getByTestId('retrain-not-allowed')).toContainText('needs the maintainer role (your role is viewer)')
  await expect(page.getByTestId('retrain')).toHaveCount(0)
  const rollback = page.getByTestId('rollback')
  await expect(rollback).toBeDisabled()
  await expect(rollback).toHaveAttribute('title', /needs the maintainer role/)
  for (const button of await page.getByTestId('activate').all()) await expect(button).toBeDisabled()
  // Labelling needs the annotator role: the page says so instead of failing.
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Label' }).click()
  await expect(page.getByTestId('access-denied')).toContainText('You need the annotator role')
  await expect(page.getByTestId('label-item')).toHaveCount(0)
  // Classifying is open on this project (anonymous classify), feedback is not for a viewer.
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Classify' }).click()
  await page.getByRole('textbox', { name: 'Message' }).fill(HAM)
  await page.getByRole('button', { name: 'Classify', exact: true }).click()
  await expect(page.getByTestId('feedback-not-allowed').first()).toBeVisible()
  await expect(page.getByTestId('feedback-yes')).toHaveCount(0)
  // Users is an admin's page; creating a project too.
  await page.goto('/users')
  await expect(page.getByTestId('access-denied')).toContainText('You need the admin role')
  await page.goto('/projects')
  await expect(page.getByTestId('projects')).toBeVisible()
  await expect(page.getByTestId('new-project')).toHaveCount(0)
  await page.getByTestId('user-menu').getByRole('button', { name: 'Sign out' }).click()

  await signIn(`maintainer-${stamp}`)
  await expect(page.getByTestId('retrain')).toBeEnabled()
  await expect(page.getByTestId('rollback')).toBeEnabled()
  await expect(page.getByTestId('retrain-not-allowed')).toHaveCount(0)
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Label' }).click()
  await expect(page.getByRole('heading', { name: 'Import texts' })).toBeVisible()
  await expect(page.getByLabel('File of texts')).toBeVisible()
  await expect(page.getByTestId('access-denied')).toHaveCount(0)
})
