// The little the pages need beyond plain forms: no build step, nothing from elsewhere.
"use strict";

// A button that cannot be undone asks first (the form works without this script too).
document.addEventListener("click", (event) => {
  const button = event.target.closest("button[data-confirm]");
  if (button && !window.confirm(button.dataset.confirm)) event.preventDefault();
});

// Warn before leaving an edit form with changes that were not checked or published.
document.addEventListener("DOMContentLoaded", () => {
  const form = document.getElementById("formulier");
  if (!form) return;
  let changed = false;
  form.addEventListener("input", () => { changed = true; });
  form.addEventListener("submit", () => { changed = false; });
  window.addEventListener("beforeunload", (event) => {
    if (changed) { event.preventDefault(); event.returnValue = ""; }
  });
  // Ctrl+Enter (Cmd+Enter) checks the draft from any field.
  form.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
      event.preventDefault();
      form.querySelector('button[value="controleer"]').click();
    }
  });
  // Enter in the "probeer" field tries the question instead of publishing.
  const probe = document.getElementById("probeer");
  if (probe) {
    probe.addEventListener("keydown", (event) => {
      if (event.key === "Enter") {
        event.preventDefault();
        form.querySelector('button[value="probeer"]').click();
      }
    });
  }
});

// The list of changed answers that a check started follows at its own address: fetch it and
// put it in place (without this script, the page links to it).
document.addEventListener("DOMContentLoaded", async () => {
  const waiting = document.querySelector("[data-volgt]");
  if (!waiting) return;
  try {
    const response = await fetch(waiting.dataset.volgt, { credentials: "same-origin" });
    const page = new DOMParser().parseFromString(await response.text(), "text/html");
    const list = page.getElementById("wat-verandert");
    if (response.ok && list) waiting.replaceWith(document.importNode(list, true));
  } catch (error) {
    // The link stays; following it shows the list or says why not.
  }
});
