import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/** The repository's root, where README.md and docs/ live. */
export const DOCS_ROOT = join(import.meta.dirname, '..', '..');

/** A documentation page's text, by its path from the repository's root. */
export function docText(path: string): string {
  return readFileSync(join(DOCS_ROOT, path), 'utf8');
}

/**
 * The fenced code block right after `<!-- marker -->` in a page: the example a test runs as
 * written, so the page cannot drift from what runs. A block indented in a list item comes back
 * without the indent.
 */
export function docBlock(path: string, marker: string): string {
  const m = new RegExp(`^( *)<!-- ${marker} -->\\n\\1\`\`\`[a-z]*\\n([\\s\\S]*?)\\n\\1\`\`\``, 'm').exec(docText(path));
  if (!m) throw new Error(`${path} has no <!-- ${marker} --> block`);
  const indent = m[1]!;
  return indent ? m[2]!.replace(new RegExp(`^${indent}`, 'gm'), '') : m[2]!;
}

/** Every fenced block of one language in a page, in order (optionally only within one section). */
export function docBlocks(path: string, lang: string, section?: string): string[] {
  let text = docText(path);
  if (section) {
    const at = text.indexOf(`\n${section}\n`);
    if (at < 0) throw new Error(`${path} has no section ${section}`);
    const level = /^#+/.exec(section)![0].length;
    const rest = text.slice(at + section.length + 2);
    const next = new RegExp(`^#{1,${level}} `, 'm').exec(stripFences(rest));
    text = next ? rest.slice(0, next.index) : rest;
  }
  return [...text.matchAll(new RegExp(`^\`\`\`${lang}\\n([\\s\\S]*?)^\`\`\`$`, 'gm'))].map((m) => m[1]!.replace(/\n$/, ''));
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
