// `pnpm build` (after `next build`): the server's TypeScript — src/server-main.ts and the
// workspace packages it imports — bundled into one plain ES module, dist/server.mjs, which
// server.mjs runs in production. No TypeScript is transformed at run time then (tsx's per-file
// transform cache and source maps were ≈ 75 MB of the server's resident memory), and none of
// the helpers tsx's transform adds to every function runs per call.
//
// Packages from node_modules stay external, each imported by the absolute path it resolves to
// from the file that imports it (pnpm gives every workspace package its own node_modules), and
// `import.meta.dirname` / `import.meta.url` keep the value they have in the source file, so
// paths relative to a source (migrations, assets) hold. The bundle belongs to this checkout,
// like `.next/`. dist/server.inputs.json lists the sources and the package files it imports:
// server.mjs runs the sources instead when one is newer than the bundle or gone.
import { readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { build } from "esbuild";

const web = path.resolve(import.meta.dirname, "..");
const outfile = path.join(web, "dist/server.mjs");

/** Bare imports of installed packages: external, at their resolved absolute path. */
const externalPackages = {
  name: "external-packages",
  setup(b) {
    b.onResolve({ filter: /^[^./]/ }, async (args) => {
      if (args.pluginData === "resolving" || args.path.startsWith("@authpi/")) return undefined;
      if (args.path.startsWith("node:")) return { path: args.path, external: true };
      const resolved = await b.resolve(args.path, {
        resolveDir: args.resolveDir,
        kind: args.kind,
        importer: args.importer,
        pluginData: "resolving",
      });
      if (resolved.errors.length > 0) return { errors: resolved.errors };
      // A Node built-in imported without `node:` resolves to itself.
      if (!path.isAbsolute(resolved.path)) return { path: args.path, external: true };
      return { path: pathToFileURL(resolved.path).href, external: true };
    });
  },
};

/** `import.meta.dirname` and `import.meta.url` as in the source file, not the bundle. */
const sourceLocation = {
  name: "source-location",
  setup(b) {
    b.onLoad({ filter: /\.ts$/ }, async (args) => {
      const source = await readFile(args.path, "utf8");
      if (!source.includes("import.meta.")) return undefined;
      const contents = source
        .replaceAll("import.meta.dirname", JSON.stringify(path.dirname(args.path)))
        .replaceAll("import.meta.filename", JSON.stringify(args.path))
        .replaceAll("import.meta.url", JSON.stringify(pathToFileURL(args.path).href));
      return { contents, loader: "ts" };
    });
  },
};

const result = await build({
  entryPoints: [path.join(web, "src/server-main.ts")],
  outfile,
  bundle: true,
  platform: "node",
  format: "esm",
  target: "node20",
  sourcemap: "linked",
  metafile: true,
  logLevel: "warning",
  plugins: [externalPackages, sourceLocation],
  // The server's "listening" line says it runs the build (src/server-main.ts).
  define: { __AUTHPI_COMPILED__: "true" },
  // CommonJS code in the bundle may call require.
  banner: {
    js: 'import { createRequire as __authpiRequire } from "node:module"; const require = __authpiRequire(import.meta.url);',
  },
});

const sources = Object.keys(result.metafile.inputs).map((input) => path.resolve(process.cwd(), input));
// The installed packages it imports: a `pnpm install` that removes one makes the bundle stale too.
const packages = Object.values(result.metafile.outputs)
  .flatMap((output) => output.imports)
  .filter((imported) => imported.external && imported.path.startsWith("file:"))
  .map((imported) => fileURLToPath(imported.path));
const inputs = [...new Set([...sources, ...packages])];
await writeFile(path.join(web, "dist/server.inputs.json"), `${JSON.stringify(inputs, null, 1)}\n`);
console.log(
  `server bundle: ${path.relative(web, outfile)} (${sources.length} source files, ${packages.length} package imports)`,
);
