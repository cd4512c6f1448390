import { spawn, type ChildProcess } from 'node:child_process';
import { packageDir } from './cli-entry';

/** A `twin-server` child process that is listening. */
export interface TwinServerProcess {
  child: ChildProcess;
  /** The URL it logged it listens on. */
  url: string;
  /** Everything it wrote so far, stdout and stderr. */
  output(): string;
  /** Resolves with the exit code once the process is gone. */
  exited: Promise<number | null>;
}

/**
 * Runs `node <args>` (a `twin-server` entry) in the package folder with `env` and nothing else of
 * this process's environment but PATH; resolves once it logs that it listens (start it on
 * `PORT: '0'`), rejects with its output if it exits first.
 */
export function spawnTwinServer(args: string[], env: Record<string, string>): Promise<TwinServerProcess> {
  const child = spawn(process.execPath, args, { cwd: packageDir, env: { PATH: process.env.PATH, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  let out = '';
  return new Promise((resolve, reject) => {
    const onData = (b: Buffer) => {
      out += b.toString();
      const m = /"url":"(http:\/\/[^"]+)".*"msg":"twin-server listening"/.exec(out);
      if (m) resolve({ child, url: m[1]!, output: () => out, exited });
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    void exited.then((code) => reject(new Error(`twin-server exited with ${code}:\n${out}`)));
  });
}
