import { TwinError, type TwinErrorCode } from '../errors/twin-error';
import type { StreamPart } from '../protocol/stream-part';
import type { Usage } from '../protocol/usage';
import { resolveEnvironment, schedulingSleepOf, type ProviderEnvironment, type SchedulingSleep } from './environment';
import { estimateInputTokens } from './estimate-usage';
import { guardProviderStream, PushedGuard } from './guard-provider-stream';
import { lastUserText, planSimulatedTurn, type SimulatedTurn } from './simulated-script';
import type { Provider, ProviderRequest, ProviderStreamOptions } from './provider';

/**
 * A failure the simulated provider injects.
 * - `error-before-first-token`: fails before any content, like a 429/503 (fallback and retries apply);
 * - `mid-stream-error`: sends `afterTokens` tokens, then an error event (like Anthropic's in-stream `error`);
 * - `stall`: sends `afterTokens` tokens, then nothing until the caller aborts;
 * - `truncate`: sends `afterTokens` tokens, then ends without finish or usage (a cut connection),
 *   which the adapter contract reports as `stream_truncated`.
 */
export type SimulatedFailure =
  | { kind: 'error-before-first-token'; code?: TwinErrorCode; message?: string; retryAfterMs?: number }
  | { kind: 'mid-stream-error'; afterTokens?: number; code?: TwinErrorCode; message?: string }
  | { kind: 'stall'; afterTokens?: number }
  | { kind: 'truncate'; afterTokens?: number };

/** A tool call the simulated model makes after its text. */
export interface SimulatedToolCall {
  name: string;
  args: Record<string, unknown>;
}

export interface SimulatedProviderOptions {
  /** Provider name reported in parts and errors. Default `simulated`. */
  name?: string;
  /** Default `sim-1`. */
  defaultModel?: string;
  /** Output speed. Default 50. `Infinity` (or 0) sends as fast as the consumer reads. */
  tokensPerSecond?: number;
  /** Delay before the first content part, in ms. Default 0. */
  firstTokenLatencyMs?: number;
  /** Seed of the deterministic text generator: same seed + same request = same stream. Default 1. */
  seed?: number;
  /**
   * What the model says: a fixed string, or a function of the request. Default: it quotes the last
   * user message (`Simulated answer to "…": `) and goes on with `outputTokens` words of deterministic
   * pseudo-prose chosen from the seed and that message; it calls an offered tool the message names,
   * and answers a tool result by quoting it (see `planSimulatedTurn`).
   */
  text?: string | ((request: ProviderRequest) => string);
  /** Words of generated pseudo-prose after the quoted prompt. Default 48. */
  outputTokens?: number;
  /** Tokens per `text-delta` part (coarser parts for load tests). Default 1. */
  tokensPerChunk?: number;
  /** Reasoning text streamed (as `reasoning-delta`) before the answer. */
  reasoning?: string;
  /** Tool calls made after the text; the stream then finishes with `tool-calls`. */
  toolCalls?: SimulatedToolCall[];
  /** Reported as `cacheReadTokens` (included in `inputTokens`, as the usage convention says). */
  cachedInputTokens?: number;
  /**
   * Failure injection: a fixed failure for every call, or a function of the call's 0-based index on
   * this provider instance (e.g. `({ call }) => call === 0 ? { kind: 'error-before-first-token' } : undefined`).
   */
  failure?: SimulatedFailure | ((context: { call: number; request: ProviderRequest }) => SimulatedFailure | undefined);
  /** Injected clock and sleep (the only timers it uses). */
  env?: Partial<ProviderEnvironment>;
}

const WORDS = (
  'the a stream of tokens flows from model to client over server sent events while billing counts ' +
  'every byte and second with exact decimals so nothing is lost twice resumed buffered compressed ' +
  'sealed and delivered in order to the reader who waits patiently for the final word'
).split(' ');
/** Each word with the space after it, made once: a word of every stream's every token was a string of its own. */
const SPACED_WORDS = WORDS.map((word) => `${word} `);

