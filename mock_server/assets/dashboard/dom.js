// Building elements from data. Every value goes in as text or as an attribute, never as HTML: the page shows
// request bodies any client sent.

const SVG_NS = "http://www.w3.org/2000/svg";

function fill(element, attributes, children) {
  for (const [name, value] of Object.entries(attributes)) {
    if (value === false || value === null || value === undefined) continue;
    if (name.startsWith("on")) element.addEventListener(name.slice(2), value);
    else element.setAttribute(name, value === true ? "" : String(value));
  }
  element.append(...children.flat(Infinity).filter((child) => child !== null && child !== undefined && child !== false));
  return element;
}

/** An HTML element: h("a", {href: "#tasks"}, "Tasks"). */
export function h(tag, attributes = {}, ...children) {
  return fill(document.createElement(tag), attributes, children);
}

/** An SVG element, as h. */
export function svg(tag, attributes = {}, ...children) {
  return fill(document.createElementNS(SVG_NS, tag), attributes, children);
}

/**
 * Make `container`'s children one element per item, in the items' order, reusing the element of each key.
 *
 * Reusing (rather than rebuilding the list every second) is what keeps an opened <details>, the keyboard
 * focus, a half-typed value and a playing <video> through the live updates. `update(element, item)` runs for
 * every item; it decides itself whether anything changed.
 */
export function syncList(container, items, keyOf, create, update) {
  const existing = new Map();
  for (const element of container.children) existing.set(element.dataset.key, element);
  let cursor = container.firstElementChild;
  for (const item of items) {
    const key = String(keyOf(item));
    let element = existing.get(key);
    if (element) {
      existing.delete(key);
    } else {
      element = create(item);
      element.dataset.key = key;
    }
    update(element, item);
    if (element === cursor) cursor = cursor.nextElementSibling;
    else container.insertBefore(element, cursor);
  }
  for (const element of existing.values()) element.remove();
}

/** A line of parts laid out apart: spaces between them, so that they read (and copy) as separate words. */
export function line(...parts) {
  const shown = parts.filter((part) => part !== null && part !== undefined && part !== false);
  return h("span", { class: "line-parts" }, shown.flatMap((part, index) => (index ? [" ", part] : [part])));
}

/** Set `element`'s text only when it differs (a write the screen reader and the layout need not see). */
export function setText(element, text) {
  if (element.textContent !== text) element.textContent = text;
}

/** The non-empty fields of a form, as strings. */
export function formValues(form) {
  const values = {};
  for (const [name, value] of new FormData(form)) {
    if (typeof value === "string" && value.trim() !== "") values[name] = value.trim();
  }
  return values;
}

/** Replace a <datalist>'s options with `values`, sorted (only when they changed). */
export function syncOptions(datalist, values) {
  const sorted = [...values].sort();
  const now = [...datalist.options].map((option) => option.value);
  if (now.join("\n") === sorted.join("\n")) return;
  datalist.replaceChildren(...sorted.map((value) => h("option", { value })));
}

/** JSON, indented for reading. */
export function pretty(value) {
  return JSON.stringify(value, null, 2);
}
