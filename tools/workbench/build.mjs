// One minified IIFE in mast/web/static/vendor/codemirror-<version>/, committed, so a fresh
// clone serves the workbench without npm. The folder is named by @codemirror/view's version.
import { build } from "esbuild";
import { readFileSync, mkdirSync, copyFileSync } from "node:fs";

const version = JSON.parse(
  readFileSync("node_modules/@codemirror/view/package.json", "utf8"),
).version;
const out = `../../mast/web/static/vendor/codemirror-${version}`;
mkdirSync(out, { recursive: true });
await build({
  entryPoints: ["entry.mjs"],
  bundle: true,
  minify: true,
  format: "iife",
  globalName: "MastCM",
  target: "es2020",
  legalComments: "external",
  outfile: `${out}/codemirror.min.js`,
});
copyFileSync("node_modules/@codemirror/view/LICENSE", `${out}/LICENSE`);
console.log(`built ${out}/codemirror.min.js`);
