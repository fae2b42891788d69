/** Chart options more than one page draws (plain objects: no ECharts import here). */

/** 各领域需求数: a bar per field, the `top` fields with the most needs, the largest on top;
 * `labelWidth` truncates long field names where the chart is narrow. */
export function needsByField(rows: { field_name: string; count: number }[], top: number, labelWidth?: number) {
  const shown = [...rows].sort((a, b) => b.count - a.count).slice(0, top).reverse();
  const axisLabel = labelWidth ? { width: labelWidth, overflow: "truncate" as const } : undefined;
  return {
    grid: { left: 8, right: 24, top: 8, bottom: 8, containLabel: true },
    tooltip: { trigger: "axis" as const },
    xAxis: { type: "value" as const, minInterval: 1 },
    yAxis: { type: "category" as const, data: shown.map((r) => r.field_name), axisLabel },
    series: [{ type: "bar" as const, name: "需求数", data: shown.map((r) => r.count), itemStyle: { color: "#c0392b" }, barMaxWidth: 16 }],
  };
}
