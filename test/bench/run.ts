// `npm run bench -- <name>`: runs one benchmark from this folder. Never part of `npm test`.
const benchmarks: Record<string, () => Promise<unknown>> = {
  startup: () => import("./startup.js"),
  apply: () => import("./apply.js"),
  embedded: () => import("./embedded.js"),
  fuzz: () => import("./fuzz.js"),
  ingest: () => import("./ingest.js"),
  reports: () => import("./reports.js")
}

const name = process.argv[2]
const load = name === undefined ? undefined : benchmarks[name]
if (load === undefined) {
  console.error(`usage: npm run bench -- <${Object.keys(benchmarks).join("|")}>`)
  process.exit(2)
}
await load()
export {}
