import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../free-port';

export const HAPROXY = '/usr/sbin/haproxy';
export const NGINX = '/usr/sbin/nginx';

/** A load balancer in front of the instances, listening on `url`. */
export interface LoadBalancer {
  kind: 'haproxy' | 'nginx';
  url: string;
  /** Its process id (the bench reads its CPU time). */
  pid: number;
  /** The config it runs with (docs/deployment.md shows the same). */
  config: string;
  output(): string;
  stop(): Promise<void>;
}

/**
 * HAProxy for Twin: round-robin per request, no stickiness, long client/server timeouts for streams
 * (heartbeats keep them alive), no buffering of responses (HAProxy streams them as they come).
 */
export function haproxyConfig(port: number, backends: readonly string[]): string {
  return `global
  log stderr format raw local0 notice
  # Two file descriptors per proxied connection: keep under the process limit (ulimit -n).
  maxconn 9000

defaults
  mode http
  option http-server-close
  timeout connect 2s
  timeout client 1h
  timeout server 1h
  timeout http-request 10s
  timeout queue 10s
  timeout check 5s

frontend twin
  bind 127.0.0.1:${port}
  default_backend twin_instances

backend twin_instances
  balance roundrobin
  option httpchk GET /health
  default-server inter 2s fall 3 rise 1
${backends.map((b, i) => `  server twin${i + 1} ${b} check`).join('\n')}
`;
}

/** nginx for Twin: round-robin, SSE unbuffered, HTTP/1.1 upstream keep-alive, long read timeouts. */
export function nginxConfig(port: number, backends: readonly string[], dir: string): string {
  return `worker_processes 1;
daemon off;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log warn;
events { worker_connections 9000; }
http {
  access_log off;
  client_body_temp_path ${dir}/body;
  proxy_temp_path ${dir}/proxy;
  upstream twin_instances {
${backends.map((b) => `    server ${b} max_fails=1 fail_timeout=1s;`).join('\n')}
    keepalive 64;
  }
  server {
    listen 127.0.0.1:${port};
    location / {
      proxy_pass http://twin_instances;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header Host $host;
      proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
      proxy_buffering off;
      proxy_cache off;
      proxy_read_timeout 1h;
      proxy_next_upstream error timeout;
    }
  }
}
`;
}

/** Starts HAProxy (or nginx) in the foreground with a config in a temp dir; resolves once it answers. */
export async function startLoadBalancer(kind: 'haproxy' | 'nginx', backends: readonly string[]): Promise<LoadBalancer> {
  const binary = kind === 'haproxy' ? HAPROXY : NGINX;
  if (!existsSync(binary)) throw new Error(`${binary} is missing (apt-get install ${kind})`);
  const dir = mkdtempSync(join(tmpdir(), `twin-${kind}-`));
  const port = await freePort();
  const config = kind === 'haproxy' ? haproxyConfig(port, backends) : nginxConfig(port, backends, dir);
  const file = join(dir, `${kind}.cfg`);
  writeFileSync(file, config);
  const args = kind === 'haproxy' ? ['-f', file, '-db'] : ['-p', dir, '-c', file, '-e', join(dir, 'error.log')];
  const child: ChildProcess = spawn(binary, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (b: Buffer) => (out += b.toString()));
  child.stderr!.on('data', (b: Buffer) => (out += b.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const url = `http://127.0.0.1:${port}`;
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    await exited;
    rmSync(dir, { recursive: true, force: true });
  };
  // Ready once every backend answers through it (HAProxy's first health checks have passed).
  // A limit that only names a hang: a loaded machine's first health checks take seconds.
  const deadline = Date.now() + 120_000;
  let healthy = 0;
  while (healthy < backends.length * 2) {
    if (child.exitCode !== null) throw new Error(`${kind} exited:\n${out}`);
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`${kind} did not pass requests to every backend within 120 s:\n${out}`);
    }
    const ok = await fetch(`${url}/health`).then((r) => r.ok, () => false);
    healthy = ok ? healthy + 1 : 0;
    if (!ok) await new Promise((r) => setTimeout(r, 50));
  }
  return { kind, url, pid: child.pid!, config, output: () => out, stop };
}
