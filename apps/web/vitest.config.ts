import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts", "src/**/*.test.ts"],
    globalSetup: ["@authpi/server/testing/global-setup"],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // Files run in parallel against one database; each makes its own accounts.
    fileParallelism: true,
  },
});
