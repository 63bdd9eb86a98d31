import { backendReport, realCrypto, presentBackends } from './backends.ts';
import { toHex } from '../bytes.ts';
console.log(JSON.stringify(backendReport(), null, 1));
const ps = presentBackends().map((b) => realCrypto(b));
const seed = new Uint8Array(64).fill(3), ds = new Uint8Array(32).fill(9), m = new Uint8Array(32).fill(5);
for (const p of ps) {
  const a = p.kemKeygen(seed), k = p.sigKeygen(ds);
  const e = p.kemEncapsulate(a.publicKey, m);
  const s = p.sign(k.secretKey, new Uint8Array(10), new Uint8Array(3), m);
  console.log(p.name, toHex(p.sha256(new Uint8Array([...a.publicKey, ...a.secretKey, ...k.publicKey, ...k.secretKey, ...e.ct, ...e.ss, ...s, ...p.kemDecapsulate(e.ct, a.secretKey)]))).slice(0, 16), ps.map((q) => q.verify(k.publicKey, new Uint8Array(10), new Uint8Array(3), s)));
}
