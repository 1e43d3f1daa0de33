// Progressive enhancement only: every page works without JavaScript.
document.addEventListener("DOMContentLoaded", () => {
  const summary = document.querySelector(".error-summary");
  if (summary) summary.focus();
  document.querySelectorAll("form[data-confirm]").forEach((form) => {
    form.addEventListener("submit", (event) => {
      if (!window.confirm(form.dataset.confirm)) event.preventDefault();
    });
  });
  // A block with data-poll="<url>" refreshes itself from that URL (an HTML fragment holding an
  // element with the same id) every 3 s, until the fragment no longer carries data-poll.
  // Lives here because the Content-Security-Policy forbids inline scripts.
  document.querySelectorAll("[data-poll][id]").forEach((box) => {
    if (box.dataset.polling) return;
    box.dataset.polling = "1";
    const tick = async () => {
      try {
        const response = await fetch(box.dataset.poll, { credentials: "same-origin" });
        if (response.ok) {
          const fragment = new DOMParser().parseFromString(await response.text(), "text/html");
          const fresh = fragment.getElementById(box.id);
          if (fresh) {
            box.innerHTML = fresh.innerHTML;
            if (!fresh.dataset.poll) {
              delete box.dataset.poll;
              return;
            }
          }
        }
      } catch (error) {
        // offline: try again later
      }
      setTimeout(tick, 3000);
    };
    setTimeout(tick, 3000);
  });
});
