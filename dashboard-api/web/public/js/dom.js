// A tiny element builder. Text goes in as text nodes, never as HTML, so nothing from the API
// or an alert message can become markup; styling is by class (the CSP refuses inline styles).
/* global document */

/**
 * @param {string} tag e.g. 'div.card.big' or 'button#ack'
 * @param {Record<string, any> | null} [attrs]
 * @param {...any} children strings, numbers, nodes, arrays, null
 */
export function h(tag, attrs, ...children) {
  const [name, ...rest] = tag.split(/(?=[.#])/)
  const el = document.createElement(name || 'div')
  for (const r of rest) {
    if (r.startsWith('.')) el.classList.add(r.slice(1))
    else el.id = r.slice(1)
  }
  for (const [k, v] of Object.entries(attrs ?? {})) {
    if (v === undefined || v === null || v === false) continue
    if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), v)
    else if (k === 'class') el.classList.add(...String(v).split(/\s+/).filter(Boolean))
    else if (k === 'dataset') Object.assign(el.dataset, v)
    else if (k in el && typeof v !== 'string') el[k] = v
    else el.setAttribute(k, v === true ? '' : String(v))
  }
  append(el, children)
  return el
}

function append(el, children) {
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue
    if (Array.isArray(c)) append(el, c)
    else el.append(c instanceof Node ? c : document.createTextNode(String(c)))
  }
}

/* global Node */

/** Replace an element's children. */
export function fill(el, ...children) {
  el.replaceChildren()
  append(el, children)
  return el
}

/** Coalesce renders to one per animation frame, however many deltas arrive in between. */
export function frameThrottle(fn) {
  let queued = false
  return () => {
    if (queued) return
    queued = true
    globalThis.requestAnimationFrame(() => {
      queued = false
      fn()
    })
  }
}
