// Every node is built with createElement and text nodes: nothing the service returns (addresses,
// reasons, user agents, URLs) is ever parsed as HTML. There is no innerHTML in the dashboard.

export type Child = Node | string | number | null | undefined | false

type Attributes = Readonly<Record<string, string | number | boolean | undefined | ((event: Event) => void)>>

/** An element with attributes (`on…` ones are listeners; `true` is a bare attribute) and children as text or nodes. */
export const h = <K extends keyof HTMLElementTagNameMap>(tag: K, attributes: Attributes = {}, ...children: ReadonlyArray<Child | ReadonlyArray<Child>>): HTMLElementTagNameMap[K] => {
  const element = document.createElement(tag)
  for (const [name, value] of Object.entries(attributes)) {
    if (value === undefined || value === false) continue
    if (typeof value === "function") element.addEventListener(name.slice(2), value)
    else element.setAttribute(name, value === true ? "" : String(value))
  }
  append(element, ...children)
  return element
}

export const append = (parent: Node, ...children: ReadonlyArray<Child | ReadonlyArray<Child>>) => {
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue
    parent.appendChild(typeof child === "object" ? child : document.createTextNode(String(child)))
  }
}

/** Replaces an element's content. */
export const replace = (parent: Element, ...children: ReadonlyArray<Child | ReadonlyArray<Child>>) => {
  parent.replaceChildren()
  append(parent, ...children)
}

export interface Column<A> {
  readonly label: string
  readonly cell: (row: A) => Child | ReadonlyArray<Child>
  readonly numeric?: boolean
}

/** A table in a region that scrolls sideways on a narrow screen (focusable, so the keyboard can scroll it). */
export const table = <A>(caption: string, columns: ReadonlyArray<Column<A>>, rows: ReadonlyArray<A>, rowAttributes: (row: A) => Attributes = () => ({})) =>
  h("div", { class: "table-wrap", tabindex: 0, role: "region", "aria-label": caption },
    h("table", {},
      h("caption", {}, caption),
      h("thead", {}, h("tr", {}, columns.map((column) => h("th", { scope: "col", class: column.numeric ? "num" : undefined }, column.label)))),
      h("tbody", {}, rows.length === 0
        ? h("tr", {}, h("td", { colspan: columns.length, class: "empty" }, "Nothing here yet."))
        : rows.map((row) => h("tr", rowAttributes(row), columns.map((column) => h("td", { class: column.numeric ? "num" : undefined }, column.cell(row))))))))

/** A labelled form control. */
export const field = (label: string, control: HTMLElement) => h("label", { class: "field" }, h("span", {}, label), control)

export const select = (name: string, options: ReadonlyArray<readonly [value: string, label: string]>, selected = "") =>
  h("select", { name }, options.map(([value, label]) => h("option", { value, selected: value === selected }, label)))

export const number = (n: number) => n.toLocaleString("en-US")

export const percent = (fraction: number) => `${(fraction * 100).toFixed(2)}%`

export const dateTime = (iso: string | null | undefined) => (iso === null || iso === undefined ? "—" : new Date(iso).toISOString().replace("T", " ").slice(0, 19))

/** A status line that screen readers announce; errors are shown in it too. */
export const notice = (text: string, kind: "info" | "error" = "info") =>
  h("p", { class: `notice ${kind}`, role: kind === "error" ? "alert" : "status" }, text)

export const heading = (text: string) => h("h1", { tabindex: -1 }, text)
