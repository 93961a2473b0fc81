// A treatment plan's soreness scores as a line over the plan (Chart.js, vendored beside this
// file). The scores are also on the page as a table, for screen readers and without JavaScript.
document.addEventListener("DOMContentLoaded", () => {
  const data = JSON.parse(document.getElementById("soreness-data").textContent);
  new Chart(document.getElementById("soreness-chart"), {
    type: "line",
    data: {
      labels: data.labels,
      datasets: [{ label: "Soreness, 0 to 10", data: data.scores, borderColor: "#0f766e", backgroundColor: "#0f766e", tension: 0.2 }],
    },
    options: {
      animation: false,
      maintainAspectRatio: false,
      scales: { y: { min: 0, max: 10, ticks: { stepSize: 2 } } },
      plugins: { legend: { display: false } },
    },
  });
});
