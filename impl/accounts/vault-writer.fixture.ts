// A test fixture (vault.test.ts): writes the two vault files it is given over TARGET, one after
// the other, for ever, with writeVaultFile, until it is killed.
import { readFileSync, writeFileSync } from 'node:fs';
import { writeVaultFile } from './vault-file.ts';

const [target, a, b] = process.argv.slice(2) as [string, string, string];
const versions = [new Uint8Array(readFileSync(a)), new Uint8Array(readFileSync(b))];
writeFileSync(`${target}.ready`, '1');
for (let i = 0; ; i++) writeVaultFile(target, versions[i % 2]!);
