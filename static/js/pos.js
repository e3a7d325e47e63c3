// Counter pages: the print button on receipts and shift reports, keeping the scan field ready
// for the next scan, and the change worked out while the cashier types the cash received.
// Everything works without this file (the server does the rest and has the last word).
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
  showChange();
});

// Whole rupiah from what a cashier types: "50000", "50.000", "Rp50.000" (as money.parse_rupiah).
function rupiahValue(text) {
  const cleaned = (text || "").trim().toLowerCase().replace(/^rp\.?/, "").replace(/\s/g, "");
  if (!/^(\d{1,3}(\.\d{3})+|\d+)(,0+)?$/.test(cleaned)) {
    return null;
  }
  return parseInt(cleaned.replace(/,0+$/, "").replace(/\./g, ""), 10);
}

function rupiahText(amount) {
  return "Rp" + amount.toLocaleString("id-ID", { maximumFractionDigits: 0 });
}

function showChange() {
  const output = document.querySelector("[data-pos-change]");
  const totalNode = document.querySelector(".pos-total [data-total]");
  const form = output && output.closest("form");
  if (!output || !totalNode || !form) {
    return;
  }
  const total = parseInt(totalNode.dataset.total, 10);
  const field = (name) => form.querySelector(`[name='${name}']`);
  const update = () => {
    const cash = rupiahValue(field("cash").value);
    const card = ["qris", "debit"]
      .map((name) => (field(name) ? rupiahValue(field(name).value) || 0 : 0))
      .reduce((a, b) => a + b, 0);
    if (cash === null || cash === 0) {
      output.hidden = true;
      return;
    }
    const due = Math.max(total - card, 0);
    const template = cash >= due ? output.dataset.changeText : output.dataset.shortText;
    output.textContent = template.replace("__AMOUNT__", rupiahText(Math.abs(cash - due)));
    output.classList.toggle("pos-change-short", cash < due);
    output.hidden = false;
  };
  for (const name of ["cash", "qris", "debit"]) {
    if (field(name)) {
      field(name).addEventListener("input", update);
    }
  }
  update();
}
