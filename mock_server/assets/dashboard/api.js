// The admin API, as the page calls it: relative to the page (/__mock__/), with the admin token if one was given.
//
// The token lives in sessionStorage (this tab only, gone when it closes) and travels only in the
// Authorization header: never in a URL, where logs, history and referrers would keep it.

const TOKEN_KEY = "kling-mock-admin-token";

/** An answer other than 2xx: its HTTP status and the Kling envelope's code and message. */
export class ApiError extends Error {
  constructor(status, body) {
    const code = body && typeof body.code === "number" ? body.code : null;
    super(body && body.message ? `${body.message} (HTTP ${status}${code === null ? "" : `, code ${code}`})` : `HTTP ${status}`);
    this.status = status;
    this.code = code;
  }

  /** 1001 (no token) or 1002 (a wrong one): the page must ask for the token. */
  get needsToken() {
    return this.code === 1001 || this.code === 1002;
  }
}

export function token() {
  return sessionStorage.getItem(TOKEN_KEY);
}

export function setToken(value) {
  if (value) sessionStorage.setItem(TOKEN_KEY, value);
  else sessionStorage.removeItem(TOKEN_KEY);
}

/** A path of the admin API with its query (empty values left out). */
export function adminUrl(path, query = {}) {
  const url = new URL(path, document.baseURI);
  for (const [name, value] of Object.entries(query)) {
    if (value !== undefined && value !== null && value !== "") url.searchParams.set(name, String(value));
  }
  return url;
}

/** Call the admin API; the parsed JSON answer, or an ApiError. */
export async function call(method, path, { query, body } = {}) {
  const headers = { Accept: "application/json" };
  const given = token();
  if (given) headers.Authorization = `Bearer ${given}`;
  const init = { method, headers, cache: "no-store" };
  if (body !== undefined) {
    headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  const response = await fetch(adminUrl(path, query), init);
  let parsed = null;
  try {
    parsed = await response.json();
  } catch {
    // not JSON: the error says the status
  }
  if (!response.ok) throw new ApiError(response.status, parsed);
  return parsed;
}

export const get = (path, query) => call("GET", path, { query });
