/** Chart colours from the page's CSS custom properties, updated when the colour scheme flips. */
import { onBeforeUnmount, onMounted, ref } from 'vue'

export interface ChartTheme {
  text: string
  grid: string
  series: string[]
  positive: string
  negative: string
}

function read(): ChartTheme {
  const style = getComputedStyle(document.documentElement)
  const v = (name: string, fallback: string) => style.getPropertyValue(name).trim() || fallback
  return {
    text: v('--text-muted', '#555'),
    grid: v('--border', '#ddd'),
    series: [1, 2, 3, 4, 5, 6].map((i) => v(`--chart-${i}`, '#4f46e5')),
    positive: v('--ok', '#15803d'),
    negative: v('--danger', '#b91c1c'),
  }
}

export function useChartTheme() {
  const theme = ref<ChartTheme>(read())
  const media = window.matchMedia?.('(prefers-color-scheme: dark)')
  // Read after the browser has applied the new scheme's custom properties.
  const update = () => requestAnimationFrame(() => (theme.value = read()))
  onMounted(() => media?.addEventListener('change', update))
  onBeforeUnmount(() => media?.removeEventListener('change', update))
  return theme
}
