// Small progressive enhancements. Every page works without this file.
"use strict";

// Buttons with data-confirm ask before a destructive action (reject, delete).
document.addEventListener("click", (event) => {
  const button = event.target.closest("[data-confirm]");
  if (button && !window.confirm(button.dataset.confirm)) {
    event.preventDefault();
  }
});

// Checkout: show the delivery fields only when delivery is chosen (all fields show without JS).
document.documentElement.classList.add("js");
for (const form of document.querySelectorAll(".checkout-form")) {
  const update = () => {
    const chosen = form.querySelector('input[name="fulfilment"]:checked');
    const delivery = chosen && chosen.value === "delivery";
    form.classList.toggle("delivery", delivery);
    form.classList.toggle("pickup", !delivery);
  };
  form.addEventListener("change", update);
  update();
}

// A file bigger than the shop accepts is refused here at once, with its name, instead of being
// sent over a phone connection to be refused by the server (which also keeps what was typed).
document.addEventListener("change", (event) => {
  const input = event.target;
  if (!(input instanceof HTMLInputElement) || input.type !== "file" || !input.dataset.maxBytes) {
    return;
  }
  const limit = parseInt(input.dataset.maxBytes, 10);
  const big = Array.from(input.files || []).find((file) => file.size > limit);
  let note = input.parentElement.querySelector(".upload-too-big");
  if (!big) {
    if (note) {
      note.remove();
    }
    input.removeAttribute("aria-invalid");
    return;
  }
  if (!note) {
    note = document.createElement("small");
    note.className = "field-error upload-too-big";
    note.setAttribute("role", "alert");
    input.insertAdjacentElement("afterend", note);
  }
  const size = (big.size / (1024 * 1024)).toFixed(1).replace(".", ",");
  note.textContent = input.dataset.tooBig.replace("__NAME__", big.name).replace("__SIZE__", size);
  input.setAttribute("aria-invalid", "true");
  input.value = "";
});
