import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Metafile } from 'esbuild';
import { PROJECT_ROOT } from '../lib/constructs/webhook-function.js';

/**
 * A function's floor (issue 21): a module of only the AWS SDK clients and commands the function
 * imports, bundled the way the function is, each client constructed once as the function's
 * first call must. What the function's init costs beyond it is ours to remove.
 *
 * The imports are read from the function's own bundle (the source files esbuild kept in it), so
 * a client a handler stops using leaves its floor too; nothing is listed by hand.
 */

/** Value imports (no `import type`, no inline `type X`) from @aws-sdk packages, by package. */
export function sdkImports(source: string): Map<string, Set<string>> {
  const found = new Map<string, Set<string>>();
  for (const m of source.matchAll(/import\s+(type\s+)?\{([^}]*)\}\s*from\s*'(@aws-sdk\/[^']+)'/g)) {
    if (m[1]) continue;
    const names = m[2]!
      .split(',')
      .map((n) => n.trim())
      .filter((n) => n && !n.startsWith('type '))
      .map((n) => n.split(/\s+as\s+/)[0]!.trim());
    if (names.length === 0) continue;
    const set = found.get(m[3]!) ?? new Set<string>();
    for (const n of names) set.add(n);
    found.set(m[3]!, set);
  }
  return found;
}

/** The SDK imports of every source file of ours that a handler's bundle (its metafile) keeps code of. */
export function handlerSdkImports(metafile: Metafile): Map<string, Set<string>> {
  const output = Object.values(metafile.outputs).find((o) => o.entryPoint);
  if (!output) throw new Error('the metafile has no entry point output');
  const all = new Map<string, Set<string>>();
  for (const [path, input] of Object.entries(output.inputs)) {
    if (path.includes('node_modules') || input.bytesInOutput === 0 || !path.endsWith('.ts')) continue;
    for (const [pkg, names] of sdkImports(readFileSync(join(PROJECT_ROOT, path), 'utf8'))) {
      const set = all.get(pkg) ?? new Set<string>();
      for (const n of names) set.add(n);
      all.set(pkg, set);
    }
  }
  return all;
}

/**
 * The floor module: the same imports, re-exported so none is shaken out, and each client built
 * once (the document client over its DynamoDB client, as functions/runtime/dynamodb.ts does).
 */
export function floorSource(imports: Map<string, Set<string>>): string {
  const lines: string[] = [];
  const exported: string[] = [];
  const clients: string[] = [];
  for (const [pkg, names] of [...imports].sort(([a], [b]) => a.localeCompare(b))) {
    const sorted = [...names].sort();
    lines.push(`import { ${sorted.join(', ')} } from '${pkg}';`);
    exported.push(...sorted);
    for (const n of sorted) if (/Client$/.test(n) && n !== 'DynamoDBDocumentClient') clients.push(`new ${n}({})`);
  }
  const hasDocument = [...imports.values()].some((s) => s.has('DynamoDBDocumentClient'));
  if (hasDocument) {
    if (!exported.includes('DynamoDBClient')) {
      lines.unshift("import { DynamoDBClient } from '@aws-sdk/client-dynamodb';");
      exported.push('DynamoDBClient');
    }
    clients.push('DynamoDBDocumentClient.from(new DynamoDBClient({}), { marshallOptions: { removeUndefinedValues: true } })');
  }
  lines.push(`export { ${exported.join(', ')} };`);
  lines.push(`export const clients = [${clients.join(', ')}];`);
  return `${lines.join('\n')}\n`;
}
