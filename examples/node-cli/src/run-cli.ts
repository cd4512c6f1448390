import { parseArgs } from 'node:util';
import { createStreamClient, type StreamSnapshot } from '@twin/client';
import { progressLine } from './progress-line';

/** Where the CLI writes; a TTY gets the live two-line display, anything else plain text. */
export interface CliIO {
  argv: string[];
  env: Record<string, string | undefined>;
  stdout: NodeJS.WritableStream & { isTTY?: boolean; columns?: number };
  stderr: NodeJS.WritableStream & { isTTY?: boolean };
  /** Aborted on Ctrl-C. */
  signal?: AbortSignal;
}

const USAGE = `Usage: twin-ask [options] <prompt...>

Streams an answer from a Twin server to the terminal with a live progress line.

Options:
  --url <url>         stream endpoint (default: $TWIN_URL/api/stream, TWIN_URL defaulting to http://localhost:8787)
  --key <api key>     API key (env TWIN_API_KEY)
  --provider <name>   provider (server default when omitted)
  --model <name>      model (server default when omitted)
  -h, --help          this help`;

const CLEAR_LINE = '\r\x1b[2K';
const UP = '\x1b[1A';

/**
 * Runs the CLI. Exit code 0 when the answer completed, 1 on a stream error, 2 on bad usage, 130 when
 * interrupted.
 *
 * On a terminal the answer's completed rows scroll up as they arrive while the bottom two lines are
 * redrawn in place: the row being written, and the progress line (tokens, tokens/s, cost). Piped
 * output gets the text as it arrives and one summary line on stderr at the end.
 */
export async function runCli(io: CliIO): Promise<number> {
  let args;
  try {
    args = parseArgs({
      args: io.argv,
      allowPositionals: true,
      options: {
        url: { type: 'string' },
        key: { type: 'string' },
        provider: { type: 'string' },
        model: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (error) {
    io.stderr.write(`${(error as Error).message}\n\n${USAGE}\n`);
    return 2;
  }
  const prompt = args.positionals.join(' ').trim();
  if (args.values.help || !prompt) {
    (args.values.help ? io.stdout : io.stderr).write(`${USAGE}\n`);
    return args.values.help ? 0 : 2;
  }

  const client = createStreamClient({
    // TWIN_URL is the server's base URL, the same variable the chat example reads.
    url: args.values.url ?? `${(io.env.TWIN_URL ?? 'http://localhost:8787').replace(/\/+$/, '')}/api/stream`,
    apiKey: args.values.key ?? io.env.TWIN_API_KEY,
    body: {
      messages: [{ role: 'user', content: prompt }],
      ...(args.values.provider ? { provider: args.values.provider } : {}),
      ...(args.values.model ? { model: args.values.model } : {}),
    },
  });
  io.signal?.addEventListener('abort', () => client.stop());

  const live = io.stdout.isTTY === true;
  let printed = 0; // characters of the answer already written for good
  let regionShown = false;

  const render = (s: StreamSnapshot, final: boolean) => {
    if (!live) {
      // Count the text as printed before writing it: a write can run code that renders again (a
      // stop on the same tick notifies at once), which must not print the same text twice.
      const next = s.text.slice(printed);
      printed = s.text.length;
      io.stdout.write(next);
      return;
    }
    let out = regionShown ? `${CLEAR_LINE}${UP}${CLEAR_LINE}` : '';
    // Rows stay one column short of the width and are broken by us, so the terminal never wraps
    // on its own and the two-line region can always be redrawn in place.
    const width = Math.max(20, (io.stdout.columns ?? 80) - 1);
    const lastBreak = final ? s.text.length : s.text.lastIndexOf('\n') + 1;
    if (lastBreak > printed) {
      out += s.text.slice(printed, lastBreak);
      printed = lastBreak;
    }
    while (!final && s.text.length - printed >= width) {
      out += `${s.text.slice(printed, printed + width)}\n`;
      printed += width;
    }
    if (final) {
      if (!s.text.endsWith('\n') && s.text.length > 0) out += '\n';
      out += `${progressLine(s)}\n`;
      regionShown = false;
    } else {
      out += `${s.text.slice(printed)}\n${progressLine(s).slice(0, width)}`;
      regionShown = true;
    }
    io.stdout.write(out);
  };

  client.subscribe(() => render(client.getSnapshot(), false));
  const final = await client.start();
  render(final, true);

  if (!live) io.stdout.write(final.text.endsWith('\n') || final.text === '' ? '' : '\n');
  if (!live) io.stderr.write(`${progressLine(final)}\n`);
  if (final.status === 'error') {
    io.stderr.write(`error: ${final.error?.code}: ${final.error?.message}\n`);
    return 1;
  }
  if (final.status === 'aborted') {
    io.stderr.write('interrupted\n');
    return 130;
  }
  return 0;
}