/**
 * Tokens as the simulation counts them: about four characters each (cheap and deterministic). Its
 * usage, its estimates after an abort and a client's live estimate all count this way, so a live
 * count never exceeds the final one. (Pacing options — `tokensPerSecond`, `tokensPerChunk`,
 * `outputTokens`, failure `afterTokens` — count words.)
 */
export function simulatedTokenCount(text: string): number {
  return Math.ceil(text.length / 4);
}

function hashString(text: string, seed: number): number {
  let h = seed >>> 0 || 1;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193) >>> 0;
  return h;
}

/** mulberry32: a tiny, well-distributed deterministic PRNG. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Hands out the answer a few words at a time (`taken`: how many the last `take` read). */
interface TokenSource {
  readonly done: boolean;
  taken: number;
  take(n: number): string;
}

/** One piece read whole, counted as one word of pacing: the quoted prompt arrives as one delta. */
class PieceCursor implements TokenSource {
  taken = 0;
  constructor(private piece: string) {}
  get done(): boolean {
    return this.piece === '';
  }
  take(): string {
    const out = this.piece;
    this.piece = '';
    this.taken = out === '' ? 0 : 1;
    return out;
  }
}

/** Reads one source, then the next: the quoted prompt, then the generated words. */
class ChainCursor implements TokenSource {
  taken = 0;
  constructor(
    private readonly first: TokenSource,
    private readonly second: TokenSource,
  ) {}
  get done(): boolean {
    return this.first.done && this.second.done;
  }
  take(n: number): string {
    let out = '';
    let fromFirst = 0;
    if (!this.first.done) {
      out = this.first.take(n);
      fromFirst = this.first.taken;
    }
    const rest = n - fromFirst;
    this.taken = fromFirst;
    if (rest > 0 && !this.second.done) {
      out += this.second.take(rest);
      this.taken += this.second.taken;
    }
    return out;
  }
}

/**
 * Reads text as tokens (each word with the whitespace that follows it) one at a time: a stream
 * holds its text and a position, not an array of every token (16 KB per 500-token stream, times
 * thousands of concurrent streams).
 */
class TokenCursor implements TokenSource {
  private readonly pattern = /\S+\s*|\s+/y;
  constructor(private readonly text: string) {}
  get done(): boolean {
    return this.pattern.lastIndex >= this.text.length;
  }
  /** How many tokens the last `take` read. */
  taken = 0;
  /** Up to `n` next tokens, joined (a field, not a pair per token: this runs for every token of every stream). */
  take(n: number): string {
    const start = this.pattern.lastIndex;
    let count = 0;
    // Never exec at the end: a failed sticky match resets lastIndex to 0 (back to the start).
    while (count < n && !this.done && this.pattern.exec(this.text)) count++;
    this.taken = count;
    return this.text.slice(start, this.pattern.lastIndex);
  }
}

/**
 * The generated answer: the quoted prompt as one piece (one word of pacing), then the words read
 * one by one straight from the PRNG: exactly the tokens of a {@link PieceCursor} of the prompt
 * chained to a {@link TokenCursor} of `words.join(' ') + '.'`, without building that text first
 * (about 30 KB of garbage per 500-token stream before its first token, and the text held for its
 * whole life). One object per stream with the PRNG's state in a field: a token used to touch the
 * chain, its two cursors and the PRNG's closure and context (five objects of the stream, each a
 * cache miss of its own at thousands of streams), and the state, a number above the small-integer
 * range kept in that context, was boxed anew on every word.
 */
