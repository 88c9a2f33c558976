import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { FUNCTIONS } from '../../../functions/manifest/functions.js';
import { SOURCE_FUNCTIONS } from '../../../functions/local/source-handlers.js';

const ROOT = fileURLToPath(new URL('../../..', import.meta.url));
const names = FUNCTIONS.map((fn) => fn.handler).sort();

/** Both composition roots build exactly the manifest's functions, each with the same builder. */
describe('composition roots and the manifest', () => {
  it('the local root has a builder for every manifest function, and for nothing else', () => {
    expect([...SOURCE_FUNCTIONS].sort()).toEqual(names);
  });

  it('functions/lambda has one entry per manifest function, and nothing else', () => {
    const entries = readdirSync(join(ROOT, 'functions/lambda'))
      .map((file) => file.replace(/\.ts$/, ''))
      .sort();
    expect(entries).toEqual(names);
  });

  it.each(names)(
    'the Lambda entry of %s builds its handler with its own builder from the Lambda wiring',
    (name) => {
      const file = join(ROOT, 'functions/lambda', `${name}.ts`);
      expect(existsSync(file)).toBe(true);
      const source = readFileSync(file, 'utf8');
      expect(source).toContain(`from '../composition/handlers/${name}.js'`);
      expect(source).toContain(`from '../composition/lambda-wiring.js'`);
      expect(source).toMatch(/export const handler = \w+\(lambdaWiring\(\)\);/);
    },
  );
});
