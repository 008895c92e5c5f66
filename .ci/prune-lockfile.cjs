// The npm registry this project builds from serves only some platform builds of a few packages
// (rollup, msgpackr-extract). npm still lists the absent ones as optional dependencies in
// package-lock.json, and `npm ci` then refuses the lockfile as out of sync. This drops optional
// dependencies that have no entry of their own. Run it after `npm install` changes the lockfile.
const fs = require("node:fs")
const path = require("node:path")

const file = path.join(__dirname, "..", "package-lock.json")
const lock = JSON.parse(fs.readFileSync(file, "utf8"))
const present = new Set(Object.keys(lock.packages).map((key) => key.replace(/^.*node_modules\//, "")))
const dropped = []
for (const entry of Object.values(lock.packages)) {
  for (const name of Object.keys(entry.optionalDependencies ?? {})) {
    if (!present.has(name)) {
      delete entry.optionalDependencies[name]
      dropped.push(name)
    }
  }
}
fs.writeFileSync(file, JSON.stringify(lock, null, 2) + "\n")
console.log(`dropped ${dropped.length} optional dependencies the registry does not serve`)
