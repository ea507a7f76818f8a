// The web app's wire types, generated from the server's JSON Schema of the protocol:
//   node tools/wire-types.mjs           writes src/app/protocol/wire.generated.ts
//   node tools/wire-types.mjs --check   fails when that file differs from what it would write
import { readFile, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { compile } from 'json-schema-to-typescript';
import { format, resolveConfig } from 'prettier';

const SCHEMA = fileURLToPath(new URL('../../docs/protocol.schema.json', import.meta.url));
const TARGET = fileURLToPath(new URL('../src/app/protocol/wire.generated.ts', import.meta.url));
const BANNER =
  '// Generated from docs/protocol.schema.json by `npm run wire-types` in frontend/; do not edit.';

const schema = JSON.parse(await readFile(SCHEMA, 'utf8'));
const code = await compile(schema, 'Protocol', {
  bannerComment: BANNER,
  additionalProperties: false,
  format: false, // formatted below, as prettier --check expects
});
const generated = await format(code, { ...(await resolveConfig(TARGET)), filepath: TARGET });

if (process.argv.includes('--check')) {
  const current = await readFile(TARGET, 'utf8').catch(() => '');
  if (current !== generated) {
    console.error(
      'src/app/protocol/wire.generated.ts is out of date with docs/protocol.schema.json: ' +
        'run `npm run wire-types` in frontend/ and make the web app follow the change',
    );
    process.exit(1);
  }
} else {
  await writeFile(TARGET, generated);
}
