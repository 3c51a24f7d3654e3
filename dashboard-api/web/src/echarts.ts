// ECharts, only the parts the page draws with (tree-shaken: a third of the full build). Loaded
// with import() by EChart.vue, so it is its own chunk, fetched after the shell has painted the
// numbers, and only by views that draw a chart.
import { BarChart, CustomChart, LineChart } from 'echarts/charts'
import {
  GeoComponent,
  GridComponent,
  LegendComponent,
  MarkAreaComponent,
  MarkLineComponent,
  TooltipComponent
} from 'echarts/components'
import * as echarts from 'echarts/core'
import { CanvasRenderer } from 'echarts/renderers'

echarts.use([
  BarChart,
  LineChart,
  CustomChart,
  GeoComponent,
  GridComponent,
  LegendComponent,
  MarkAreaComponent,
  MarkLineComponent,
  TooltipComponent,
  CanvasRenderer
])

export { echarts }
export type ECharts = echarts.ECharts
