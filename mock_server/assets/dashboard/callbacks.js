// Callback deliveries: the attempts of GET callbacks?order=newest, grouped by delivery (one webhook-id per
// status change of a task), each attempt with its outcome, time, headers (the signature) and body.

import { get } from "./api.js";
import { h, line, pretty, setText, syncList } from "./dom.js";
import { clockDateTime, clockTime } from "./format.js";

const LIMIT = 500;

export function mountCallbacks() {
  const list = document.getElementById("delivery-list");
  const summary = document.getElementById("callbacks-summary");

  return {
    async refresh() {
      const answer = await get("callbacks", { order: "newest", limit: LIMIT });
      // Newest first, by each delivery's latest attempt; a delivery's attempts oldest first.
      const deliveries = new Map();
      for (const attempt of answer.callbacks) {
        if (!deliveries.has(attempt.message_id)) deliveries.set(attempt.message_id, []);
        deliveries.get(attempt.message_id).unshift(attempt);
      }
      syncList(list, [...deliveries.values()], (attempts) => attempts[0].message_id, createDelivery, updateDelivery);
      const attempts = answer.callbacks.length;
      setText(
        summary,
        attempts === 0
          ? "No callback yet: create a task with callback_url and each status change is sent to it."
          : `${deliveries.size} ${deliveries.size === 1 ? "delivery" : "deliveries"}, ${attempts} ${attempts === 1 ? "attempt" : "attempts"}${attempts === LIMIT ? ` (the newest ${LIMIT} attempts)` : ""}.`,
      );
    },
  };
}

function createDelivery() {
  const summary = h("summary", {});
  const attempts = h("ol", { class: "attempts" });
  const item = h("li", { class: "entry delivery" }, h("details", {}, summary, h("div", { class: "entry-body" }, attempts)));
  item.parts = { summary, attempts, shown: "" };
  return item;
}

function updateDelivery(item, attempts) {
  const shown = attempts.map((attempt) => attempt.id).join(",");
  if (item.parts.shown === shown) return;
  item.parts.shown = shown;
  const latest = attempts[attempts.length - 1];
  const outcome = latest.outcome === "delivered";
  item.parts.summary.replaceChildren(
    line(
      h("span", { class: "at", title: clockDateTime(latest.at) }, clockTime(latest.at)),
      h("span", {}, `task ${latest.task_id}: ${latest.task_status}`),
      h("span", { class: "mono" }, latest.url),
      h("span", { class: outcome ? "ok" : "bad" }, `${latest.outcome} after ${attempts.length} ${attempts.length === 1 ? "attempt" : "attempts"}`),
      h("span", { class: "muted" }, latest.signed ? "signed" : "unsigned"),
    ),
  );
  item.parts.attempts.replaceChildren(...attempts.map(attemptItem));
}

function attemptItem(attempt) {
  const answer = attempt.http_status === null ? attempt.error || "no answer" : `HTTP ${attempt.http_status}${attempt.error ? `: ${attempt.error}` : ""}`;
  const headers = Object.entries(attempt.headers || {});
  return h(
    "li",
    {},
    h("h4", {}, `Attempt ${attempt.attempt} at ${clockTime(attempt.at)}: ${attempt.outcome} (${answer})`),
    h(
      "dl",
      { class: "fields", "aria-label": `Headers of attempt ${attempt.attempt}` },
      headers.map(([name, value]) => [h("dt", {}, name), h("dd", { class: "mono" }, value)]),
    ),
    h("pre", { "aria-label": `Body of attempt ${attempt.attempt}` }, pretty(attempt.body)),
  );
}
