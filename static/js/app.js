// Small progressive enhancements. Every page works without this file.
"use strict";

// Buttons with data-confirm ask before a destructive action (reject, delete).
document.addEventListener("click", (event) => {
  const button = event.target.closest("[data-confirm]");
  if (button && !window.confirm(button.dataset.confirm)) {
    event.preventDefault();
  }
});
