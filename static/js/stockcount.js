// Stock pages: a print button for return notes and count reports. The pages work without it
// (the note tells people to use the browser's Print command).
"use strict";

document.addEventListener("DOMContentLoaded", () => {
  for (const button of document.querySelectorAll("[data-print]")) {
    button.hidden = false;
    button.addEventListener("click", () => window.print());
  }
});
