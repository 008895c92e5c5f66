/** One RFC 4180 field: quoted when it holds `"`, `,`, CR or LF, with quotes doubled. */
export const csvField = (value: string | number | null): string => {
  if (value === null) return ""
  const text = String(value)
  return /[",\r\n]/.test(text) ? `"${text.replaceAll("\"", "\"\"")}"` : text
}

/** One CSV record, CRLF-terminated as RFC 4180 has it. */
export const csvRecord = (fields: ReadonlyArray<string | number | null>): string => `${fields.map(csvField).join(",")}\r\n`
