/** ECharts with only the parts we draw (bar, pie; canvas), to keep the bundle small. */
import { BarChart, PieChart } from "echarts/charts";
import { GridComponent, LegendComponent, TooltipComponent } from "echarts/components";
import * as echarts from "echarts/core";
import { CanvasRenderer } from "echarts/renderers";

echarts.use([BarChart, PieChart, GridComponent, TooltipComponent, LegendComponent, CanvasRenderer]);

export { echarts };
export type EChartsOption = Parameters<echarts.ECharts["setOption"]>[0];
