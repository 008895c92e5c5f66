import { defineConfig } from "vitest/config"

export default defineConfig({
  test: {
    root: new URL("..", import.meta.url).pathname.replace(/\/$/, ""),
    include: ["test/**/*.test.ts"],
    globalSetup: ["test/support/globalSetup.ts"],
    // Each file in a VM context of a reused process: under Bun this imports Effect faster per file than
    // a fresh fork (isolate: false would be faster still, but Bun ends such runs with "Terminating
    // worker thread"). Files wait on PostgreSQL and on service processes: more workers than cores.
    pool: "vmForks",
    maxWorkers: 3,
    minWorkers: 1,
    hookTimeout: 60_000,
    testTimeout: 30_000
  }
})
