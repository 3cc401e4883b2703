import { toValue, watchEffect, type MaybeRefOrGetter } from 'vue'

/** Keep document.title in step with a page's own title, e.g. "Model #3". */
export function usePageTitle(title: MaybeRefOrGetter<string>) {
  watchEffect(() => {
    document.title = `${toValue(title)} · tagloop`
  })
}
