// The public API of every package, one line per exported name, written to api/<package>.api.md and
// checked in: a change of public API shows in review as a diff of that file.
//   tsx scripts/api-report.ts           writes the reports
//   tsx scripts/api-report.ts --check   fails when a report is out of date (part of `pnpm test`)
//   tsx scripts/api-report.ts --count   prints the number of public names per entry point
// Each entry point is a key of the package's `exports` (`.` → src/index.ts, `./internal` →
// src/internal.ts): what a user can import is what is reported.
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import ts from 'typescript';

const root = join(import.meta.dirname, '..');
const mode = process.argv.includes('--check') ? 'check' : process.argv.includes('--count') ? 'count' : 'write';
const FLAGS = ts.TypeFormatFlags.NoTruncation | ts.TypeFormatFlags.UseAliasDefinedOutsideCurrentScope | ts.TypeFormatFlags.WriteArrowStyleSignature;

interface Entry {
  packageName: string;
  subpath: string;
  file: string;
}

function entries(dir: string): Entry[] {
  const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { name: string; exports?: Record<string, unknown> };
  return Object.keys(pkg.exports ?? { '.': {} })
    .filter((key) => key !== './package.json')
    .map((key) => ({ packageName: pkg.name, subpath: key, file: join(dir, 'src', key === '.' ? 'index.ts' : `${key.slice(2)}.ts`) }));
}

/** A declaration in one of our packages' sources (not a dependency's). */
const ours = (node: ts.Node | undefined) => node !== undefined && node.getSourceFile().fileName.includes('/packages/') && !node.getSourceFile().fileName.includes('node_modules');
/** Source text on one line, without comments (for types that come from a dependency). */
const text = (node: ts.Node) => ts.createPrinter({ removeComments: true, newLine: ts.NewLineKind.LineFeed }).printNode(ts.EmitHint.Unspecified, node, node.getSourceFile()).replace(/\s*\n\s*/g, ' ');

/** One line per exported name: its kind and signature (types in full, so a changed field shows). */
function describe(checker: ts.TypeChecker, exported: ts.Symbol): string[] {
  const symbol = exported.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(exported) : exported;
  const name = exported.name;
  const decl = symbol.declarations?.[0];
  const lines: string[] = [];
  const typeOf = (node: ts.Node) => checker.typeToString(checker.getTypeAtLocation(node), undefined, FLAGS);
  if (symbol.flags & ts.SymbolFlags.Function && decl) {
    const type = checker.getTypeOfSymbolAtLocation(symbol, decl);
    for (const sig of type.getCallSignatures()) lines.push(`function ${name}${checker.signatureToString(sig, undefined, FLAGS)}`);
  } else if (symbol.flags & ts.SymbolFlags.Class && decl) {
    const type = checker.getDeclaredTypeOfSymbol(symbol);
    const members = checker
      .getPropertiesOfType(type)
      .filter((p) => ours(p.valueDeclaration ?? p.declarations?.[0]))
      .filter((p) => !(ts.getCombinedModifierFlags(p.valueDeclaration ?? p.declarations![0]!) & (ts.ModifierFlags.Private | ts.ModifierFlags.Protected)))
      .map((p) => `${p.name}: ${checker.typeToString(checker.getTypeOfSymbolAtLocation(p, decl), undefined, FLAGS)}`);
    lines.push(`class ${name} { ${members.join('; ')} }`);
  } else if (symbol.flags & (ts.SymbolFlags.Interface | ts.SymbolFlags.TypeAlias) && decl) {
    const type = checker.getDeclaredTypeOfSymbol(symbol);
    const props = checker.getPropertiesOfType(type);
    const expand = props.length > 0 && !type.isUnion() && props.every((p) => ours(p.valueDeclaration ?? p.declarations?.[0]));
    const body = !expand && !(type.isUnion() || type.flags & ts.TypeFlags.Object) ? checker.typeToString(type, undefined, FLAGS | ts.TypeFormatFlags.InTypeAlias)
      : !expand && symbol.flags & ts.SymbolFlags.TypeAlias && !type.isUnion() ? text((decl as ts.TypeAliasDeclaration).type)
      : !expand && symbol.flags & ts.SymbolFlags.Interface ? text(decl).replace(/^export /, '')
      : expand
        ? `{ ${props.map((p) => `${p.name}${p.flags & ts.SymbolFlags.Optional ? '?' : ''}: ${checker.typeToString(checker.getTypeOfSymbolAtLocation(p, decl), undefined, FLAGS)}`).join('; ')} }`
        : checker.typeToString(type, undefined, FLAGS | ts.TypeFormatFlags.InTypeAlias);
    lines.push(`type ${name} = ${body}`);
  } else if (symbol.flags & ts.SymbolFlags.Variable && decl) {
    lines.push(`const ${name}: ${typeOf(decl)}`);
  } else if (symbol.flags & (ts.SymbolFlags.ValueModule | ts.SymbolFlags.NamespaceModule)) {
    lines.push(`namespace ${name} { ${checker.getExportsOfModule(symbol).map((s) => s.name).sort().join(', ')} }`);
  } else {
    lines.push(`${ts.SymbolFlags[symbol.flags] ?? 'name'} ${name}`);
  }
  // A type spelled out by a dependency (Drizzle's, Express's) is shown as written instead.
  return lines.map((line) => (line.length > 1_500 && decl ? `${line.split(' ')[0]} ${name}: ${text(decl).slice(0, 600)}` : line));
}