class AnswerCursor implements TokenSource {
  taken = 0;
  // mulberry32's state (see {@link prng}) after k draws is seed + k·0x6d2b79f5 (mod 2³²): kept as
  // the seed's two halves and k, all small integers. The state itself is above that range: a field
  // holding it is a pointer to a number box, one more object (and cache line) read per word.
  private readonly seedHigh: number;
  private readonly seedLow: number;
  private drawn = 0;
  constructor(
    private prefix: string,
    seed: number,
    private left: number,
  ) {
    this.seedHigh = seed >>> 16;
    this.seedLow = seed & 0xffff;
  }
  get done(): boolean {
    return this.prefix === '' && this.left <= 0;
  }
  take(n: number): string {
    let out = '';
    let count = 0;
    if (this.prefix !== '') {
      out = this.prefix;
      this.prefix = '';
      count = 1;
    }
    while (count < n && this.left > 0) {
      this.left--;
      const word = Math.floor(this.random() * WORDS.length);
      out += this.left > 0 ? SPACED_WORDS[word]! : WORDS[word]! + '.';
      count++;
    }
    this.taken = count;
    return out;
  }
  /** {@link prng}'s next number. */
  private random(): number {
    // ToUint32 of the exact sum: the state modulo 2³².
    const a = (((this.seedHigh << 16) | this.seedLow) + Math.imul(++this.drawn, 0x6d2b79f5)) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
}

/**
 * An offline, deterministic provider: the reference server's default when no key is configured
 * and the tool every test uses. It is cheap (one timer per chunk, no per-stream state beyond the
 * generator), so thousands of concurrent streams at realistic token rates are fine.
 */
export function createSimulatedProvider(options: SimulatedProviderOptions = {}): Provider {
  const name = options.name ?? 'simulated';
  const defaultModel = options.defaultModel ?? 'sim-1';
  const env = resolveEnvironment(options.env);
  // An injected sleep is the test's clock: it is used as given. Otherwise the pacer keeps its own timer.
  const injectedSleep = options.env?.sleep !== undefined;
  const rate = options.tokensPerSecond ?? 50;
  const interval = rate === Infinity || rate <= 0 ? 0 : 1000 / rate;
  const perChunk = Math.max(1, Math.floor(options.tokensPerChunk ?? 1));
  let calls = 0;

  // What every call's script reads (one object per provider, not per call).
  const setting: ScriptSetting = { options, name, defaultModel, env, interval, perChunk };
  const script = (request: ProviderRequest, call: number): Script => new SimulatedScript(setting, request, call);

  // Its counts depend on lengths alone: the guard keeps no copy of the text for an estimate.
  const guardOptions = (request: ProviderRequest, signal: AbortSignal | undefined) => ({
    provider: name,
    request,
    signal,
    countTokens: simulatedTokenCount,
    countTokensOfLength: simulatedTokensOfLength,
  });

  return {
    name,
    defaultModel,
    simulated: true,
    stream(request: ProviderRequest, streamOptions: ProviderStreamOptions = {}) {
      const call = calls++;
      const { signal } = streamOptions;
      return guardProviderStream(pulled(script(request, call), () => new Pacer(env, injectedSleep, signal)), guardOptions(request, signal));
    },
    // Pushed: a token costs its timer and the script's step, with no promise between them and the consumer.
    streamParts(request: ProviderRequest, streamOptions: ProviderStreamOptions, onParts: (parts: readonly StreamPart[]) => void) {
      const call = calls++;
      const { signal } = streamOptions;
      return pushed(env, injectedSleep, signal, script(request, call), new PushedGuard(guardOptions(request, signal), onParts));
    },
  };
}

const simulatedTokensOfLength = (length: number): number => Math.ceil(length / 4);

/**
 * The steps of one call: batches of parts for the guard, and between them the time (on env.now's
 * clock) the next one is due; `undefined` once it is over. Not an IteratorResult: a step runs for
 * every token of every stream, and a result object around each (a number boxed in it, for a wait)
 * was garbage made per token for the driver to read two fields of.
 */
type Step = StreamPart[] | number | undefined;
interface Script {
  next(): Step;
}

/** What a provider's scripts share. */
interface ScriptSetting {
  options: SimulatedProviderOptions;
  name: string;
  defaultModel: string;
  env: ProviderEnvironment;
  interval: number;
  perChunk: number;
}

// The phases of a script, in order.
const OPENING = 0;
const METADATA = 1;
const CONTENT = 2;
const AFTER_CONTENT = 3;
const TOOLS = 4;
const USAGE = 5;
const STALLED = 6;
const DONE = 7;

/**
 * The script of one call, synchronous: it hands out the batches the guard takes, and between them
 * the time (on env.now's clock) the next one is due. Its driver waits (or not, when late) and checks
 * the abort, so a token costs one timer and one step, with no promise of its own. A state machine
 * in one object, not a generator: a suspended generator held every local of the whole script (some
 * 800 bytes) for the life of every stream. Like a generator's body, nothing runs before the first
 * step, and a step that throws ends it.
 */
class SimulatedScript implements Script {
  private phase = OPENING;
  private failure: SimulatedFailure | undefined;
  private plan: SimulatedTurn | undefined;
  /** The tokens being read: the reasoning, then the text (`textTokens` waits for its turn). */
  private tokens: TokenSource | undefined;
  private textTokens: TokenSource | undefined;
  private readingReasoning = false;
  private hasReasoning = false;
  private stopped = false;
  private charBudget = Infinity;
  private failAfter = Infinity;
  /** A length cut or an injected failure may end the content (else neither limit is read per word: each is a number box of its own). */
  private limited = false;
  private sent = 0; // words, for pacing and failure injection
  // Paced on an absolute schedule: word k is due at start + k·interval (start: the first content
  // part), so the lateness of timers and the work between them do not add up to a lower rate.
  private start = 0;
  /** The wait before the current word was handed out already. */
  private paced = false;
  private chars = 0; // characters of text and reasoning, for usage
  private reasoningChars = 0;
  private truncatedByLength = false;
  private calls: SimulatedToolCall[] | undefined;
  private toolIndex = 0;
  private toolTokens = 0;

