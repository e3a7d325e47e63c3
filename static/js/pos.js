// Counter pages: the print button on receipts and shift reports, and keeping the scan field
// ready for the next scan. Everything works without this file (the server does the rest).
document.addEventListener("DOMContentLoaded", () => {
  for (const button of document.querySelectorAll("[data-print]")) {
    button.hidden = false;
    button.addEventListener("click", () => window.print());
  }
  const scan = document.querySelector(".pos-scan input[name='code']");
  if (scan && !document.querySelector(".pos-pay [aria-invalid='true']")) {
    scan.focus();
    scan.select();
  }
});
