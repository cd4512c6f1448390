import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSimulatedProvider } from '@twin/core';
import type { OpenedDatabase } from '../src/index';
import { freePort } from './free-port';
import { fetchJson, openSSE } from './read-sse';
import { openTestDatabase, startTestServer, type TestServer } from './test-server';

const OPS = fileURLToPath(new URL('../../../ops/', import.meta.url));
const RULES = join(OPS, 'prometheus/twin-alerts.yml');
const DASHBOARD = join(OPS, 'grafana/twin-dashboard.json');

function have(binary: string): boolean {
  return spawnSync(binary, ['--version'], { stdio: 'ignore' }).status === 0;
}
const havePromtool = have('promtool');
const havePrometheus = have('prometheus');
if ((!havePromtool || !havePrometheus) && process.env.CI === 'true') {
  // In CI a missing Prometheus is a broken environment, not a reason to pass.
  throw new Error('promtool/prometheus not found: apt-get install -y prometheus');
}
if (!havePromtool || !havePrometheus) console.warn('[ops] SKIPPED the Prometheus tests: promtool/prometheus not found (apt-get install -y prometheus).');

/** Metric names an expression uses (histogram series map to their family). */
function metricNames(expr: string): string[] {
  return [...expr.matchAll(/\btwin_[a-z0-9_]+/g)].map((m) => m[0].replace(/_(bucket|sum|count)$/, ''));
}

