// A task's life drawn against the mock's clock, and the same in words for those who cannot see the drawing.

import { svg } from "./dom.js";
import { clockTime, duration } from "./format.js";

const WIDTH = 1000;
const HEIGHT = 34;
const LEFT = 8;
const RIGHT = 8;
const BAR_Y = 14;
const BAR_HEIGHT = 10;

/** The span drawn: from creation to the end or now, whichever is later (at least a second, a little room after). */
function span(plan, nowMs) {
  const start = plan.created_at;
  const end = Math.max(plan.finished_at, nowMs, start + 1000);
  return { start, end: end + (end - start) * 0.03 };
}

/** Draw `plan` ({created_at, processing_at, finished_at, outcome}) into `element` (an <svg>), now at `nowMs`. */
export function drawTimeline(element, plan, nowMs, polls = []) {
  const { start, end } = span(plan, nowMs);
  const x = (ms) => LEFT + ((ms - start) / (end - start)) * (WIDTH - LEFT - RIGHT);
  const parts = [svg("rect", { class: "track", x: LEFT, y: BAR_Y, width: WIDTH - LEFT - RIGHT, height: BAR_HEIGHT, rx: 3 })];
  // Each stage in two pieces: what already happened, and (paler) what the plan says is still to come.
  const stages = [
    ["submitted", plan.created_at, plan.processing_at],
    ["processing", plan.processing_at, plan.finished_at],
  ];
  for (const [name, from, to] of stages) {
    const happened = Math.min(to, nowMs);
    if (happened > from) parts.push(segment(name, x(from), x(happened), false));
    const planned = Math.max(from, nowMs);
    if (to > planned) parts.push(segment(name, x(planned), x(to), true));
  }
  const endX = x(plan.finished_at);
  parts.push(
    svg("rect", {
      class: `${plan.outcome}${plan.finished_at > nowMs ? " future" : ""}`,
      x: endX - 5,
      y: BAR_Y - 5,
      width: 10,
      height: BAR_HEIGHT + 10,
      rx: 2,
    }),
  );
  for (const poll of polls) {
    const at = x(Math.min(Math.max(poll.at, start), end));
    parts.push(svg("line", { class: `poll${poll.status === 200 && poll.code === 0 ? "" : " refused"}`, x1: at, x2: at, y1: 1, y2: BAR_Y - 2 }));
  }
  const nowX = x(Math.min(nowMs, end));
  parts.push(svg("line", { class: "now", x1: nowX, x2: nowX, y1: 1, y2: HEIGHT - 1 }));
  const words = describeTimeline(plan, nowMs, polls);
  element.replaceChildren(svg("title", {}, words), ...parts);
  element.setAttribute("aria-label", words);
}

function segment(name, from, to, future) {
  return svg("rect", { class: `${name}${future ? " future" : ""}`, x: from, y: BAR_Y, width: Math.max(to - from, 1), height: BAR_HEIGHT });
}

/** An empty timeline drawing, to be drawn into: an image with its description as its name. */
export function timelineElement() {
  return svg("svg", {
    class: "timeline",
    viewBox: `0 0 ${WIDTH} ${HEIGHT}`,
    role: "img",
    focusable: "false",
  });
}

/** The timeline in words: what happened, when, and what is planned; now; the polls seen. */
export function describeTimeline(plan, nowMs, polls = []) {
  const after = (ms) => `${clockTime(ms)} (${duration(ms - plan.created_at)} after creation)`;
  const words = [`Created at ${clockTime(plan.created_at)}`];
  if (plan.processing_at > plan.created_at) {
    words.push(`${plan.processing_at <= nowMs ? "processing from" : "will process from"} ${after(plan.processing_at)}`);
  }
  const ended = plan.finished_at <= nowMs;
  words.push(`${ended ? "ended" : "will end"} ${plan.outcome === "succeed" ? "in success" : "in failure"} at ${after(plan.finished_at)}`);
  let sentence = `${words.join(", ")}. Now ${clockTime(nowMs)}: ${statusAt(plan, nowMs)}.`;
  if (polls.length) sentence += ` ${polls.length} ${polls.length === 1 ? "poll" : "polls"} marked above the bar.`;
  return sentence;
}

/** The status at `nowMs`, as the mock computes it. */
export function statusAt(plan, nowMs) {
  if (nowMs >= plan.finished_at) return plan.outcome;
  if (nowMs >= plan.processing_at) return "processing";
  return "submitted";
}

/** "created 00:00:00.000 → processing 00:00:01.000 → succeed 00:00:05.000 (planned)" */
export function legend(plan, nowMs) {
  const mark = (ms) => (ms > nowMs ? " (planned)" : "");
  return [
    `created ${clockTime(plan.created_at)}`,
    `processing ${clockTime(plan.processing_at)}${mark(plan.processing_at)}`,
    `${plan.outcome} ${clockTime(plan.finished_at)}${mark(plan.finished_at)}`,
  ].join(" → ");
}