  constructor(
    private readonly setting: ScriptSetting,
    private readonly request: ProviderRequest,
    private readonly call: number,
  ) {}

  next(): Step {
    try {
      return this.step();
    } catch (error) {
      this.phase = DONE;
      throw error;
    }
  }

  private step(): Step {
    const { options, env } = this.setting;
    switch (this.phase) {
      case OPENING:
        this.failure = typeof options.failure === 'function' ? options.failure({ call: this.call, request: this.request }) : options.failure;
        this.phase = METADATA;
        if (options.firstTokenLatencyMs) return env.now() + options.firstTokenLatencyMs;
      // falls through
      case METADATA: {
        const failure = this.failure;
        const name = this.setting.name;
        if (failure?.kind === 'error-before-first-token') {
          throw new TwinError(failure.code ?? 'provider_overloaded', failure.message ?? `${name} is overloaded (simulated).`, {
            provider: name,
            ...(failure.retryAfterMs !== undefined ? { retryAfterMs: failure.retryAfterMs } : {}),
          });
        }
        this.phase = CONTENT;
        this.prepare();
        return [{ type: 'response-metadata', id: `sim-${options.seed ?? 1}-${this.call}`, model: this.request.model ?? this.setting.defaultModel }];
      }
      case CONTENT: {
        const content = this.content();
        if (content !== null) return content;
        this.phase = AFTER_CONTENT;
      }
      // falls through
      case AFTER_CONTENT: {
        const failure = this.failure;
        if (this.sent >= this.failAfter && failure) {
          if (failure.kind === 'truncate') {
            this.phase = DONE;
            return undefined;
          }
          if (failure.kind === 'stall') {
            // Never settles on its own: only the caller's abort (or a stall timeout above) ends it.
            this.phase = STALLED;
            return env.now() + 60_000;
          }
          if (failure.kind === 'mid-stream-error') {
            throw new TwinError(failure.code ?? 'provider_overloaded', failure.message ?? `${this.setting.name} failed mid-stream (simulated).`, {
              provider: this.setting.name,
            });
          }
        }
        const plan = this.plan;
        const calls = plan?.kind === 'tool' ? [{ name: plan.name, args: plan.args }] : options.toolCalls;
        if (!this.truncatedByLength && calls?.length) this.calls = calls;
        this.phase = TOOLS;
      }
      // falls through
      case TOOLS: {
        const calls = this.calls;
        if (calls !== undefined && this.toolIndex < calls.length) {
          const tool = calls[this.toolIndex]!;
          const index = this.toolIndex++;
          const toolCallId = `call_sim_${this.call}_${index}`;
          const argsText = JSON.stringify(tool.args);
          this.toolTokens += simulatedTokenCount(tool.name + argsText);
          return [
            { type: 'tool-call-start', toolCallId, index, toolName: tool.name },
            { type: 'tool-call-delta', toolCallId, index, argsTextDelta: argsText },
            { type: 'tool-call', toolCallId, index, toolName: tool.name, args: tool.args, argsText },
          ];
        }
        this.phase = USAGE;
      }
      // falls through
      case USAGE: {
        this.phase = DONE;
        const reason: 'stop' | 'length' | 'tool-calls' = this.truncatedByLength ? 'length' : this.calls !== undefined ? 'tool-calls' : 'stop';
        const outputTokens = Math.ceil(this.chars / 4) + this.toolTokens;
        const inputTokens = estimateInputTokens(this.request, simulatedTokenCount) + (options.cachedInputTokens ?? 0);
        const usage: Usage = {
          inputTokens,
          ...(options.cachedInputTokens !== undefined ? { cacheReadTokens: options.cachedInputTokens } : {}),
          outputTokens,
          ...(this.hasReasoning ? { reasoningTokens: Math.ceil(this.reasoningChars / 4) } : {}),
          raw: { simulated: true, input_tokens: inputTokens, output_tokens: outputTokens },
        };
        return [
          { type: 'usage', usage },
          { type: 'finish', reason, rawReason: this.stopped ? 'stop_sequence' : reason },
        ];
      }
      case STALLED:
        return env.now() + 60_000;
      default:
        return undefined;
    }
  }

