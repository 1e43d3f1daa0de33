// Polls the import's progress endpoint and updates the bar; the page works without it (reload).
document.addEventListener("DOMContentLoaded", () => {
  const box = document.getElementById("import-job");
  if (!box || box.dataset.finished) return;
  const bar = document.getElementById("job-progress");
  const state = document.getElementById("job-state");
  const counts = document.getElementById("job-counts");
  const message = document.getElementById("job-message");
  const template = counts.textContent;
  const tick = async () => {
    let data;
    try {
      const response = await fetch(box.dataset.progressUrl, { headers: { Accept: "application/json" } });
      if (!response.ok) return setTimeout(tick, 3000);
      data = await response.json();
    } catch (error) {
      return setTimeout(tick, 3000);
    }
    bar.value = data.percent;
    bar.textContent = `${data.percent} %`;
    state.textContent = data.state_label;
    counts.textContent = template.replace(/\d+/g, (() => {
      const values = [data.read, data.total, data.created, data.updated, data.unchanged, data.errors, data.blocks];
      let i = 0;
      return () => String(values[i++] ?? "");
    })());
    message.textContent = data.message;
    if (data.finished) {
      window.location.reload();
    } else {
      setTimeout(tick, 1000);
    }
  };
  setTimeout(tick, 500);
});
