import { rmSync } from 'node:fs';
import { dirname } from 'node:path';

/** Removes the run's cloud assembly (assembly-global-setup.mjs), unless it was given from outside. */
export default async function assemblyGlobalTeardown() {
  if (process.env.LINE_ID_LINK_TEST_ASSEMBLY_OWNED && process.env.LINE_ID_LINK_TEST_ASSEMBLY)
    rmSync(dirname(process.env.LINE_ID_LINK_TEST_ASSEMBLY), { recursive: true, force: true });
}
