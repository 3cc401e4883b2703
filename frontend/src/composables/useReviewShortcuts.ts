/** Keyboard shortcuts of the review queue: 1–9 pick a label, Enter confirms, j/k move, ? helps. */
import { onBeforeUnmount, onMounted, toValue, type MaybeRefOrGetter } from 'vue'

export type ReviewAction =
  | { type: 'pick'; index: number }
  | { type: 'confirm' }
  | { type: 'next' }
  | { type: 'previous' }
  | { type: 'help' }

export interface ShortcutHelp {
  keys: string[]
  description: string
}

export const REVIEW_SHORTCUTS: ShortcutHelp[] = [
  { keys: ['1', '…', '9'], description: 'Pick the label with that number' },
  { keys: ['Enter'], description: 'Confirm the picked label (saves feedback) and go to the next item' },
  { keys: ['j', '↓'], description: 'Next item' },
  { keys: ['k', '↑'], description: 'Previous item' },
  { keys: ['?'], description: 'Show these shortcuts' },
  { keys: ['Esc'], description: 'Close this dialog' },
]

type KeyLike = Pick<KeyboardEvent, 'key' | 'ctrlKey' | 'metaKey' | 'altKey'> & {
  target: EventTarget | null
}

/** Where typing or native activation owns the keys, shortcuts stay out of the way. */
function ownsKeys(target: EventTarget | null, key: string): boolean {
  if (typeof Element === 'undefined' || !(target instanceof Element)) return false
  // Just after a dialog closes, focus can stay for a moment on its (now hidden) button until
  // the browser moves it to the page: the keys are the page's again already.
  if (target.closest('dialog:not([open])')) return false
  if (target.closest('input, textarea, select, [contenteditable="true"], dialog')) return true
  // Enter on a focused button or link activates it; don't also confirm.
  return key === 'Enter' && target.closest('button, a[href], summary') !== null
}

/** The action a key press means in the review queue, or null for keys it does not use. */
export function reviewKeyAction(event: KeyLike, labelCount: number): ReviewAction | null {
  if (event.ctrlKey || event.metaKey || event.altKey) return null
  if (ownsKeys(event.target, event.key)) return null
  const { key } = event
  if (/^[1-9]$/.test(key)) {
    const index = Number(key) - 1
    return index < labelCount ? { type: 'pick', index } : null
  }
  switch (key) {
    case 'Enter':
      return { type: 'confirm' }
    case 'j':
    case 'ArrowDown':
      return { type: 'next' }
    case 'k':
    case 'ArrowUp':
      return { type: 'previous' }
    case '?':
      return { type: 'help' }
    default:
      return null
  }
}

export function useReviewShortcuts(
  labelCount: MaybeRefOrGetter<number>,
  onAction: (action: ReviewAction) => void,
) {
  function onKeydown(event: KeyboardEvent) {
    const action = reviewKeyAction(event, toValue(labelCount))
    if (!action) return
    event.preventDefault()
    onAction(action)
  }
  onMounted(() => window.addEventListener('keydown', onKeydown))
  onBeforeUnmount(() => window.removeEventListener('keydown', onKeydown))
}
