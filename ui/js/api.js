// The recorder's JSON API, with the API token when the recorder has one: asked for once, kept in
// sessionStorage (localStorage when "remember" is ticked), sent as `Authorization: Bearer`.

const KEY = 'timhook.apiToken';

/** An error answer of the API: `{ error: { code, message } }` with its status. */
export class ApiError extends Error {
  constructor(status, code, message) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
  }
}

function storedToken() {
  try {
    return sessionStorage.getItem(KEY) ?? localStorage.getItem(KEY);
  } catch {
    return null;
  }
}

let token = storedToken();

/** True when the page sends a token (the recorder asked for one). */
export function hasToken() {
  return token !== null;
}

/** The headers every API call carries. */
export function authHeaders() {
  return token === null ? {} : { authorization: `Bearer ${token}` };
}

let asking = null;

/**
 * Shows the token dialog (once, however many calls wait for it) and resolves when a token was
 * entered. `refused` says the last one was wrong.
 */
export function askToken(refused = false) {
  asking ??= new Promise((resolve) => {
    const dialog = document.getElementById('token-dialog');
    const form = document.getElementById('token-form');
    const input = document.getElementById('token-input');
    const remember = document.getElementById('token-remember');
    const error = document.getElementById('token-error');
    error.hidden = !refused;
    error.textContent = refused ? 'That token was refused. Try again.' : '';
    input.value = '';
    const submit = (event) => {
      event.preventDefault();
      const value = input.value.trim();
      if (value === '') return;
      form.removeEventListener('submit', submit);
      token = value;
      try {
        sessionStorage.setItem(KEY, value);
        if (remember.checked) localStorage.setItem(KEY, value);
        else localStorage.removeItem(KEY);
      } catch {
        // Storage may be off (private mode): the token lives in memory for this page.
      }
      dialog.close();
      asking = null;
      resolve();
    };
    form.addEventListener('submit', submit);
    // A dialog the user could dismiss would leave the page with nothing to show: keep it open.
    dialog.addEventListener('cancel', (event) => event.preventDefault());
    dialog.showModal();
    input.focus();
  });
  return asking;
}

/** Forgets a token the recorder refused. */
function forgetToken() {
  token = null;
  try {
    sessionStorage.removeItem(KEY);
    localStorage.removeItem(KEY);
  } catch {
    // See askToken.
  }
}

/**
 * Fetches an API path with the token, asking for it on 401. Returns the raw response (2xx);
 * throws ApiError otherwise.
 * @param {string} path
 * @param {RequestInit} [init]
 */
export async function apiFetch(path, init = {}) {
  for (;;) {
    const response = await fetch(path, {
      ...init,
      headers: { ...authHeaders(), ...(init.headers ?? {}) },
      cache: 'no-store',
    });
    if (response.status === 401) {
      const refused = token !== null;
      forgetToken();
      await askToken(refused);
      continue;
    }
    if (!response.ok) {
      let error = { code: 'http_error', message: `HTTP ${response.status}` };
      try {
        error = (await response.json()).error ?? error;
      } catch {
        // Not the API's JSON: keep the status.
      }
      throw new ApiError(response.status, error.code, error.message);
    }
    return response;
  }
}

/**
 * GETs JSON from the API; `params` (an object or URLSearchParams) become the query, empty values
 * left out.
 */
export async function apiGet(path, params) {
  const response = await apiFetch(withQuery(path, params));
  return response.json();
}

/** `path?query`, without empty parameters. */
export function withQuery(path, params) {
  if (!params) return path;
  const query = new URLSearchParams();
  const entries = params instanceof URLSearchParams ? params.entries() : Object.entries(params);
  for (const [key, value] of entries) {
    if (value !== undefined && value !== null && value !== '') query.set(key, String(value));
  }
  const text = query.toString();
  return text === '' ? path : `${path}?${text}`;
}

/** Encodes an id for a path segment (ids hold `@` and `#`). */
export const enc = encodeURIComponent;
