import { readFileSync } from 'node:fs';

interface ProfileNode {
  callFrame: { functionName: string; url: string; lineNumber: number };
  selfSize: number;
  children: ProfileNode[];
}

/**
 * A sampled allocation profile (`.heapprofile`) read back as self bytes per function
 * (`name path:line`), largest first, and their total: what the garbage benches print.
 */
export function selfBytesByFunction(file: string): { byFunction: Array<[string, number]>; total: number } {
  const { head } = JSON.parse(readFileSync(file, 'utf8')) as { head: ProfileNode };
  const byFunction = new Map<string, number>();
  let total = 0;
  const walk = (n: ProfileNode) => {
    const f = n.callFrame;
    const name = `${f.functionName || '(anonymous)'} ${f.url.replace(/^.*\/(node_modules|packages)\//, '')}:${f.lineNumber + 1}`;
    byFunction.set(name, (byFunction.get(name) ?? 0) + n.selfSize);
    total += n.selfSize;
    n.children.forEach(walk);
  };
  walk(head);
  return { byFunction: [...byFunction].sort((a, b) => b[1] - a[1]), total };
}
