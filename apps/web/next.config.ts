import type { NextConfig } from "next";

const config: NextConfig = {
  // Lets parallel builds (e.g. two e2e runs) use separate output folders.
  distDir: process.env.NEXT_DIST_DIR ?? ".next",
  transpilePackages: ["@authpi/domain", "@authpi/trpc"],
  poweredByHeader: false,
  // `pnpm typecheck` (tsc over the whole app, tests included) is the type gate; the
  // build does not repeat it.
  typescript: { ignoreBuildErrors: true },
};

export default config;
