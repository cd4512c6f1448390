import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { parse } from 'acorn';

/**
 * Reads the price data that `@pydantic/genai-prices` ships inside its ES module, WITHOUT evaluating it:
 * evaluating would turn every price into a binary float. acorn parses the module text and each
 * numeric literal keeps its source digits (`raw`), which become exact decimal strings here.
 */

/** A value of the source data: numbers are kept as their exact decimal text. */
export type RawValue = string | boolean | null | { readonly decimal: string } | RawValue[] | { [key: string]: RawValue };

/** `2e5` → `200000`, `0.025` → `0.025`, `1.25e-3` → `0.00125`, from the digits alone. */
export function literalToDecimal(raw: string): string {
  const m = /^(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?$/.exec(raw);
  if (!m || (m[1] === '' && (m[2] ?? '') === '')) throw new Error(`Not a plain decimal numeric literal: ${raw}`);
  const intPart = m[1] ?? '';
  const frac = m[2] ?? '';
  const exp = Number(m[3] ?? '0');
  let digits = intPart + frac;
  let point = intPart.length + exp; // position of the decimal point within digits
  if (point < 0) {
    digits = '0'.repeat(-point) + digits;
    point = 0;
  }
  if (point > digits.length) digits += '0'.repeat(point - digits.length);
  let whole = digits.slice(0, point).replace(/^0+(?=\d)/, '') || '0';
  const fraction = digits.slice(point).replace(/0+$/, '');
  if (whole === '') whole = '0';
  return fraction === '' ? whole : `${whole}.${fraction}`;
}

// acorn's ESTree nodes, read structurally: only the node kinds the data uses are accepted below.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Node = { type: string; [key: string]: any };

function toValue(node: Node): RawValue {
  switch (node.type) {
    case 'ArrayExpression':
      return node.elements.map((e: Node) => toValue(e));
    case 'ObjectExpression': {
      const out: { [key: string]: RawValue } = {};
      for (const p of node.properties as Node[]) {
        if (p.type !== 'Property' || p.computed) throw new Error(`Unexpected ${p.type} in the price data`);
        const key = p.key.type === 'Identifier' ? p.key.name : String(p.key.value);
        out[key] = toValue(p.value);
      }
      return out;
    }
    case 'Literal':
      if (typeof node.value === 'number') return { decimal: literalToDecimal(node.raw) };
      if (typeof node.value === 'string' || typeof node.value === 'boolean' || node.value === null) return node.value;
      throw new Error(`Unexpected literal ${node.raw}`);
    case 'UnaryExpression':
      // Minifiers write true/false as !0/!1.
      if (node.operator === '!' && node.argument.type === 'Literal' && typeof node.argument.value === 'number') return node.argument.value === 0;
      throw new Error(`Unexpected unary ${node.operator}`);
    case 'TemplateLiteral':
      // Multi-line descriptions: a template without expressions is a plain string.
      if (node.expressions.length === 0) return node.quasis.map((q: Node) => q.value.cooked).join('');
      throw new Error('Unexpected template with expressions in the price data');
    default:
      throw new Error(`Unexpected ${node.type} in the price data`);
  }
}

/** The providers array of the installed `@pydantic/genai-prices`, and its version. */
export function readGenaiPrices(): { version: string; providers: RawValue[] } {
  const require = createRequire(import.meta.url);
  // The package exports only its entry points; its directory is found from the ESM entry.
  const entry = require.resolve('@pydantic/genai-prices').replace(/index\.cjs$/, 'index.js');
  const dir = dirname(dirname(entry));
  const version = (JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { version: string }).version;
  const text = readFileSync(join(dir, 'dist', 'index.js'), 'utf8');
  const program = parse(text, { ecmaVersion: 'latest', sourceType: 'module' }) as unknown as Node;
  for (const stmt of program.body as Node[]) {
    if (stmt.type !== 'VariableDeclaration') continue;
    for (const d of stmt.declarations as Node[]) {
      const init = d.init as Node | null;
      if (init?.type !== 'ArrayExpression' || init.elements.length === 0) continue;
      const first = init.elements[0] as Node;
      const keys = first.type === 'ObjectExpression' ? (first.properties as Node[]).map((p) => p.key?.name) : [];
      if (keys.includes('api_pattern') && keys.includes('models')) return { version, providers: toValue(init) as RawValue[] };
    }
  }
  throw new Error('The providers array was not found in @pydantic/genai-prices/dist/index.js; its layout changed.');
}
