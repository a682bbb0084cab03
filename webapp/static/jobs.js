// Progress bars of background jobs (templates/jobs/_bar.html): each polls its job's JSON every second while the
// job runs and shows rows done of total, the rate and the time left; when the job finishes, the page reloads to
// show the result. No inline scripts (CSP: script-src 'self').
document.addEventListener("DOMContentLoaded", () => {
  const finished = new Set(["done", "failed", "cancelled"]);
  const duration = (seconds) => {
    if (seconds < 60) { return `${seconds}秒`; }
    const minutes = Math.floor(seconds / 60);
    return minutes < 60 ? `${minutes}分${seconds % 60}秒` : `${Math.floor(minutes / 60)}小时${minutes % 60}分`;
  };
  const show = (box, job) => {
    const bar = box.querySelector(".xj-job-bar");
    bar.style.width = `${job.percent}%`;
    bar.textContent = `${job.percent}%`;
    box.querySelector(".progress").setAttribute("aria-valuenow", job.percent);
    box.querySelector(".xj-job-state").textContent = job.state_label;
    box.querySelector(".xj-job-stage").textContent = job.stage;
    box.querySelector(".xj-job-count").textContent = job.total ? `${job.done} / ${job.total} 行` : "";
    box.querySelector(".xj-job-rate").textContent = job.rate ? `每秒 ${job.rate} 行` : "";
    box.querySelector(".xj-job-eta").textContent = job.eta_seconds !== null ? `预计还需 ${duration(job.eta_seconds)}` : "";
    box.dataset.jobState = job.state;
  };
  document.querySelectorAll(".xj-job").forEach((box) => {
    const bar = box.querySelector(".xj-job-bar");
    bar.style.width = `${box.querySelector(".progress").getAttribute("aria-valuenow")}%`;
    if (finished.has(box.dataset.jobState)) { return; }
    const poll = async () => {
      try {
        const response = await fetch(box.dataset.jobUrl, { headers: { Accept: "application/json" } });
        if (response.ok) {
          const job = await response.json();
          show(box, job);
          if (job.finished) { window.location.reload(); return; }
        }
      } catch (error) {
        // the server restarting or the network gone for a moment: try again at the next beat
      }
      window.setTimeout(poll, 1000);
    };
    window.setTimeout(poll, 500);
  });
});