  /** What the call says and how far it may go, decided once the metadata is out. */
  private prepare(): void {
    const { options } = this.setting;
    const request = this.request;
    let text = '';
    // The generated answer is read lazily unless stop sequences must search all of it.
    let generated: TokenSource | undefined;
    const plan = options.text === undefined && !options.toolCalls ? planSimulatedTurn(request) : undefined;
    this.plan = plan;
    if (typeof options.text === 'function') text = options.text(request);
    else if (typeof options.text === 'string') text = options.text;
    else if (plan?.kind === 'answer') {
      const seed = hashString(lastUserText(request), options.seed ?? 1);
      const count = options.outputTokens ?? 48;
      if (!request.stop?.length) generated = new AnswerCursor(plan.prefix, seed, count);
      else {
        const next = prng(seed);
        const words: string[] = [];
        for (let i = 0; i < count; i++) words.push(WORDS[Math.floor(next() * WORDS.length)]!);
        text = plan.prefix + (count > 0 ? words.join(' ') + '.' : '');
      }
    }
    const prefix = plan?.kind === 'answer' ? plan.prefix : '';
    for (const stop of request.stop ?? []) {
      const at = stop === '' ? -1 : text.indexOf(stop);
      if (at >= 0) {
        text = text.slice(0, at);
        this.stopped = true;
      }
    }
    const reasoning = options.reasoning ?? '';
    this.hasReasoning = reasoning.length > 0;
    this.charBudget = (request.maxTokens ?? Infinity) * 4;
    const failure = this.failure;
    // (A failure before the first token was thrown already.)
    this.failAfter = failure === undefined || failure.kind === 'error-before-first-token' ? Infinity : (failure.afterTokens ?? 3);
    this.limited = this.charBudget !== Infinity || this.failAfter !== Infinity;
    const textTokens =
      generated ??
      (prefix !== '' && text.startsWith(prefix) ? new ChainCursor(new PieceCursor(prefix), new TokenCursor(text.slice(prefix.length))) : new TokenCursor(text));
    // The reasoning, when there is any, then the text.
    if (this.hasReasoning) {
      this.readingReasoning = true;
      this.tokens = new TokenCursor(reasoning);
      this.textTokens = textTokens;
    } else this.tokens = textTokens;
  }

