/** Register only the Chart.js parts the app draws, so the rest is left out of the bundle. */
import {
  BarElement,
  CategoryScale,
  Chart,
  Filler,
  Legend,
  LinearScale,
  LineElement,
  PointElement,
  Tooltip,
} from 'chart.js'

Chart.register(BarElement, CategoryScale, Filler, Legend, LinearScale, LineElement, PointElement, Tooltip)
Chart.defaults.font.family = getComputedStyle(document.body).fontFamily || 'system-ui, sans-serif'
Chart.defaults.maintainAspectRatio = false
if (window.matchMedia?.('(prefers-reduced-motion: reduce)').matches) Chart.defaults.animation = false

export { Chart }
