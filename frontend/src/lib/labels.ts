/** Which of the four label colours a label gets: fixed by its name (not by its place in one
 * model's label list), so a label keeps its colour when models with other labels come and go. */
export function labelTone(label: string): number {
  let hash = 2166136261 // FNV-1a; the ':1' suffix keeps ham and spam on their colours of old
  for (const char of `${label}:1`) {
    hash ^= char.codePointAt(0) ?? 0
    hash = Math.imul(hash, 16777619) >>> 0
  }
  return hash % 4
}

/** Every label in `lists`, first-seen order, each once: the active model's and older ones'. */
export function allLabels(...lists: readonly (readonly string[] | undefined)[]): string[] {
  return [...new Set(lists.flatMap((list) => list ?? []))]
}
