// The dashboard: one section shown at a time (chosen by the address's #fragment, so links, the back button and
// bookmarks work), kept live by polling the admin API.
//
// Why polling, every second, and not server-sent events: a poll is an ordinary short request, so it works
// under every way of serving the mock (granian or gunicorn, one worker or many, sync or threaded) and sees the
// state every worker shares in the store. An event stream would hold a worker thread for as long as the page
// is open (gunicorn's sync and gthread workers, granian's WSGI threads): one open tab could take the only
// thread of a one-thread worker. A second is short for a person watching, and the requests are cheap.

import { ApiError, call, get, setToken, token } from "./api.js";
import { mountCallbacks } from "./callbacks.js";
import { mountConfig } from "./config.js";
import { setText } from "./dom.js";
import { clockDateTime } from "./format.js";
import { mountJournal } from "./journal.js";
import { mountScenarios } from "./scenarios.js";
import { mountTasks } from "./tasks.js";

const INTERVAL_MS = 1000;
const byId = (id) => document.getElementById(id);

let paused = false;
let timer = 0;
let running = null; // the refresh under way, if any
let again = false; // another refresh was asked for while one ran
let waitingForToken = false;

const page = {
  /** Refresh now (after an action or a change of filters) rather than at the next tick. */
  refreshNow() {
    if (running) again = true;
    else tick();
  },
  /** Show a problem the page could not handle in place. */
  problem(error) {
    if (error instanceof ApiError && error.needsToken) askForToken(error);
    else showProblem(`The mock did not answer as expected: ${error.message}`);
  },
};

const views = {
  tasks: mountTasks(page),
  journal: mountJournal(page),
  callbacks: mountCallbacks(page),
  scenarios: mountScenarios(page),
  config: mountConfig(page),
};
let current = "tasks";

function showProblem(text) {
  const problem = byId("problem");
  setText(problem, text);
  problem.hidden = !text;
}

function viewFromAddress() {
  const name = location.hash.slice(1);
  return Object.hasOwn(views, name) ? name : "tasks";
}

function showView(name, { focus }) {
  current = name;
  for (const section of document.querySelectorAll("section.view")) section.hidden = section.id !== name;
  for (const link of document.querySelectorAll(".sections a")) {
    if (link.hash === `#${name}`) link.setAttribute("aria-current", "page");
    else link.removeAttribute("aria-current");
  }
  // After a click or Enter on a section link, the reader continues at the section's title.
  if (focus) byId(`${name}-title`).focus();
  page.refreshNow();
}

function showClock(clock) {
  const now = byId("clock-now");
  setText(now, clockDateTime(clock.now_ms));
  now.setAttribute("datetime", new Date(clock.now_ms).toISOString());
  setText(byId("clock-kind"), clock.virtual ? "(virtual clock: it moves only when advanced)" : "(real clock)");
  byId("advance").hidden = !clock.virtual;
}

async function tick() {
  clearTimeout(timer);
  if (waitingForToken) return;
  running = (async () => {
    try {
      const clock = await get("clock");
      showClock(clock);
      await views[current].refresh(clock);
      showProblem("");
      setText(byId("updated"), paused ? "Live updates paused." : `Live: updated ${new Date().toLocaleTimeString()}.`);
    } catch (error) {
      if (error instanceof ApiError && error.needsToken) askForToken(error);
      else showProblem(`The mock did not answer (${error.message}); trying again every second.`);
    }
  })();
  await running;
  running = null;
  if (again) {
    again = false;
    tick();
    return;
  }
  schedule();
}

function schedule() {
  clearTimeout(timer);
  // A hidden tab asks nothing: it catches up as soon as it is shown again.
  if (!paused && !waitingForToken && !document.hidden) timer = setTimeout(tick, INTERVAL_MS);
}

// -- the admin token ---------------------------------------------------------------------------------------

function askForToken(error) {
  waitingForToken = true;
  clearTimeout(timer);
  const login = byId("login");
  const wasHidden = login.hidden;
  login.hidden = false;
  for (const section of document.querySelectorAll("section.view")) section.hidden = true;
  setText(byId("login-error"), token() && error.code === 1002 ? "The mock did not accept this token. Try again." : "");
  setText(byId("updated"), "Waiting for the admin token.");
  if (wasHidden) byId("token").focus();
}

byId("login-form").addEventListener("submit", (event) => {
  event.preventDefault();
  const input = byId("token");
  setToken(input.value.trim());
  input.value = "";
  byId("login").hidden = true;
  byId("forget-token").hidden = false;
  waitingForToken = false;
  showView(viewFromAddress(), { focus: false });
  views.scenarios.refresh().catch(() => {}); // the scenario names the filters offer
});

byId("forget-token").addEventListener("click", () => {
  setToken(null);
  byId("forget-token").hidden = true;
  page.refreshNow();
});

// -- the clock ---------------------------------------------------------------------------------------------

async function advance(seconds) {
  if (!(seconds >= 0)) {
    showProblem("Advance by a number of seconds, 0 or more.");
    return;
  }
  try {
    await call("POST", "clock/advance", { body: { seconds } });
    page.refreshNow();
  } catch (error) {
    page.problem(error);
  }
}

byId("advance").addEventListener("submit", (event) => {
  event.preventDefault();
  advance(Number(byId("advance-seconds").value));
});
for (const button of document.querySelectorAll("#advance [data-seconds]")) {
  button.addEventListener("click", () => advance(Number(button.dataset.seconds)));
}

// -- live updates ------------------------------------------------------------------------------------------

byId("pause").addEventListener("click", (event) => {
  paused = !paused;
  const button = event.currentTarget;
  button.setAttribute("aria-pressed", String(paused));
  setText(button, paused ? "Resume live updates" : "Pause live updates");
  if (paused) {
    clearTimeout(timer);
    setText(byId("updated"), "Live updates paused.");
  } else {
    page.refreshNow();
  }
});

document.addEventListener("visibilitychange", () => {
  if (!document.hidden) page.refreshNow();
});
window.addEventListener("hashchange", () => showView(viewFromAddress(), { focus: true }));

byId("forget-token").hidden = !token();
showView(viewFromAddress(), { focus: false });
views.scenarios.refresh().catch(() => {}); // the scenario names the filters offer
