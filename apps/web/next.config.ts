import type { NextConfig } from "next";

const config: NextConfig = {
  transpilePackages: ["@authpi/domain", "@authpi/trpc"],
  poweredByHeader: false,
};

export default config;
