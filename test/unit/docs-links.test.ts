import { existsSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DOCS_ROOT, docText, pageAnchors, stripFences } from '../support/docs.js';

/**
 * The documentation's relative links all lead somewhere: every file they name exists, and every
 * `#anchor` is a heading of the page it points into (GitHub's slugs). External links are not
 * fetched (no network here); they are AWS's and the standards' own pages.
 */

const SKIP = new Set(['node_modules', '.git', '.data', 'cdk.out', 'dist', 'tools']);

function markdownFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (SKIP.has(name)) return [];
    if (statSync(path).isDirectory()) return markdownFiles(path);
    return name.endsWith('.md') ? [relative(DOCS_ROOT, path)] : [];
  });
}

const PAGES = markdownFiles(DOCS_ROOT).sort();

function links(text: string): string[] {
  // Links in code are examples, not links.
  const prose = stripFences(text).replace(/`[^`\n]*`/g, '');
  return [...prose.matchAll(/\]\(([^)\s]+)\)/g)].map((m) => m[1]!).filter((t) => !/^[a-z][a-z0-9+.-]*:/i.test(t));
}

describe('documentation links', () => {
  it('finds the pages: the README, the docs index and a page for each audience', () => {
    for (const page of [
      'README.md',
      'docs/README.md',
      'docs/tenants/api.md',
      'docs/operators/deploying.md',
      'docs/contributors/architecture.md',
    ])
      expect(PAGES).toContain(page);
  });

  it.each(PAGES)('%s: every relative link and anchor exists', (page) => {
    const text = docText(page);
    const dead: string[] = [];
    for (const target of links(text)) {
      const [path, anchor] = target.split('#', 2) as [string, string | undefined];
      const file = path ? join(dirname(join(DOCS_ROOT, page)), decodeURI(path)) : join(DOCS_ROOT, page);
      if (!existsSync(file)) {
        dead.push(`${target}: no such file`);
        continue;
      }
      if (anchor === undefined || !file.endsWith('.md')) continue;
      if (!pageAnchors(file === join(DOCS_ROOT, page) ? text : docText(relative(DOCS_ROOT, file))).has(anchor))
        dead.push(`${target}: no such heading`);
    }
    expect(dead).toEqual([]);
  });

  it('links every page under docs/ from the docs index', () => {
    const index = docText('docs/README.md');
    const linked = new Set(links(index).map((t) => join('docs', t.split('#')[0]!)));
    const unlinked = PAGES.filter((p) => p.startsWith('docs/') && p !== 'docs/README.md' && !linked.has(p));
    expect(unlinked).toEqual([]);
  });

  it('keeps the README short: at most 250 lines', () => {
    expect(docText('README.md').split('\n').length).toBeLessThanOrEqual(250);
  });
});
