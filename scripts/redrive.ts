/**
 * Operators put dead-lettered deliveries back on the delivery queue:
 *
 *   npm run redrive                              local mode: move every DLQ message now
 *   npm run redrive -- --stack NAME              AWS: start an SQS message move task
 *   npm run redrive -- --stack NAME --max-per-second 50
 *   npm run redrive -- --stack NAME --status     AWS: the DLQ's move tasks
 *   npm run redrive -- --ingest [--stack NAME]   the two ingest DLQs back to the ingest queue
 *
 * A redriven message is a new message: it gets the whole retry schedule again, and its
 * delivery history continues (attempts numbered on). Against a
 * deployed stack with --stack NAME (or WEBHOOKS_STACK), else against the running local mode
 * (WEBHOOKS_DATA_DIR, default .data). Prints JSON on stdout. Exit codes: 0 done, 1 could not
 * be done (target unreachable, SQS refused), 2 bad usage.
 */

import { parseRedriveArgs, type RedriveArgs, RedriveError, runRedrive, UsageError } from './lib/redrive.js';
import { openTarget, TargetError } from './lib/targets.js';

const USAGE = `usage: npm run redrive -- [options]

Moves every message of the delivery dead-letter queue back to the delivery queue, where
each gets the whole retry schedule again.

options:
  --stack NAME              act on the deployed stack NAME (default: env WEBHOOKS_STACK):
                            starts an SQS message move task and prints its handle; without
                            either, act on the running local mode found through
                            WEBHOOKS_DATA_DIR (default .data) and move the messages at once
  --max-per-second N        stack only: move at most N messages a second (1-500)
  --status                  stack only: list the dead-letter queue's move tasks
  --ingest                  act on the ingest side instead: events the fan-out failed on (the
                            ingest DLQ: a move task on AWS) and events EventBridge could not put
                            on the ingest queue (the bus target DLQ: received, sent to the
                            ingest queue, deleted), both back to the ingest queue
  -h, --help                show this help`;

async function main(argv: string[]): Promise<number> {
  let args: RedriveArgs;
  try {
    args = parseRedriveArgs(argv);
  } catch (err) {
    if (err instanceof UsageError) {
      process.stderr.write(`redrive: ${err.message}\n\n${USAGE}\n`);
      return 2;
    }
    throw err;
  }
  if (args.command === 'help') {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }

  let target: Awaited<ReturnType<typeof openTarget>> | undefined;
  try {
    target = await openTarget(args.stack !== undefined ? { stack: args.stack } : {});
    const result = await runRedrive(target, args);
    process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
    return 0;
  } catch (err) {
    if (err instanceof UsageError) {
      process.stderr.write(`redrive: ${err.message}\n\n${USAGE}\n`);
      return 2;
    }
    if (err instanceof RedriveError || err instanceof TargetError) {
      process.stderr.write(`redrive: ${err.message}\n`);
      return 1;
    }
    const message = err instanceof Error ? err.message : String(err);
    process.stderr.write(`redrive: failed${target ? ` on ${target.description}` : ''}: ${message}\n`);
    return 1;
  } finally {
    target?.close();
  }
}

process.exitCode = await main(process.argv.slice(2));
