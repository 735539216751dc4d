import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** Root of the repository (where package.json is), whichever file imports this. */
export const projectRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
