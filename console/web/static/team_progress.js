// Team progress: draws the page's charts from its JSON block (#progress-data) with ECharts,
// which the console serves itself. Its words come in the block too (data.labels), in the
// user's language, from the console's catalogs.
(() => {
  const block = document.getElementById("progress-data");
  if (!block || typeof echarts === "undefined") return;
  const data = JSON.parse(block.textContent);
  const t = data.labels;
  const draw = (id, option) => {
    const box = document.getElementById(id);
    if (!box) return;
    const chart = echarts.init(box, null, { renderer: "svg" });
    chart.setOption(option);
    window.addEventListener("resize", () => chart.resize());
  };
  draw("chart-trend", {
    title: { text: t.trend, textStyle: { fontSize: 14 } },
    tooltip: { trigger: "axis" },
    legend: { top: 24 },
    grid: { top: 96, left: 48, right: 64, bottom: 32 },
    xAxis: { type: "category", data: data.days },
    yAxis: [{ type: "value", name: t.calls }, { type: "value", name: t.yuan }],
    series: [
      { name: t.attempts, type: "line", data: data.attempts },
      { name: t.connected, type: "line", data: data.connected },
      { name: t.promises, type: "line", data: data.promises },
      { name: t.recovered, type: "bar", yAxisIndex: 1, data: data.recovered },
    ],
  });
  const target = data.target_per_day === null ? [] : [{ yAxis: data.target_per_day, name: t.target }];
  draw("chart-agents", {
    title: { text: t.agents, textStyle: { fontSize: 14 } },
    tooltip: { trigger: "axis" },
    legend: { top: 24 },
    grid: { top: 96, left: 48, right: 16, bottom: 32 },
    xAxis: { type: "category", data: data.agents },
    yAxis: { type: "value" },
    series: [
      { name: t.attempts, type: "bar", data: data.agent_attempts },
      { name: t.connected, type: "bar", data: data.agent_connected },
      { name: t.cases_a_day, type: "bar", data: data.agent_cases_per_day,
        markLine: { data: target } },
    ],
  });
  draw("chart-coverage", {
    title: { text: t.coverage, textStyle: { fontSize: 14 } },
    series: [{
      type: "gauge", min: 0, max: 100,
      detail: { formatter: data.coverage === null ? "—" : "{value}%" },
      data: [{ value: data.coverage === null ? 0 : data.coverage, name: t.in_time }],
    }],
  });
})();
