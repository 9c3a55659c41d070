// Starts GOV.UK Frontend, and again inside content htmx swaps in.
import { initAll } from "./govuk-frontend.min.js";

initAll();

document.body.addEventListener("htmx:afterSettle", (event) => {
  initAll({ scope: event.detail.elt });
});

// htmx sends the CSRF token with every request it makes.
document.body.addEventListener("htmx:configRequest", (event) => {
  const meta = document.querySelector('meta[name="csrf-token"]');
  if (meta) {
    event.detail.headers["X-CSRFToken"] = meta.getAttribute("content");
  }
});

// Print buttons (a plain link to the print view works without JavaScript).
document.querySelectorAll("[data-engage-print]").forEach((button) => {
  button.addEventListener("click", (event) => {
    event.preventDefault();
    window.print();
  });
});
