// The journal: the API requests the mock answered, newest first (GET requests?order=newest), filtered by the
// mock itself; each entry opens on its fields and body.

import { get } from "./api.js";
import { formValues, h, line, pretty, setText, syncList } from "./dom.js";
import { clockDateTime, clockTime } from "./format.js";

const FIELDS = ["request_id", "task_id", "account", "authorization", "gateway", "family", "scenario", "query", "duration_ms"];

export function mountJournal(page) {
  const form = document.getElementById("journal-filters");
  const list = document.getElementById("journal-list");
  const summary = document.getElementById("journal-summary");
  let filters = formValues(form);
  let generation = 0;

  function apply() {
    const next = formValues(form);
    if (JSON.stringify(next) === JSON.stringify(filters)) return;
    filters = next;
    generation += 1;
    page.refreshNow();
  }
  let typing = 0;
  form.addEventListener("input", () => {
    clearTimeout(typing);
    typing = setTimeout(apply, 350);
  });
  form.addEventListener("change", apply);
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    apply();
  });
  form.addEventListener("reset", () => setTimeout(apply));

  return {
    async refresh() {
      const asked = generation;
      const query = { ...filters, order: "newest" };
      if (query.method) query.method = query.method.toUpperCase();
      const answer = await get("requests", query);
      if (asked !== generation) return;
      // Entries never change once written: an element made for an id is kept as it is.
      syncList(list, answer.requests, (entry) => entry.id, entryItem, () => {});
      const { limit, ...matching } = filters;
      const filtered = Object.keys(matching).length > 0;
      const shown = answer.requests.length;
      setText(
        summary,
        shown === 0
          ? filtered
            ? "No request matches these filters."
            : "No API request yet."
          : `${shown} ${filtered ? "matching " : ""}${shown === 1 ? "entry" : "entries"}, newest first (at most ${limit || 100} shown).`,
      );
    },
  };
}

function entryItem(entry) {
  const outcome = entry.status >= 200 && entry.status < 300 && (entry.code === 0 || entry.code === null);
  const answer = entry.status === 0 ? "no answer (transport fault)" : `HTTP ${entry.status}, code ${entry.code ?? "none"}`;
  const parts = line(
    h("span", { class: "at", title: clockDateTime(entry.at) }, clockTime(entry.at)),
    h("span", { class: "mono" }, `${entry.method} ${entry.path}`),
    h("span", { class: outcome ? "ok" : "bad" }, answer),
    entry.task_id ? h("span", {}, `task ${entry.task_id}`) : null,
    entry.scenario ? h("span", {}, `scenario ${entry.scenario}`) : null,
  );
  const fields = h(
    "dl",
    { class: "fields" },
    FIELDS.filter((name) => entry[name] !== null && entry[name] !== "" && entry[name] !== undefined).map((name) => [
      h("dt", {}, name),
      h("dd", { class: "mono" }, name === "duration_ms" ? `${entry[name]} ms` : String(entry[name])),
    ]),
  );
  const body = entry.body === null ? h("p", { class: "muted" }, "No body.") : h("pre", { "aria-label": "Request body" }, pretty(entry.body));
  return h(
    "li",
    { class: "entry" },
    h("details", {}, h("summary", {}, h("span", { class: "visually-hidden" }, `Entry ${entry.id}: `), parts), h("div", { class: "entry-body" }, fields, body)),
  );
}