let db: OpenedDatabase;
let t: TestServer;
let exported: Set<string>;
beforeAll(async () => {
  db = await openTestDatabase();
  t = await startTestServer(db, {
    providers: [
      createSimulatedProvider({ tokensPerSecond: 0, outputTokens: 5 }),
      createSimulatedProvider({ name: 'flaky', tokensPerSecond: 0, failure: { kind: 'error-before-first-token', code: 'provider_unavailable' } }),
    ],
  });
  const r = await openSSE(`${t.url}/api/stream?prompt=hi`, { headers: { authorization: `Bearer ${t.keys.t1}` } });
  await r.done;
  const text = (await fetchJson(`${t.url}/metrics`)).text;
  exported = new Set([...text.matchAll(/^# TYPE (\S+) /gm)].map((m) => m[1]!));
});
afterAll(async () => {
  await t?.close();
  await db?.close();
});

/**
 * The `data` of a Prometheus HTTP API answer, or undefined while Prometheus cannot answer yet: until
 * it is ready it refuses connections, then answers 503 with a plain-text "Service Unavailable" body
 * (a loaded machine shows both for seconds), which is a reason to ask again, not a failed test.
 */
async function prometheusApi<T>(url: string): Promise<T | undefined> {
  const answer = await fetchJson(url).catch(() => undefined);
  return answer && answer.status >= 200 && answer.status < 300 ? (answer.json as { data: T }).data : undefined;
}

describe('ops: Prometheus rules and the Grafana dashboard', () => {
  it('the Grafana dashboard is valid JSON whose every query uses only metrics the server exports', () => {
    const dashboard = JSON.parse(readFileSync(DASHBOARD, 'utf8')) as { uid: string; panels: Array<{ title: string; targets: Array<{ expr: string }> }> };
    expect(dashboard.uid).toBe('twin-overview');
    expect(dashboard.panels.length).toBeGreaterThan(10);
    const used = dashboard.panels.flatMap((p) => p.targets.flatMap((target) => metricNames(target.expr)));
    for (const name of ['twin_tokens_total', 'twin_cost_total', 'twin_client_drops_total', 'twin_write_stalls_total', 'twin_queued_bytes']) expect(used).toContain(name);
    expect(used.filter((name) => !exported.has(name))).toEqual([]);
  });

  it('the alert rules use only metrics the server exports', () => {
    const used = metricNames(readFileSync(RULES, 'utf8').replace(/^\s*#.*$/gm, ''));
    expect(used.length).toBeGreaterThan(4);
    expect(used.filter((name) => !exported.has(name))).toEqual([]);
  });

  it.runIf(havePromtool)('the alert rules pass their promtool unit tests (thresholds: 5 % errors, 5 s latency, 100 drops/h, budget used up)', () => {
    const run = spawnSync('promtool', ['test', 'rules', join(OPS, 'prometheus/twin-alerts.test.yml')], { encoding: 'utf8' });
    expect(run.stdout + run.stderr).toContain('SUCCESS');
    expect(run.status).toBe(0);
  });

  it.runIf(havePrometheus)(
    'a real Prometheus scrapes the server and TwinHighErrorRate fires when streams fail',
    async () => {
      const dir = mkdtempSync(join(tmpdir(), 'twin-prometheus-'));
      const port = await freePort();
      // The shipped rules with a short `for:` and a fast scrape and evaluation, so the test takes seconds.
      writeFileSync(join(dir, 'rules.yml'), readFileSync(RULES, 'utf8').replace(/for: \d+m/g, 'for: 2s'));
      writeFileSync(
        join(dir, 'prometheus.yml'),
        [
          'global: { scrape_interval: 1s, evaluation_interval: 1s }',
          'rule_files: [rules.yml]',
          'scrape_configs:',
          `  - job_name: twin`,
          `    static_configs: [{ targets: ['${new URL(t.url).host}'] }]`,
          '',
        ].join('\n'),
      );
      let output = '';
      const prometheus: ChildProcess = spawn(
        'prometheus',
        [`--config.file=${join(dir, 'prometheus.yml')}`, `--storage.tsdb.path=${join(dir, 'data')}`, `--web.listen-address=127.0.0.1:${port}`, '--log.level=warn'],
        { stdio: ['ignore', 'pipe', 'pipe'] },
      );
      prometheus.stdout?.on('data', (d) => (output += String(d)));
      prometheus.stderr?.on('data', (d) => (output += String(d)));
      const api = `http://127.0.0.1:${port}/api/v1`;
      // Conditions polled until a limit that only names a hang (a loaded machine starts Prometheus slowly).
      const deadline = Date.now() + 150_000;
      try {
        // First Prometheus must see the target up; failures counted before its first scrape would be
        // the series' first sample, which a rate cannot see.
        for (;;) {
          const up = await prometheusApi<{ result?: Array<{ value: [number, string] }> }>(`${api}/query?query=up`);
          if (up?.result?.[0]?.value[1] === '1') break;
          if (Date.now() > deadline || prometheus.exitCode !== null) throw new Error(`Prometheus never scraped the server:\n${output}`);
          await new Promise((r) => setTimeout(r, 250));
        }
        let state: string | undefined;
        while (state !== 'firing') {
          if (Date.now() > deadline) throw new Error(`TwinHighErrorRate did not fire (last state ${state}):\n${output}`);
          // Every stream on the flaky provider fails before its first token: a 100 % error rate.
          const failed = await openSSE(`${t.url}/api/stream?prompt=x&provider=flaky`, { headers: { authorization: `Bearer ${t.keys.t1}` } });
          await failed.done;
          expect(failed.events.at(-1)?.event).toBe('error');
          const alerts = await prometheusApi<{ alerts: Array<{ labels: { alertname: string }; state: string }> }>(`${api}/alerts`);
          state = alerts?.alerts.find((a) => a.labels.alertname === 'TwinHighErrorRate')?.state;
          await new Promise((r) => setTimeout(r, 300));
        }
        // The quiet rules stay quiet: latency is instant and nobody dropped a connection.
        const alerts = await prometheusApi<{ alerts: Array<{ labels: { alertname: string } }> }>(`${api}/alerts`);
        expect(alerts?.alerts.map((a) => a.labels.alertname).sort()).toEqual(['TwinHighErrorRate']);
      } finally {
        prometheus.kill('SIGTERM');
        await new Promise((r) => (prometheus.exitCode !== null ? r(undefined) : prometheus.once('exit', r)));
        rmSync(dir, { recursive: true, force: true });
      }
    },
    200_000,
  );
});
