// Product page with sizes or colours: picking a value switches the price, photo, stock, code
// and the cart form's variant at once, from the variant table the page embeds
// (storefront/shop/picker.py). Without this file the picker is a GET form that reloads the
// page with the choice in the query string; this keeps that URL up to date too.
"use strict";

(() => {
  const form = document.getElementById("variant-picker");
  const source = document.getElementById("variant-table");
  if (!form || !source) {
    return;
  }
  const table = JSON.parse(source.textContent);
  const byKey = new Map(table.variants.map((v) => [v.values.join(","), v]));
  const fieldsets = [...form.querySelectorAll("fieldset[data-option]")];
  const cart = document.getElementById("add-to-cart");
  form.classList.add("variant-picker-live");

  const chosenIds = () =>
    fieldsets.map((fieldset) => {
      const checked = fieldset.querySelector("input:checked");
      return checked ? Number(checked.value) : null;
    });

  // A value can be picked when some variant in stock has it and the other values chosen.
  const inStockWith = (valueId, others) =>
    table.variants.some(
      (v) => v.units > 0 && v.values.includes(valueId) && others.every((id) => v.values.includes(id))
    );

  const setHtml = (selector, html) => {
    const element = document.querySelector(selector);
    if (element && html !== undefined) {
      element.innerHTML = html;
    }
  };

  const showPhoto = (photo) => {
    const img = document.querySelector(".gallery-main img");
    const link = document.querySelector(".gallery-main");
    if (!photo || !img || !link) {
      return;
    }
    img.src = photo.src;
    img.srcset = photo.srcset;
    img.width = photo.width;
    img.height = photo.height;
    link.href = photo.href;
  };

  const update = () => {
    const ids = chosenIds();
    fieldsets.forEach((fieldset, index) => {
      const others = ids.filter((id, i) => i !== index && id !== null);
      fieldset.querySelectorAll("input[type=radio]").forEach((radio) => {
        const soldOut = !inStockWith(Number(radio.value), others);
        radio.disabled = soldOut && !radio.checked;
        const label = form.querySelector(`label[for="${radio.id}"]`);
        label.classList.toggle("variant-sold-out", soldOut);
        label.querySelector(".variant-habis").hidden = !soldOut;
      });
      const checked = fieldset.querySelector("input:checked");
      const legend = fieldset.querySelector("legend");
      let shown = legend.querySelector("[data-chosen]");
      if (checked && !shown) {
        legend.append(": ");
        shown = document.createElement("strong");
        shown.dataset.chosen = "";
        legend.append(shown);
      }
      if (shown) {
        shown.textContent = checked ? form.querySelector(`label[for="${checked.id}"]`).firstChild.textContent.trim() : "";
      }
    });
    const variant = ids.includes(null) ? null : byKey.get([...ids].sort((a, b) => a - b).join(","));
    if (!variant) {
      return;
    }
    setHtml("[data-variant-price]", table.snippets[variant.price]);
    setHtml("[data-variant-stock]", table.snippets[variant.stock]);
    const code = document.querySelector("[data-variant-code]");
    if (code) {
      code.textContent = variant.code_text;
    }
    showPhoto(variant.photo || table.photo);
    if (cart) {
      cart.querySelector("[data-variant-id]").value = variant.id;
      cart.querySelector("button[type=submit]").disabled = variant.units <= 0;
      const quantity = cart.querySelector("input[name=quantity]");
      quantity.max = Math.max(variant.units, 1);
      const hint = cart.querySelector("[data-variant-hint]");
      if (hint) {
        hint.hidden = true;
      }
    }
    const notice = document.querySelector(".variant-notice");
    if (notice) {
      notice.remove();
    }
    const query = new URLSearchParams(window.location.search);
    query.delete("variant");
    fieldsets.forEach((fieldset, index) => {
      query.set(table.parameters[fieldset.dataset.option], ids[index]);
    });
    window.history.replaceState(null, "", `${window.location.pathname}?${query}`);
  };

  form.addEventListener("change", update);
  update();
})();
