#!/usr/bin/env -S npx tsx
import { runCli } from './run-cli';

const controller = new AbortController();
process.once('SIGINT', () => controller.abort());
process.exitCode = await runCli({ argv: process.argv.slice(2), env: process.env, stdout: process.stdout, stderr: process.stderr, signal: controller.signal });
