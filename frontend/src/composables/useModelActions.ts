/** Activate / roll back a model with the admin token, with busy, error and notice refs. */
import { computed, ref } from 'vue'
import { activateModel, rollbackModel } from '@/api/endpoints'
import { errorMessage, type AdminAuth } from '@/api/client'
import type { ActivationResult } from '@/api/types'
import { useAccess } from './useAccess'
import { useAdminToken, type AdminPurpose } from './useAdminToken'
import { useInfo } from './useInfo'

export function useModelActions() {
  const { withAdmin } = useAdminToken()
  const { project, reloadUntilActive } = useInfo()
  const { can } = useAccess()
  const busy = ref(false)
  const error = ref<string | null>(null)
  const notice = ref<string | null>(null)

  async function perform(
    action: (admin: AdminAuth) => Promise<ActivationResult>,
    done: (r: ActivationResult) => string,
    purpose: AdminPurpose,
  ) {
    busy.value = true
    error.value = null
    notice.value = null
    try {
      const result = await withAdmin((token, actor) => action({ token, actor }), purpose)
      if (result) {
        notice.value = done(result)
        void reloadUntilActive(result.active_model.id)
      }
      return result
    } catch (e) {
      error.value = errorMessage(e)
      return null
    } finally {
      busy.value = false
    }
  }

  const activate = (id: number, reason?: string) =>
    perform(
      (admin) => activateModel(project.value, id, admin, reason),
      (r) => `Model #${r.active_model.id} is now active.`,
      'activate',
    )

  const rollback = (reason?: string) =>
    perform(
      (admin) => rollbackModel(project.value, admin, reason),
      (r) => `Rolled back: model #${r.active_model.id} is active again.`,
      'rollback',
    )

  // Whether to offer each (and if not, why), as the server answers for this caller.
  const mayActivate = computed(() => can('activate'))
  const mayRollback = computed(() => can('rollback'))

  return { busy, error, notice, activate, rollback, mayActivate, mayRollback }
}