const packageDirs = readdirSync(join(root, 'packages')).map((d) => join(root, 'packages', d)).filter((d) => existsSync(join(d, 'package.json')));
const all = packageDirs.flatMap(entries);
const program = ts.createProgram(
  all.map((e) => e.file),
  { ...ts.getDefaultCompilerOptions(), target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.ESNext, moduleResolution: ts.ModuleResolutionKind.Bundler, strict: true, skipLibCheck: true, noEmit: true, jsx: ts.JsxEmit.ReactJSX, types: ['node'] },
);
const checker = program.getTypeChecker();
let stale = 0;
mkdirSync(join(root, 'api'), { recursive: true });
for (const dir of packageDirs) {
  const sections: string[] = [];
  const pkgEntries = entries(dir);
  for (const entry of pkgEntries) {
    const source = program.getSourceFile(entry.file);
    const moduleSymbol = source && checker.getSymbolAtLocation(source);
    if (!moduleSymbol) throw new Error(`No module for ${entry.file}`);
    const exported = checker.getExportsOfModule(moduleSymbol).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    const importPath = entry.subpath === '.' ? entry.packageName : `${entry.packageName}/${entry.subpath.slice(2)}`;
    if (mode === 'count') console.log(`${importPath}: ${exported.length} public names`);
    sections.push(`## \`${importPath}\` (${exported.length} names)\n\n${exported.flatMap((s) => describe(checker, s)).map((l) => `- \`${l.replace(/`/g, "'")}\``).join('\n')}\n`);
  }
  const name = pkgEntries[0]!.packageName;
  const text = `# ${name}: public API\n\nGenerated by \`scripts/api-report.ts\` from ${relative(root, dir)}/src; \`pnpm api:update\` rewrites it after a deliberate change.\n\n${sections.join('\n')}`;
  const out = join(root, 'api', `${name.replace('@twin/', '')}.api.md`);
  if (mode === 'write') writeFileSync(out, text);
  else if (mode === 'check' && (!existsSync(out) || readFileSync(out, 'utf8') !== text)) {
    console.error(`${relative(root, out)} is out of date: the public API of ${name} changed. Run \`pnpm api:update\` and commit the diff.`);
    stale++;
  }
}
if (stale > 0) process.exit(1);
