// Building the page: every node is made with createElement and every stored value enters as a
// text node or an attribute value, never as markup (test/unit/dashboard-no-html.test.ts checks).
import { formatInstant, formatRelative } from "./format.js";

export type Child = Node | string | number | null | undefined | false;
type Attr = string | number | boolean | null | undefined;
export type Props = Record<string, Attr | EventListener>;

function apply(el: Element, props: Props | null | undefined): void {
  for (const [key, value] of Object.entries(props ?? {})) {
    if (key.startsWith("on")) {
      // Event handlers only as functions: a string here would be an inline script, which the
      // CSP refuses anyway and which no stored value may ever become.
      if (typeof value !== "function") throw new TypeError(`${key} must be a function`);
      el.addEventListener(key.slice(2), value);
    } else if (typeof value === "function") {
      throw new TypeError(`${key} is not an event`);
    } else if (value === true) {
      el.setAttribute(key, "");
    } else if (value !== false && value !== null && value !== undefined) {
      el.setAttribute(key, String(value));
    }
  }
}

function append(el: Element, children: (Child | Child[])[]): void {
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    el.append(typeof child === "object" ? child : document.createTextNode(String(child)));
  }
}

/** An HTML element; `class` is an attribute like the others, `onclick` takes a function. */
export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  props?: Props | null,
  ...children: (Child | Child[])[]
): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  apply(el, props);
  append(el, children);
  return el;
}

const SVG = "http://www.w3.org/2000/svg";

export function svg<K extends keyof SVGElementTagNameMap>(
  tag: K,
  props?: Props | null,
  ...children: (Child | Child[])[]
): SVGElementTagNameMap[K] {
  const el = document.createElementNS(SVG, tag);
  apply(el, props);
  append(el, children);
  return el;
}

let nextId = 0;
/** A document-unique id, for label `for` and aria references. */
export const uid = (prefix: string): string => `${prefix}-${++nextId}`;

/** Replaces an element's children. */
export function fill(el: Element, ...children: (Child | Child[])[]): void {
  el.replaceChildren();
  append(el, children);
}

/** A time in the reader's zone; hovering shows the UTC value. `relative` adds "in 5 min". */
export function when(value: string | null | undefined, relative = false): HTMLElement {
  const shown = formatInstant(value);
  if (shown.iso === null) return h("span", null, shown.text);
  const rel = relative ? formatRelative(value, new Date()) : "";
  return h(
    "time",
    { datetime: shown.iso, title: `${shown.iso} (UTC)` },
    shown.text,
    rel ? h("span", { class: "muted" }, ` (${rel})`) : null,
  );
}

/** A label and its control, joined by id so screen readers announce the label. */
export function field(label: string, control: HTMLInputElement | HTMLSelectElement | HTMLTextAreaElement): HTMLElement {
  if (!control.id) control.id = uid("f");
  return h("div", { class: "field" }, h("label", { for: control.id }, label), control);
}

export function select(name: string, options: [string, string][], value: string): HTMLSelectElement {
  const el = h("select", { name });
  for (const [v, text] of options) el.append(h("option", { value: v, selected: v === value }, text));
  return el;
}

export function button(label: string, onclick: () => void, props: Props = {}): HTMLButtonElement {
  return h("button", { type: "button", ...props, onclick: () => onclick() }, label);
}

export interface Column<T> {
  label: string;
  cell: (item: T) => Child | Child[];
  /** A class for the column's cells, e.g. "num" to right-align numbers. */
  class?: string;
}

/** A table with a caption and column headers, inside a wrapper that scrolls sideways on a phone. */
export function table<T>(
  caption: string,
  columns: Column<T>[],
  items: readonly T[],
  empty = "Nothing here.",
): HTMLElement {
  const head = h("tr", null, ...columns.map((c) => h("th", { scope: "col", class: c.class }, c.label)));
  const rows = items.map((item) => h("tr", null, ...columns.map((c) => h("td", { class: c.class }, c.cell(item)))));
  const body = rows.length > 0 ? rows : [h("tr", null, h("td", { colspan: columns.length, class: "empty" }, empty))];
  return h(
    "div",
    { class: "table-wrap", tabindex: 0, role: "region", "aria-label": caption },
    h("table", null, h("caption", null, caption), h("thead", null, head), h("tbody", null, ...body)),
  );
}

/** A state word as a coloured badge; the colour is a class, the word carries the meaning. */
export const badge = (word: string, kind = word): HTMLElement => h("span", { class: `badge b-${kind}` }, word);

export interface Segment {
  value: number;
  class: string;
  label: string;
}

/**
 * A stacked bar. Widths are set through the CSSOM, which style-src 'self' allows; a style
 * attribute in markup would be refused.
 */
export function stackedBar(label: string, total: number, segments: Segment[]): HTMLElement {
  const done = segments.reduce((n, s) => n + s.value, 0);
  const bar = h("div", {
    class: "bar",
    role: "progressbar",
    "aria-label": label,
    "aria-valuemin": 0,
    "aria-valuemax": total,
    "aria-valuenow": Math.min(done, total),
    "aria-valuetext": segments.map((s) => `${s.value} ${s.label}`).join(", "),
  });
  for (const s of segments) {
    if (s.value <= 0) continue;
    const part = h("span", { class: `seg ${s.class}` });
    part.style.width = `${total > 0 ? Math.min(100, (s.value / total) * 100) : 0}%`;
    bar.append(part);
  }
  return bar;
}

/** A heading the router focuses after navigation, so a screen reader announces the new page. */
export const pageHeading = (text: string): HTMLHeadingElement => h("h1", { tabindex: -1, class: "page-title" }, text);

export function section(title: string, ...children: (Child | Child[])[]): HTMLElement {
  const id = uid("s");
  return h("section", { "aria-labelledby": id }, h("h2", { id }, title), ...children);
}