  /** The next step of the content (a wait, or a delta), or `null` once it is over. */
  private content(): StreamPart[] | number | null {
    const { env, interval, perChunk } = this.setting;
    for (;;) {
      const tokens = this.tokens;
      // The end of the reasoning or the text, a length cut or the injected failure's point: the
      // reasoning gives way to the text, the text to what follows it.
      let over = tokens === undefined || tokens.done || this.truncatedByLength;
      const limited = this.limited;
      if (limited) {
        if (!over && this.chars >= this.charBudget) {
          this.truncatedByLength = true;
          over = true;
        }
        if (this.sent >= this.failAfter) over = true;
      }
      if (over || tokens === undefined) {
        if (this.readingReasoning) {
          this.readingReasoning = false;
          this.tokens = this.textTokens;
          this.textTokens = undefined;
          continue;
        }
        this.tokens = undefined;
        return null;
      }
      const n = limited ? Math.min(perChunk, this.failAfter - this.sent) : perChunk;
      if (!this.paced) {
        if (this.sent === 0) this.start = env.now();
        else if (interval > 0) {
          this.paced = true;
          return this.start + this.sent * interval;
        }
      }
      this.paced = false;
      let delta = tokens.take(n);
      // maxTokens counts usage tokens: the delta that would pass it is cut to fit.
      if (limited && this.chars + delta.length > this.charBudget) delta = delta.slice(0, this.charBudget - this.chars);
      const type = this.readingReasoning ? 'reasoning-delta' : 'text-delta';
      this.sent += tokens.taken;
      this.chars += delta.length;
      if (this.readingReasoning) this.reasoningChars += delta.length;
      return [{ type, text: delta }];
    }
  }
}

/**
 * The waits of one call: until a time on the env clock (none when it has passed), cut short by the
 * abort. With the default timers it listens to the signal once per call, not once per wait (an
 * abort listener added and removed per token cost more than the timer), and keeps the abort in a
 * field the driver reads per step. An injected sleep with a callback form ({@link SchedulingSleep},
 * the server's slot sleep) is called through it, with no promise per wait, and without the signal:
 * the abort is ours (one listener per call, some 150 bytes), which ends the wait on a later
 * microtask as the sleep would, and keeps it in the field (the signal's `aborted`, a checked getter
 * on an object no step touches otherwise, was read twice per token). A plain injected sleep ends
 * at the abort itself and the driver reads the signal.
 *
 * A wait ends in {@link Pacer.woken}: the pulled driver's promise resolves; the pushed driver
 * ({@link PushedRun}, this class with the driver in it) runs its next steps.
 */
class Pacer {
  private abortSeen = false;
  private timer: ReturnType<typeof setTimeout> | undefined;
  /** The pulled driver's wait: what resolves its promise. */
  private wake: (() => void) | undefined;
  /** A wait through {@link wait} is pending (its end calls {@link woken} once). */
  protected waiting = false;
  // The wait's end and the abort listener, for our own timers and a sleep's callback form: a plain
  // injected sleep ends at the abort itself, so a stream holds neither (nor one more listener on
  // its signal for its whole life).
  private readonly woke: (() => void) | undefined;
  private readonly onAbort: (() => void) | undefined;
  /** The injected sleep's callback form. */
  private readonly scheduling: SchedulingSleep | undefined;

  constructor(
    private readonly env: ProviderEnvironment,
    private readonly injectedSleep: boolean,
    private readonly signal: AbortSignal | undefined,
  ) {
    if (injectedSleep) {
      this.scheduling = schedulingSleepOf(env.sleep);
      if (this.scheduling === undefined) return;
      // Not given to the sleep: its wake after the abort finds no wait and does nothing.
      const woke = (): void => {
        if (this.waiting) this.woken();
      };
      this.woke = woke;
      this.onAbort = (): void => {
        this.abortSeen = true;
        if (this.waiting) queueMicrotask(woke);
      };
      this.listen(signal, this.onAbort);
      return;
    }
    const woke = (): void => {
      this.timer = undefined;
      if (this.waiting) this.woken();
    };
    this.woke = woke;
    // The wait ends on a later microtask, not inside the caller's `abort()` (often called from the
    // consumer's own callback, which must not be re-entered).
    this.onAbort = (): void => {
      this.abortSeen = true;
      if (this.timer === undefined) return;
      clearTimeout(this.timer);
      this.timer = undefined;
      queueMicrotask(woke);
    };
    this.listen(signal, this.onAbort);
  }

  /** Keeps the abort of `signal` in the field (already aborted: at once). */
  private listen(signal: AbortSignal | undefined, onAbort: () => void): void {
    if (signal?.aborted) this.abortSeen = true;
    else signal?.addEventListener('abort', onAbort, { once: true });
  }

