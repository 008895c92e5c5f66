import * as path from "node:path"
import { fileURLToPath } from "node:url"
import { Data, Effect } from "effect"

/** The dashboard's client bundle could not be built: a defect of this release, reported at the first request. */
export class DashboardBuildFailed extends Data.TaggedError("DashboardBuildFailed")<{ readonly message: string }> {}

export interface Asset {
  readonly body: Uint8Array
  readonly contentType: string
}

export interface DashboardBundle {
  /** The page at /dashboard: a shell that loads the hashed script and stylesheet, nothing inline. */
  readonly page: string
  /** Hashed file name (`main-1a2b3c4d.js`) → its bytes, served under /dashboard/assets/. */
  readonly assets: ReadonlyMap<string, Asset>
}

export const assetsPath = "/dashboard/assets"

const entrypoint = fileURLToPath(new URL("../dashboard/main.ts", import.meta.url))

const shell = (script: string, styles: ReadonlyArray<string>) => `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light dark">
<title>Sendtrail dashboard</title>
<link rel="icon" href="data:,">
${styles.map((name) => `<link rel="stylesheet" href="${assetsPath}/${name}">`).join("\n")}
<script type="module" src="${assetsPath}/${script}"></script>
</head>
<body>
<noscript>The Sendtrail dashboard needs JavaScript. The API itself is described at /docs.</noscript>
<div id="app"></div>
</body>
</html>
`

/**
 * Bundles src/dashboard with Bun's bundler, in memory: the script and the stylesheets it imports
 * (uPlot's included), minified, named by their content hash so they can be cached for a year.
 */
export const buildDashboard = Effect.gen(function* () {
  const result = yield* Effect.tryPromise({
    try: () =>
      Bun.build({
        entrypoints: [entrypoint],
        target: "browser",
        minify: true,
        naming: { entry: "[name]-[hash].[ext]", chunk: "[name]-[hash].[ext]", asset: "[name]-[hash].[ext]" }
      }),
    catch: (error) => new DashboardBuildFailed({ message: String(error) })
  })
  if (!result.success) return yield* new DashboardBuildFailed({ message: result.logs.map(String).join("\n") })
  const assets = new Map<string, Asset>()
  for (const output of result.outputs) {
    assets.set(path.basename(output.path), { body: new Uint8Array(yield* Effect.promise(() => output.arrayBuffer())), contentType: output.type })
  }
  const names = [...assets.keys()]
  const script = names.find((name) => name.endsWith(".js"))
  if (script === undefined) return yield* new DashboardBuildFailed({ message: "the bundle has no script" })
  return { page: shell(script, names.filter((name) => name.endsWith(".css"))), assets } satisfies DashboardBundle
})
