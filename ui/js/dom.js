// DOM building with text only. Every profile field is attacker-controlled (any app user can name a
// group `<img src=x onerror=…>`): data only ever becomes a text node, an attribute value, or an
// image src that `photoUrl` has checked. Nothing here parses HTML.

/**
 * Creates an element. `props`: `class`, `text`, `dataset`, `on<event>` (a function), any other
 * attribute (set as a string; `true` for a bare attribute). Children: nodes or text.
 * @param {string} tag
 * @param {Record<string, unknown>} [props]
 * @param {...unknown} children
 * @returns {HTMLElement}
 */
export function h(tag, props = {}, ...children) {
  const el = document.createElement(tag);
  setProps(el, props);
  append(el, children);
  return el;
}

const SVG_NS = 'http://www.w3.org/2000/svg';

/** Creates an SVG element, the same way as `h`. */
export function svg(tag, props = {}, ...children) {
  const el = document.createElementNS(SVG_NS, tag);
  setProps(el, props);
  append(el, children);
  return el;
}

function setProps(el, props) {
  for (const [key, value] of Object.entries(props)) {
    if (value === undefined || value === null || value === false) continue;
    if (key === 'class') el.setAttribute('class', String(value));
    else if (key === 'text') el.textContent = String(value);
    else if (key === 'dataset') Object.assign(el.dataset, value);
    else if (key.startsWith('on') && typeof value === 'function') el.addEventListener(key.slice(2), value);
    else el.setAttribute(key, value === true ? '' : String(value));
  }
}

/** Appends nodes and text (as text nodes); skips null, undefined and false; flattens arrays. */
export function append(el, children) {
  for (const child of children.flat(Number.POSITIVE_INFINITY)) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : String(child));
  }
  return el;
}

/** Removes every child. */
export function clear(el) {
  el.replaceChildren();
  return el;
}

/**
 * The URL to show as a photo, or null: only an absolute `http:` or `https:` URL is ever used as an
 * image source (DESIGN.md "Security"); anything else is shown as text.
 * @param {unknown} value
 * @returns {string | null}
 */
export function photoUrl(value) {
  if (typeof value !== 'string' || value === '') return null;
  try {
    const url = new URL(value);
    return url.protocol === 'http:' || url.protocol === 'https:' ? url.href : null;
  } catch {
    return null;
  }
}

/** A profile photo: a small image when the URL is http(s), else the value as text. */
export function photo(value, size = 32) {
  const url = photoUrl(value);
  if (url === null)
    return h('code', { class: 'value url', title: 'not an http(s) URL: shown as text' }, value);
  const img = h('img', {
    class: 'thumb',
    alt: '',
    title: value,
    width: size,
    height: size,
    loading: 'lazy',
    decoding: 'async',
    referrerpolicy: 'no-referrer',
  });
  // A photo that does not load leaves a plain placeholder (the URL stays beside it, as text).
  img.addEventListener(
    'error',
    () => img.replaceWith(h('span', { class: 'thumb broken', title: 'the photo did not load' })),
    { once: true },
  );
  img.src = url;
  return h('span', { class: 'photo' }, img, h('code', { class: 'url' }, value));
}

/** A link inside the app (the router takes the click). */
export function link(href, props, ...children) {
  return h('a', { ...props, href, dataset: { link: '' } }, ...children);
}
