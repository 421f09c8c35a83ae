import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/** The repository's root, where README.md and docs/ live. */
export const DOCS_ROOT = join(import.meta.dirname, '..', '..');

/** A documentation page's text, by its path from the repository's root. */
export function docText(path: string): string {
  return readFileSync(join(DOCS_ROOT, path), 'utf8');
}

export interface FencedBlock {
  lang: string;
  body: string;
  /** The `<!-- marker -->` on the line right before the fence, if any. */
  marker?: string;
  /** 1-based line of the opening fence. */
  line: number;
}

/** Every fenced block of a page, in order, with its marker. */
export function fencedBlocks(path: string): FencedBlock[] {
  const lines = docText(path).split('\n');
  const blocks: FencedBlock[] = [];
  for (let i = 0; i < lines.length; i++) {
    // A fence may be indented, inside a list item; its body is then indented as much.
    const open = /^( *)```(\S*)$/.exec(lines[i]!);
    if (!open) continue;
    const indent = open[1]!;
    const end = lines.indexOf(`${indent}\`\`\``, i + 1);
    if (end < 0) throw new Error(`${path}:${i + 1}: a fence that is never closed`);
    const marker = /^ *<!-- ([\w-]+) -->$/.exec(lines[i - 1] ?? '')?.[1];
    const body = lines.slice(i + 1, end).map((l) => (l.startsWith(indent) ? l.slice(indent.length) : l));
    blocks.push({ lang: open[2]!, body: body.join('\n'), line: i + 1, ...(marker ? { marker } : {}) });
    i = end;
  }
  return blocks;
}

/**
 * The fenced code block right after `<!-- marker -->` in a page: the example a test runs as
 * written, so the page cannot drift from what runs. A block indented in a list item comes back
 * without the indent.
 */
export function docBlock(path: string, marker: string): string {
  const block = fencedBlocks(path).find((b) => b.marker === marker);
  if (!block) throw new Error(`${path} has no <!-- ${marker} --> block`);
  return block.body;
}

/** Every fenced block of one language in a page, in order (optionally only within one section). */
export function docBlocks(path: string, lang: string, section?: string): string[] {
  let within = (_line: number) => true;
  if (section) {
    const lines = stripFences(docText(path)).split('\n');
    const at = lines.indexOf(section);
    if (at < 0) throw new Error(`${path} has no section ${section}`);
    const level = /^#+/.exec(section)![0].length;
    const next = lines.findIndex((l, i) => i > at && new RegExp(`^#{1,${level}} `).test(l));
    within = (line) => line > at + 1 && (next < 0 || line <= next);
  }
  return fencedBlocks(path)
    .filter((b) => b.lang === lang && within(b.line))
    .map((b) => b.body);
}

/** The text with fenced blocks blanked out (same length), so a `#` comment in code is no heading. */
export function stripFences(text: string): string {
  return text.replace(/^```[\s\S]*?^```$/gm, (block) => block.replace(/[^\n]/g, ' '));
}

/** GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens. */
export function headingSlug(heading: string): string {
  return heading
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N}_\- ]/gu, '')
    .replace(/ /g, '-');
}

/** Every anchor a page offers: its headings' slugs (repeats numbered as GitHub does) and explicit ids. */
export function pageAnchors(text: string): Set<string> {
  const seen = new Map<string, number>();
  const anchors = new Set<string>();
  for (const m of stripFences(text).matchAll(/^#{1,6} (.+)$/gm)) {
    const slug = headingSlug(m[1]!);
    const n = seen.get(slug) ?? 0;
    seen.set(slug, n + 1);
    anchors.add(n === 0 ? slug : `${slug}-${n}`);
  }
  for (const m of text.matchAll(/<a (?:id|name)="([^"]+)"/g)) anchors.add(m[1]!);
  return anchors;
}
