/**
 * A text cell a spreadsheet would run as a formula (OWASP, "CSV Injection": it starts with `=`, `+`,
 * `-`, `@`, a tab or a CR) is prefixed with `'`, so it shows as typed. Numbers are written as numbers.
 */
const inert = (text: string): string => (/^[=+\-@\t\r]/.test(text) ? `'${text}` : text)

/** One RFC 4180 field: quoted when it holds `"`, `,`, CR or LF, with quotes doubled. */
export const csvField = (value: string | number | null): string => {
  if (value === null) return ""
  const text = typeof value === "number" ? String(value) : inert(value)
  return /[",\r\n]/.test(text) ? `"${text.replaceAll("\"", "\"\"")}"` : text
}

/** One CSV record, CRLF-terminated as RFC 4180 has it. */
export const csvRecord = (fields: ReadonlyArray<string | number | null>): string => `${fields.map(csvField).join(",")}\r\n`
