// Intake: a barcode scanner types a product code and presses Enter. Instead of submitting the
// form, add one unit of that product to its line (or the first empty line). The print button on
// the receipt calls window.print(). Without this file the form adds scans on the server.
"use strict";

(function () {
  const form = document.querySelector("form[data-intake]");
  if (form) {
    setUpScanning(form);
  }
  for (const button of document.querySelectorAll("[data-print]")) {
    button.hidden = false;
    button.addEventListener("click", () => window.print());
  }

  function setUpScanning(form) {
    let products = {};
    try {
      products = JSON.parse(form.dataset.products || "{}");
    } catch (error) {
      return;
    }
    const scan = form.querySelector("input[name='scan']");
    const status = form.querySelector("[data-intake-status]");
    const container = form.querySelector("[data-intake-lines]");
    if (!scan || !container) {
      return;
    }

    const say = (text) => {
      if (status) {
        status.textContent = text;
      }
    };

    const rows = () => Array.from(container.querySelectorAll("[data-intake-line]"));
    const part = (row, name) => row.querySelector(`[name$='-${name}']`);

    const isBlank = (row) =>
      ["product", "code", "quantity", "batch_code", "produced_on", "expires_on"].every(
        (name) => !part(row, name) || !part(row, name).value.trim()
      );

    const addRow = () => {
      const all = rows();
      const last = all[all.length - 1];
      const index = all.length;
      const copy = last.cloneNode(true);
      const previous = index - 1;
      for (const element of copy.querySelectorAll("[name], [id], [for], [aria-describedby]")) {
        for (const attribute of ["name", "id", "for", "aria-describedby"]) {
          const value = element.getAttribute(attribute);
          if (value) {
            element.setAttribute(
              attribute,
              value.replace(`lines-${previous}-`, `lines-${index}-`)
            );
          }
        }
        if ("value" in element && element.tagName !== "BUTTON") {
          element.value = "";
        }
        element.removeAttribute("aria-invalid");
      }
      for (const error of copy.querySelectorAll(".field-error")) {
        error.remove();
      }
      const legend = copy.querySelector("legend");
      if (legend) {
        legend.textContent = legend.textContent.replace(/\d+/, String(index + 1));
      }
      container.appendChild(copy);
      return copy;
    };

    const add = (code) => {
      const product = products[code.toUpperCase()];
      if (!product) {
        say(`${form.dataset.unknown} ${code}`);
        return;
      }
      const id = String(product.id);
      if (product.sizes) {
        // A product sold in sizes: the server splits its line into one per size.
        const row = rows().find(isBlank) || addRow();
        part(row, "product").value = id;
        form.requestSubmit(form.querySelector("button[name='action'][value='scan']"));
        return;
      }
      let row = rows().find((r) => part(r, "product") && part(r, "product").value === id);
      if (!row) {
        row = rows().find(isBlank) || addRow();
        part(row, "product").value = id;
        part(row, "quantity").value = "0";
      }
      const quantity = part(row, "quantity");
      quantity.value = String((parseInt(quantity.value, 10) || 0) + 1);
      say(`${form.dataset.added} ${product.name}: ${quantity.value}`);
    };

    const take = (event) => {
      event.preventDefault();
      const code = scan.value.trim();
      if (code) {
        add(code);
      }
      scan.value = "";
      scan.focus();
    };
    scan.addEventListener("keydown", (event) => {
      if (event.key === "Enter") {
        take(event);
      }
    });
    const addButton = form.querySelector("button[name='action'][value='scan']");
    if (addButton) {
      addButton.addEventListener("click", take);
    }
    // Choosing a product sold in sizes (not one size of it) asks the server for a line per size.
    const sized = new Set(
      Object.values(products)
        .filter((product) => product.sizes)
        .map((product) => String(product.id))
    );
    container.addEventListener("change", (event) => {
      if (event.target.matches("select[name$='-product']") && sized.has(event.target.value)) {
        form.requestSubmit(addButton);
      }
    });
  }
})();
