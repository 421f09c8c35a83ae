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

/**
 * The packages a source loads with `import('@aws-sdk/...')`, with the clients it names (the
 * `...Client` identifiers in the file): bodies.ts loads S3 on the first large event only.
 */
export function lazySdkImports(source: string): Map<string, Set<string>> {
  const found = new Map<string, Set<string>>();
  const clients = new Set([...source.matchAll(/\b([A-Z]\w*Client)\b/g)].map((m) => m[1]!));
  clients.delete('DynamoDBDocumentClient');
  // `import('...').Type` is a type, not a load.
  for (const m of source.matchAll(/import\(\s*'(@aws-sdk\/[^']+)'\s*\)(?!\s*\.)/g)) found.set(m[1]!, new Set(clients));
  return found;
}

/** What a function takes from the SDK: by package, the names imported, and which packages it loads on demand. */
export interface SdkImports {
  names: Map<string, Set<string>>;
  lazy: Set<string>;
}

/** The SDK imports of every source file of ours that a handler's bundle (its metafile) keeps code of. */
export async function handlerSdkImports(metafile: Metafile): Promise<SdkImports> {
  const output = Object.values(metafile.outputs).find((o) => o.entryPoint);
  if (!output) throw new Error('the metafile has no entry point output');
  const names = new Map<string, Set<string>>();
  const lazy = new Set<string>();
  const add = (pkg: string, more: Iterable<string>) => {
    const set = names.get(pkg) ?? new Set<string>();
    for (const n of more) set.add(n);
    names.set(pkg, set);
  };
  for (const [path, input] of Object.entries(output.inputs)) {
    if (path.includes('node_modules') || input.bytesInOutput === 0 || !path.endsWith('.ts')) continue;
    const source = readFileSync(join(PROJECT_ROOT, path), 'utf8');
    for (const [pkg, found] of sdkImports(source)) add(pkg, found);
    for (const [pkg, clients] of lazySdkImports(source)) {
      // Only the names the package really exports: a file may name other clients too.
      const exported = new Set(Object.keys(await import(pkg)));
      add(
        pkg,
        [...clients].filter((c) => exported.has(c)),
      );
      lazy.add(pkg);
    }
  }
  return { names, lazy };
}

/**
 * The floor module: the same imports, re-exported so none is shaken out, and each client built
 * once (the document client over its DynamoDB client, as functions/runtime/dynamodb.ts does). A
 * package the function loads on demand is loaded the same way here, with every name the
 * function takes from it (S3's commands are imported only by the module loaded with it), and
 * never called: its bytes are in the bundle, its module init is not paid at start-up.
 */
export function floorSource(imports: SdkImports): string {
  const lines: string[] = [];
  const exported: string[] = [];
  const clients: string[] = [];
  const onDemand: string[] = [];
  for (const [pkg, names] of [...imports.names].sort(([a], [b]) => a.localeCompare(b))) {
    const sorted = [...names].sort();
    if (imports.lazy.has(pkg)) {
      const use = sorted.map((n) => (/Client$/.test(n) ? `new m.${n}({})` : `m.${n}`));
      onDemand.push(`() => import('${pkg}').then((m) => [${use.join(', ')}])`);
      continue;
    }
    lines.push(`import { ${sorted.join(', ')} } from '${pkg}';`);
    exported.push(...sorted);
    for (const n of sorted) if (/Client$/.test(n) && n !== 'DynamoDBDocumentClient') clients.push(`new ${n}({})`);
  }
  const hasDocument = [...imports.names.values()].some((s) => s.has('DynamoDBDocumentClient'));
  if (hasDocument) {
    if (!exported.includes('DynamoDBClient')) {
      lines.unshift("import { DynamoDBClient } from '@aws-sdk/client-dynamodb';");
      exported.push('DynamoDBClient');
    }
    clients.push('DynamoDBDocumentClient.from(new DynamoDBClient({}), { marshallOptions: { removeUndefinedValues: true } })');
  }
  lines.push(`export { ${exported.join(', ')} };`);
  lines.push(`export const clients = [${clients.join(', ')}];`);
  lines.push(`export const onDemand = [${onDemand.join(', ')}];`);
  return `${lines.join('\n')}\n`;
}
