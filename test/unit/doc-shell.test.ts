import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { checkRun, type FencedBlock, matchesExpectation, runShell, shellCommands } from '../support/doc-shell.js';

/** The doctest the docs' shell examples run under (test/e2e/docs-examples.test.ts): that it bites. */

const block = (body: string): FencedBlock => ({ lang: 'sh', body, line: 10 });

describe('matchesExpectation', () => {
  it('takes ... for anything, and compares JSON compact', () => {
    expect(matchesExpectation('{"id":"evt_1","type":"a"}\n', '{"id":"evt_...","type":"a"}')).toBe(true);
    expect(matchesExpectation('{\n  "id": "evt_1",\n  "type": "a"\n}\n', '{"id":"evt_...","type":"a"}')).toBe(true);
    expect(matchesExpectation('{"id":"evt_1","type":"b"}', '{"id":"evt_...","type":"a"}')).toBe(false);
    // Anchored: a prefix is not a match, nor is extra output.
    expect(matchesExpectation('{"id":"evt_1","type":"a","more":1}', '{"id":"evt_...","type":"a"}')).toBe(false);
    expect(matchesExpectation('HTTP/1.1 200 OK\r\nx-next-cursor: abc\r\n\r\n[1]', 'HTTP/1.1 200 OK...x-next-cursor: ...[1]')).toBe(true);
    expect(matchesExpectation('a(b)*c', 'a(b)*c')).toBe(true);
  });
});

describe('shellCommands', () => {
  it('reads statuses from the comment above, expectations below or at the end of the line, commands over lines', () => {
    const commands = shellCommands(
      block(
        [
          '# create (201): a comment',
          '# on two lines',
          "X=$(curl -s a --data '{",
          '  "b":1}\')',
          'curl -s b',
          '# {"id":"..."}',
          '# the next one (each look 200)',
          'until true; do',
          '  sleep 1',
          'done',
          'echo hi   # {"hi":true}',
          '# no status here',
          'curl -s c',
        ].join('\n'),
      ),
      'page.md',
    );
    expect(commands).toEqual([
      { text: 'X=$(curl -s a --data \'{\n  "b":1}\')', status: 201, where: 'page.md:13' },
      { text: 'curl -s b', status: 201, expect: '{"id":"..."}', where: 'page.md:15' },
      { text: 'until true; do\n  sleep 1\ndone', status: 200, where: 'page.md:18' },
      { text: 'echo hi   # {"hi":true}', status: 200, expect: '{"hi":true}', where: 'page.md:21' },
      { text: 'curl -s c', where: 'page.md:23' },
    ]);
  });

  it('refuses a block that ends inside a command', () => {
    expect(() => shellCommands(block("echo '{"), 'page.md')).toThrow(/incomplete command/);
  });
});

describe('runShell and checkRun', () => {
  it('runs the commands in one shell, captures each, and flags a status or an output the page does not show', async () => {
    const server = createServer((_req, res) => res.writeHead(404, { 'content-type': 'application/json' }).end('{"n":42}'));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
    try {
      const commands = shellCommands(
        block(['N=41', '# read (200)', `curl -s ${url}`, '# {"n":42}', 'echo "$N"', '# {"n":...}'].join('\n')),
        'page.md',
      );
      const run = await runShell(commands, process.env);
      expect(run.code).toBe(0);
      expect(run.runs.map((r) => r.stdout)).toEqual(['', '{"n":42}', '41\n']);
      expect(run.runs[1]!.statuses).toEqual([404]);
      expect(checkRun(run.runs[1]!)).toMatch(/answered 404, the page says 200/);
      expect(checkRun(run.runs[2]!)).toMatch(/printed\n41\nthe page shows\n\{"n":\.\.\.\}/);
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it('stops at the first failing command', async () => {
    const run = await runShell(shellCommands(block('echo one\nfalse\necho never'), 'page.md'), process.env);
    expect(run.code).not.toBe(0);
    expect(run.runs.map((r) => r.command.text)).toEqual(['echo one', 'false']);
  });
});
