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
