// Search-as-you-type for the header search box: fills its <datalist> with product names from
// /search/suggest. Without this file the box is a plain GET form and works the same.
"use strict";

(() => {
  const input = document.querySelector("input[data-suggest-url]");
  const list = input && input.list;
  if (!list) {
    return;
  }
  const MIN_LENGTH = 2;
  const DELAY_MS = 200;
  let timer = null;
  let pending = null;

  const fill = (names) => {
    list.replaceChildren(
      ...names.map((name) => {
        const option = document.createElement("option");
        option.value = name;
        return option;
      }),
    );
  };

  const load = async (text) => {
    if (pending) {
      pending.abort();
    }
    pending = new AbortController();
    const url = `${input.dataset.suggestUrl}?q=${encodeURIComponent(text)}`;
    try {
      const response = await fetch(url, { signal: pending.signal, headers: { Accept: "application/json" } });
      if (response.ok) {
        const data = await response.json();
        fill(Array.isArray(data.suggestions) ? data.suggestions : []);
      }
    } catch (error) {
      // Aborted by a newer keystroke or offline: keep the old suggestions.
    }
  };

  input.addEventListener("input", () => {
    window.clearTimeout(timer);
    const text = input.value.trim();
    if (text.length < MIN_LENGTH) {
      fill([]);
      return;
    }
    timer = window.setTimeout(() => load(text), DELAY_MS);
  });
})();