  /** The caller aborted (read by the driver at every step). */
  get aborted(): boolean {
    return this.abortSeen || (this.onAbort === undefined && this.signal?.aborted === true);
  }

  /** Resolves at `due`, or at the abort; `undefined` when `due` has passed. */
  until(due: number): Promise<void> | undefined {
    const ms = due - this.env.now();
    if (ms <= 0) return undefined;
    // An injected sleep through its promise (the signal given: it ends the wait at the abort).
    if (this.injectedSleep) return this.env.sleep(ms, this.signal);
    return new Promise((resolve) => {
      this.wake = resolve;
      this.start(ms);
    });
  }

  /** Calls {@link woken} at `due`, or at the abort, and says so; `false` (and no call) when `due` has passed. */
  wait(due: number): boolean {
    const ms = due - this.env.now();
    if (ms <= 0) return false;
    if (this.injectedSleep && this.scheduling === undefined) {
      this.waiting = true;
      void this.env.sleep(ms, this.signal).then(() => {
        if (this.waiting) this.woken();
      });
    } else this.start(ms);
    return true;
  }

  /** A wait ended (once per wait): the pulled driver's promise resolves. */
  protected woken(): void {
    this.waiting = false;
    const wake = this.wake;
    this.wake = undefined;
    wake?.();
  }

  close(): void {
    if (this.onAbort) this.signal?.removeEventListener('abort', this.onAbort);
    if (this.timer !== undefined) clearTimeout(this.timer);
  }

  /** A wait of `ms` on the sleep's callback form or our own timer. */
  private start(ms: number): void {
    this.waiting = true;
    const scheduling = this.scheduling;
    if (scheduling !== undefined) scheduling.schedule(ms, undefined, this.woke!);
    // Whole milliseconds: node keeps one timer list per distinct duration, and the schedule is
    // absolute, so waking up to 1 ms late drifts nothing.
    else this.timer = setTimeout(this.woke!, Math.ceil(ms));
  }
}

/** Runs a script for `stream()`: its batches, pulled (the pacer made once the first is asked for). */
async function* pulled(steps: Script, pace: () => Pacer): AsyncGenerator<StreamPart[]> {
  const pacer = pace();
  try {
    for (;;) {
      if (pacer.aborted) return;
      const step = steps.next();
      if (step === undefined) return;
      if (typeof step !== 'number') yield step;
      else await pacer.until(step);
    }
  } finally {
    pacer.close();
  }
}

/**
 * Runs a script for `streamParts()`: its batches pushed to the guard as they are due, each step run
 * from the timer's callback (no promise or async resumption per word). The driver and its waits
 * are one object: a wake goes from the sleep's callback to this object and on to the script and
 * the guard, not through a pacer, a driver closure and its context first (each an object of the
 * stream touched per token, a cache miss apiece at thousands of streams).
 */
class PushedRun extends Pacer {
  constructor(
    env: ProviderEnvironment,
    injectedSleep: boolean,
    signal: AbortSignal | undefined,
    private readonly steps: Script,
    private readonly guarded: PushedGuard,
    private readonly resolve: () => void,
    private readonly reject: (error: unknown) => void,
  ) {
    super(env, injectedSleep, signal);
  }

  protected override woken(): void {
    this.waiting = false;
    this.step();
  }

  step(): void {
    try {
      for (;;) {
        if (this.aborted) return this.settle(this.guarded.ended());
        const next = this.steps.next();
        if (next === undefined) return this.settle(this.guarded.ended());
        if (typeof next === 'number') {
          if (this.wait(next)) return;
          continue;
        }
        const end = this.guarded.batch(next);
        if (end !== undefined) return this.settle(end);
      }
    } catch (error) {
      this.settle(this.guarded.thrown(error));
    }
  }

  private settle(end: Promise<void>): void {
    this.close();
    end.then(this.resolve, this.reject);
  }
}

function pushed(env: ProviderEnvironment, injectedSleep: boolean, signal: AbortSignal | undefined, steps: Script, guarded: PushedGuard): Promise<void> {
  return new Promise((resolve, reject) => new PushedRun(env, injectedSleep, signal, steps, guarded, resolve, reject).step());
}
