// Scenarios: built in and defined at run time (GET scenarios), a form to define one (PUT scenarios/NAME)
// and a button to forget a run-time one (DELETE scenarios/NAME).

import { call, get } from "./api.js";
import { h, pretty, setText, syncList, syncOptions } from "./dom.js";

// The examples of admin.yaml's ScenarioDefinition, to start from.
const EXAMPLES = {
  failing: {
    name: "late-failure",
    definition: { timeline: { queue_seconds: 20, processing_seconds: 160, outcome: "failed", failure_message: "there is no human in the video" } },
  },
  flaky: { name: "flaky-polls", definition: { polls: { 2: 5001, 3: 5001, 4: "connection-reset" } } },
  slow: { name: "slow-network", definition: { delay: { kind: "lognormal", median_ms: 300, sigma: 0.8, cap_ms: 5000 } } },
};
// What a scenario says beyond its name, kind and meaning, when set.
const SHOWN_APART = new Set(["name", "kind", "meaning", "builtin"]);

export function mountScenarios(page) {
  const form = document.getElementById("scenario-form");
  const nameInput = document.getElementById("scenario-name");
  const definitionInput = document.getElementById("scenario-definition");
  const result = document.getElementById("scenario-result");
  const rows = document.querySelector("#scenario-table tbody");
  const chooseWith = document.getElementById("choose-with");

  for (const button of form.querySelectorAll("[data-example]")) {
    button.addEventListener("click", () => {
      const example = EXAMPLES[button.dataset.example];
      nameInput.value = example.name;
      definitionInput.value = pretty(example.definition);
      definitionInput.focus();
    });
  }

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const name = nameInput.value.trim();
    let definition;
    try {
      definition = JSON.parse(definitionInput.value);
    } catch (error) {
      result.className = "error";
      setText(result, `The definition is not JSON: ${error.message}`);
      definitionInput.focus();
      return;
    }
    try {
      await call("PUT", `scenarios/${encodeURIComponent(name)}`, { body: definition });
      result.className = "ok";
      setText(result, `Scenario ${name} is defined. Send X-Mock-Scenario: ${name} (or use /scenario/${name}/...) to use it.`);
      page.refreshNow();
    } catch (error) {
      result.className = "error";
      setText(result, `The mock refused it: ${error.message}`);
    }
  });

  async function forget(name) {
    try {
      await call("DELETE", `scenarios/${encodeURIComponent(name)}`);
      result.className = "ok";
      setText(result, `Scenario ${name} is forgotten.`);
      page.refreshNow();
    } catch (error) {
      page.problem(error);
    }
  }

  function create(scenario) {
    const item = h("tr", {});
    item.parts = { shown: "" };
    return item;
  }

  function update(item, scenario) {
    const shown = JSON.stringify(scenario);
    if (item.parts.shown === shown) return;
    item.parts.shown = shown;
    const applied = Object.fromEntries(Object.entries(scenario).filter(([key, value]) => !SHOWN_APART.has(key) && value !== null && !(typeof value === "object" && Object.keys(value).length === 0)));
    const meaning = [scenario.meaning || ""];
    if (Object.keys(applied).length) meaning.push(h("details", {}, h("summary", {}, "As applied"), h("pre", {}, pretty(applied))));
    item.replaceChildren(
      h("th", { scope: "row", class: "mono" }, scenario.name),
      h("td", {}, scenario.kind),
      h("td", {}, scenario.builtin ? "built in" : "run time"),
      h("td", {}, ...meaning),
      h("td", {}, scenario.builtin ? "" : h("button", { type: "button", onclick: () => forget(scenario.name), "aria-label": `Forget scenario ${scenario.name}` }, "Forget")),
    );
  }

  return {
    async refresh() {
      const answer = await get("scenarios");
      syncList(rows, answer.scenarios, (scenario) => scenario.name, create, update);
      syncList(chooseWith, answer.choose_with, (line) => line, (line) => h("li", { class: "mono" }, line), () => {});
      syncOptions(
        document.getElementById("known-scenarios"),
        answer.scenarios.map((scenario) => scenario.name),
      );
    },
  };
}
