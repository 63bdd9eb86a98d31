/**
 * A test kit: `pqroom relay` as a child process on a free port, as an implementer runs it. Its log
 * (stderr) is read as it comes, since a pipe nobody reads fills and stops the relay (with shard
 * workers, the log is long enough to).
 */
import { spawn, type ChildProcess } from 'node:child_process';

/** Starts `node cli.js relay --port 0 ...args` in the working folder; resolves with the port it listens on (rejects after 30 s or if it exits). */
export async function startRelayChild(args: readonly string[]): Promise<{ readonly relay: ChildProcess; readonly port: number }> {
  const relay = spawn(process.execPath, ['cli.js', 'relay', '--port', '0', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  relay.stderr!.resume();
  let stdout = '';
  try {
    const port = await new Promise<number>((resolve, reject) => {
      const t = setTimeout(() => reject(new Error('the relay did not start')), 30_000);
      relay.stdout!.on('data', (d: Buffer) => {
        stdout += d.toString();
        const m = /listening on ws:\/\/127\.0\.0\.1:(\d+)/.exec(stdout);
        if (m) {
          clearTimeout(t);
          resolve(Number(m[1]));
        }
      });
      relay.once('exit', (code) => reject(new Error(`relay exited ${code}`)));
    });
    return { relay, port };
  } catch (e) {
    relay.kill('SIGKILL');
    throw e;
  }
}
