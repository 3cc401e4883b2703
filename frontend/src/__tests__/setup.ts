// The test files share one environment per worker (isolate: false in vitest.config.ts, which
// spared 22 jsdom set-ups: 30 s of CPU). Each file still starts from fresh modules — the
// composables keep their state in module scope — an empty page and storage, and
// the real globals and timers.
import { vi } from 'vitest'

vi.resetModules()
vi.unstubAllGlobals()
vi.unstubAllEnvs()
vi.useRealTimers()
if (typeof document !== 'undefined') {
  document.body.innerHTML = ''
  localStorage.clear()
  sessionStorage.clear()
}
