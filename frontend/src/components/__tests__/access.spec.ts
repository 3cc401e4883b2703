import { describe, expect, it } from 'vitest'
import type { Access } from '@/api/types'
import { allowance } from '@/composables/useAccess'

const refused = (reason: string, needs = 'maintainer') => ({ allowed: false, with_admin_token: false, needs, reason })

const viewer: Access = {
  role: 'viewer',
  signed_in: true,
  open: false,
  actions: {
    read: { allowed: true, with_admin_token: false, needs: 'viewer', reason: null },
    retrain: refused("retrain on project 'default' needs the maintainer role (your role is viewer)"),
  },
}

describe('allowance', () => {
  it("offers what the server allows and says why not in the server's words", () => {
    expect(allowance(viewer, false, 'read')).toMatchObject({ known: true, enabled: true, offered: true, reason: null })
    expect(allowance(viewer, false, 'retrain')).toEqual({
      known: true,
      enabled: false,
      offered: false,
      needs: 'maintainer',
      reason: "Retrain on project 'default' needs the maintainer role (your role is viewer).",
    })
  })

  it('offers an action the admin token would allow (a server with no accounts yet)', () => {
    const open: Access = {
      ...viewer,
      role: 'none',
      signed_in: false,
      open: true,
      actions: { rollback: { ...refused('rollback needs the admin token'), with_admin_token: true } },
    }
    expect(allowance(open, false, 'rollback')).toMatchObject({ enabled: true, offered: true, reason: null })
  })

  it('shows buttons but no page until the answer is in, and everything if it cannot be had', () => {
    expect(allowance(null, false, 'retrain')).toMatchObject({ known: false, enabled: false, offered: true })
    expect(allowance(null, true, 'retrain')).toMatchObject({ known: true, enabled: true, offered: true })
  })
})
