import { createReadStream } from 'node:fs';
import { importMembers } from '../functions/import/import-members.js';
import { HmacFactorHasher } from '../functions/adapters/crypto/hmac-factor-hasher.js';
import { DynamoMemberRepository } from '../functions/adapters/dynamo/dynamo-member-repository.js';
import { createDocumentClient } from '../functions/adapters/dynamo/dynamo-client.js';
import { ensureTables, localClient } from '../functions/local/dynamodb-local.js';
import { TABLES } from '../functions/adapters/dynamo/table-definitions.js';
const [endpoint, file, tag] = process.argv.slice(2) as [string, string, string];
const c = localClient(endpoint);
const names = Object.fromEntries(Object.keys(TABLES).map(k => [k, `${(TABLES as any)[k].defaultName}-${tag}`]));
await ensureTables(c, names as any);
const doc = createDocumentClient({ DYNAMODB_ENDPOINT: endpoint });
const t = performance.now(); let last = t; let lastRows = 0; const rates: number[] = [];
let cpu = process.cpuUsage(); const cpus: number[] = [];
const s = await importMembers(createReadStream(file), { store: new DynamoMemberRepository(doc, names.members), hasher: new HmacFactorHasher('x'.repeat(20)), requiredFactors: ['birthDate','postalCode'], concurrency: 8,
  onProgress: (p) => { const now = performance.now(); if (now - last > 3000) { rates.push(Math.round((p.read - lastRows) / ((now - last) / 1000))); const u = process.cpuUsage(cpu); cpus.push(Math.round((u.user+u.system)/(p.read-lastRows))); cpu = process.cpuUsage(); last = now; lastRows = p.read; } } });
console.log(tag, Math.round(s.read / ((performance.now() - t) / 1000)), 'rows/s; per 3s:', rates.join(' '), '; cpu us/row:', cpus.join(' '));
doc.destroy(); c.destroy();
