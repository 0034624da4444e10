// The settings in force (GET config), the run-time ones editable (PUT config with only what was edited).

import { call, get } from "./api.js";
import { h, setText } from "./dom.js";

export function mountConfig(page) {
  const form = document.getElementById("config-form");
  const rows = document.getElementById("config-rows");
  const result = document.getElementById("config-result");
  let shown = "";

  const inputs = () => [...rows.querySelectorAll("input[data-setting]")];
  const valueOf = (input) => (input.type === "checkbox" ? String(input.checked) : input.value.trim());
  const edited = () => inputs().filter((input) => valueOf(input) !== input.dataset.original);

  form.addEventListener("input", (event) => {
    const input = event.target;
    if (input.dataset && input.dataset.setting) input.closest("tr").classList.toggle("changed", valueOf(input) !== input.dataset.original);
  });
  document.getElementById("config-undo").addEventListener("click", () => {
    shown = "";
    setText(result, "");
    page.refreshNow();
  });

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const changes = {};
    for (const input of edited()) {
      const name = input.dataset.setting;
      try {
        changes[name] = JSON.parse(valueOf(input));
      } catch {
        result.className = "error";
        setText(result, `${name}: not a JSON value (a number, true, false or null).`);
        input.focus();
        return;
      }
    }
    if (Object.keys(changes).length === 0) {
      result.className = "";
      setText(result, "Nothing was edited.");
      return;
    }
    try {
      await call("PUT", "config", { body: changes });
      // Saved: what was typed is the value in force now, so the next update may redraw the table.
      for (const input of edited()) input.dataset.original = valueOf(input);
      shown = "";
      result.className = "ok";
      setText(result, `Saved: ${Object.entries(changes).map(([name, value]) => `${name} = ${JSON.stringify(value)}`).join(", ")}.`);
      page.refreshNow();
    } catch (error) {
      result.className = "error";
      setText(result, `The mock refused it: ${error.message}`);
    }
  });

  function row(name, value, changeable) {
    if (!changeable) return h("tr", {}, h("th", { scope: "row", class: "mono" }, name), h("td", { class: "mono" }, JSON.stringify(value)));
    const id = `setting-${name}`;
    const label = h("label", { for: id }, name);
    const original = JSON.stringify(value);
    const input =
      typeof value === "boolean"
        ? h("input", { id, type: "checkbox", checked: value, "data-setting": name, "data-original": original })
        : h("input", { id, type: "text", value: original, "data-setting": name, "data-original": original, spellcheck: "false", inputmode: "decimal" });
    return h("tr", {}, h("th", { scope: "row", class: "mono" }, label, h("span", { class: "muted" }, " (changeable)")), h("td", {}, input));
  }

  return {
    async refresh() {
      const answer = await get("config");
      const now = JSON.stringify(answer);
      // Someone's unsaved edits are never overwritten by a live update.
      if (now === shown || edited().length > 0) return;
      shown = now;
      const changeable = new Set(answer.changeable);
      const names = Object.keys(answer.config).sort((a, b) => Number(changeable.has(b)) - Number(changeable.has(a)) || a.localeCompare(b));
      rows.replaceChildren(...names.map((name) => row(name, answer.config[name], changeable.has(name))));
    },
  };
}
