// Team progress: draws the page's charts from its JSON block (#progress-data) with ECharts,
// which the console serves itself. Labels are Chinese first, as everywhere on the console.
(() => {
  const block = document.getElementById("progress-data");
  if (!block || typeof echarts === "undefined") return;
  const data = JSON.parse(block.textContent);
  const draw = (id, option) => {
    const box = document.getElementById(id);
    if (!box) return;
    const chart = echarts.init(box, null, { renderer: "svg" });
    chart.setOption(option);
    window.addEventListener("resize", () => chart.resize());
  };
  draw("chart-trend", {
    title: { text: "每日趋势 Daily trend", textStyle: { fontSize: 14 } },
    tooltip: { trigger: "axis" },
    legend: { top: 24 },
    grid: { top: 96, left: 48, right: 64, bottom: 32 },
    xAxis: { type: "category", data: data.days },
    yAxis: [{ type: "value", name: "通数 Calls" }, { type: "value", name: "元 CNY" }],
    series: [
      { name: "拨打 Attempts", type: "line", data: data.attempts },
      { name: "接通 Connected", type: "line", data: data.connected },
      { name: "承诺 Promises", type: "line", data: data.promises },
      { name: "回款 Recovered", type: "bar", yAxisIndex: 1, data: data.recovered },
    ],
  });
  const target = data.target_per_day === null ? [] : [{ yAxis: data.target_per_day, name: "目标 Target" }];
  draw("chart-agents", {
    title: { text: "坐席对比 Agents side by side", textStyle: { fontSize: 14 } },
    tooltip: { trigger: "axis" },
    legend: { top: 24 },
    grid: { top: 96, left: 48, right: 16, bottom: 32 },
    xAxis: { type: "category", data: data.agents },
    yAxis: { type: "value" },
    series: [
      { name: "拨打 Attempts", type: "bar", data: data.agent_attempts },
      { name: "接通 Connected", type: "bar", data: data.agent_connected },
      { name: "日均作业案件 Cases a day", type: "bar", data: data.agent_cases_per_day,
        markLine: { data: target } },
    ],
  });
  draw("chart-coverage", {
    title: { text: "新案覆盖率 New-case coverage", textStyle: { fontSize: 14 } },
    series: [{
      type: "gauge", min: 0, max: 100,
      detail: { formatter: data.coverage === null ? "—" : "{value}%" },
      data: [{ value: data.coverage === null ? 0 : data.coverage, name: "按时联系 Dialled in time" }],
    }],
  });
})();
