import { defineConfig } from "vitest/config"

export default defineConfig({
  test: {
    root: new URL("..", import.meta.url).pathname.replace(/\/$/, ""),
    include: ["test/**/*.test.ts"],
    globalSetup: ["test/support/globalSetup.ts"],
    // Files wait on PostgreSQL and on service processes more than on the CPU: more workers than cores.
    maxWorkers: 3,
    minWorkers: 1,
    hookTimeout: 60_000,
    testTimeout: 30_000
  }
})
