// Tasks: every account's, newest first (GET tasks), each on its timeline, with its requests from the journal
// (GET requests?task_id=...) and its result video.

import { adminUrl, call, get } from "./api.js";
import { formValues, h, setText, syncList, syncOptions } from "./dom.js";
import { clockTime, timeNear } from "./format.js";
import { drawTimeline, legend, timelineElement } from "./timeline.js";

const PAGE = 50;
const MAX = 1000;

export function mountTasks(page) {
  const form = document.getElementById("task-filters");
  const list = document.getElementById("task-list");
  const summary = document.getElementById("tasks-summary");
  const more = document.getElementById("tasks-more");
  const count = document.getElementById("tasks-count");
  const accounts = new Set();
  // task id -> its journal entries, for the tasks whose requests are shown (read only while shown)
  const requests = new Map();
  let filters = {};
  let limit = PAGE;
  // Bumped by each change of filters: an answer to the filters before it is dropped, not drawn.
  let generation = 0;
  let last = null;

  function apply() {
    const next = formValues(form);
    if (JSON.stringify(next) === JSON.stringify(filters)) return;
    filters = next;
    limit = PAGE;
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
  form.addEventListener("reset", () => setTimeout(apply)); // once the fields are empty
  more.addEventListener("click", () => {
    limit = Math.min(limit + PAGE, MAX);
    page.refreshNow();
  });

  async function loadRequests(taskId) {
    const answer = await get("requests", { task_id: taskId, order: "oldest", limit: 200 });
    // By the mock's time first: with several workers the journal numbers entries as each worker writes its
    // batch, so a poll may be numbered before the create another worker answered earlier.
    requests.set(taskId, answer.requests.sort((a, b) => a.at - b.at || a.id - b.id));
  }

  function create(task) {
    const badge = h("span", { class: "badge" });
    const facts = h("dl", { class: "facts" });
    const message = h("p", { class: "message", hidden: true });
    const drawing = timelineElement();
    const legendLine = h("p", { class: "legend" });
    const requestList = h("ol", { class: "polls" });
    const closedSummary = "Requests for this task (polls), from the journal";
    const requestSummary = h("summary", {}, closedSummary);
    const details = h("details", { class: "requests" }, requestSummary, requestList);
    details.addEventListener("toggle", async () => {
      if (!details.open) {
        // Not read while closed, so no count that would go stale.
        requests.delete(task.task_id);
        setText(requestSummary, closedSummary);
        return;
      }
      try {
        await loadRequests(task.task_id);
        if (last) render(last.answer, last.nowMs);
      } catch (error) {
        page.problem(error);
      }
    });
    const result = h("div", { class: "result", hidden: true });
    const actions = forceControls(task.task_id, page);
    const item = h(
      "li",
      { class: "task" },
      h("div", { class: "task-head" }, h("h3", {}, `Task ${task.task_id}`), badge),
      facts,
      message,
      drawing,
      legendLine,
      details,
      actions,
      result,
    );
    item.parts = {
      badge, facts, message, drawing, legendLine, requestList, requestSummary, actions, result, drawn: "", factsShown: "",
    };
    return item;
  }

  function update(item, task, nowMs) {
    const parts = item.parts;
    setText(parts.badge, task.task_status);
    parts.badge.className = `badge ${task.task_status}`;
    const factList = [
      ["Account", task.account],
      ["Family", task.family],
      ["Scenario", task.scenario],
      ["Created", timeNear(task.created_at, nowMs)],
      ["Updated", timeNear(task.updated_at, nowMs)],
    ];
    const external = task.task_info && task.task_info.external_task_id;
    if (external) factList.push(["External id", external]);
    const factsShown = JSON.stringify(factList);
    if (parts.factsShown !== factsShown) {
      parts.facts.replaceChildren(...factList.map(([name, value]) => h("div", {}, h("dt", {}, name), h("dd", {}, value))));
      parts.factsShown = factsShown;
    }
    parts.message.hidden = !task.task_status_msg;
    setText(parts.message, task.task_status_msg ? `Message: ${task.task_status_msg}` : "");

    const seen = requests.get(task.task_id) || [];
    const polls = seen.filter((entry) => entry.method === "GET");
    const drawn = JSON.stringify([task.plan, nowMs, polls.map((entry) => entry.id)]);
    if (parts.drawn !== drawn) {
      drawTimeline(parts.drawing, task.plan, nowMs, polls);
      setText(parts.legendLine, legend(task.plan, nowMs));
      parts.drawn = drawn;
    }
    if (requests.has(task.task_id)) {
      setText(parts.requestSummary, `Requests for this task: ${seen.length} (${polls.length} ${polls.length === 1 ? "poll" : "polls"})`);
      syncList(parts.requestList, seen, (entry) => entry.id, requestItem, () => {});
    }
    // A finished task's status is final (the operator route refuses it): the controls go with it.
    parts.actions.hidden = task.task_status === "succeed" || task.task_status === "failed";
    showResult(parts.result, task);
  }

  function render(answer, nowMs) {
    last = { answer, nowMs };
    for (const task of answer.tasks) accounts.add(task.account);
    syncOptions(document.getElementById("known-accounts"), accounts);
    syncList(list, answer.tasks, (task) => task.task_id, create, (item, task) => update(item, task, nowMs));
    const filtered = Object.keys(filters).length > 0;
    setText(
      summary,
      answer.total === 0
        ? filtered
          ? "No task matches these filters."
          : "No task yet: create one through the API and it appears here."
        : `Showing ${answer.tasks.length} of ${answer.total} ${filtered ? "matching " : ""}${answer.total === 1 ? "task" : "tasks"}, newest first.`,
    );
    setText(count, `(${answer.total})`);
    more.hidden = answer.tasks.length >= answer.total || limit >= MAX;
  }

  return {
    async refresh(clock) {
      const asked = generation;
      const answer = await get("tasks", { ...filters, limit });
      if (asked !== generation) return;
      const shown = new Set(answer.tasks.map((task) => task.task_id));
      for (const taskId of [...requests.keys()]) {
        if (!shown.has(taskId)) requests.delete(taskId);
      }
      await Promise.all([...requests.keys()].map(loadRequests));
      render(answer, clock.now_ms);
    },
  };
}

/** Buttons that force the task's state through POST tasks/<id>/state, as an operator would (README). */
function forceControls(taskId, page) {
  const message = h("input", { type: "text", name: "message", placeholder: "task failed (forced by the mock's operator)" });
  const label = h("label", {}, "Failure message ", message);
  async function force(status) {
    const body = { status };
    if (status === "failed" && message.value.trim()) body.message = message.value.trim();
    try {
      await call("POST", `tasks/${encodeURIComponent(taskId)}/state`, { body });
      page.refreshNow();
    } catch (error) {
      page.problem(error);
    }
  }
  const button = (status, text) =>
    h("button", { type: "button", "aria-label": `${text} task ${taskId}`, onclick: () => force(status) }, text);
  return h(
    "div",
    { class: "actions force", role: "group", "aria-label": `Force the state of task ${taskId}` },
    h("span", {}, "Force:"),
    button("processing", "Processing"),
    button("succeed", "Succeed"),
    button("failed", "Fail"),
    label,
  );
}

function requestItem(entry) {
  const outcome = entry.status === 200 && entry.code === 0;
  const query = entry.query ? `?${entry.query}` : "";
  return h(
    "li",
    {},
    h("span", { class: "at" }, clockTime(entry.at)),
    ` ${entry.method} ${entry.path}${query} → `,
    h("span", { class: outcome ? "ok" : "bad" }, `HTTP ${entry.status || "none (transport fault)"}, code ${entry.code ?? "none"}`),
  );
}

/** The result video, playable here: added once, when the task succeeds, and then left alone (it may be playing). */
function showResult(container, task) {
  const video = task.task_result && task.task_result.videos && task.task_result.videos[0];
  if (!video) {
    container.hidden = true;
    container.replaceChildren();
    return;
  }
  if (container.dataset.video === video.id) return;
  // From this page's origin, whatever base URL the task was created under: that one may be a public URL
  // this browser cannot reach, and the page's policy plays media from the mock only.
  const source = adminUrl(`videos/${encodeURIComponent(video.id)}.mp4`).href;
  const links = [h("a", { href: source, download: `${video.id}.mp4` }, "Download the result (MP4)")];
  if (video.watermark_url) {
    links.push(h("a", { href: adminUrl(`watermarked/${encodeURIComponent(video.id)}.mp4`).href }, "Watermarked copy"));
  }
  container.replaceChildren(
    h("video", {
      controls: true,
      // Nothing is fetched until played (a page of 50 results would be 50 downloads); the poster is the
      // mock's face still, a frame of that same video, one small file for every task.
      preload: "none",
      poster: adminUrl("faces/result/poster.jpg").href,
      src: source,
      width: 200,
      height: 150,
      "aria-label": `Result video of task ${task.task_id}`,
    }),
    h("p", {}, ...links),
  );
  container.dataset.video = video.id;
  container.hidden = false;
}
