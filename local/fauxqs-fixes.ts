/**
 * Two changes to fauxqs 2.4's SQLite persistence. It loses a message when its visibility is set to 0: the write
 * behind `ChangeMessageVisibility(0)` stores NULL in the NOT NULL receive-count column, throws
 * after the message has left the in-flight set and before it is back in the queue, and the
 * retried call then answers MessageNotInflight. SQS keeps a released message's receive count,
 * so the fix clears only the in-flight fields. And it commits with an fsync each (below).
 * Applied once, to the module fauxqs itself loads.
 */
interface PersistenceManagerLike {
  db: { prepare(sql: string): { run(...args: unknown[]): unknown }; exec(sql: string): void };
  updateMessageReady(messageId: string): void;
  prepareStatements(): unknown;
}

let applied: Promise<void> | undefined;

/**
 * One of fauxqs's own modules, the instance fauxqs itself loads (the package exports only its
 * entry point, so the file is reached beside it).
 */
export async function fauxqsModule<T>(path: string): Promise<T> {
  return (await import(new URL(path, import.meta.resolve('fauxqs')).href)) as T;
}

export function applyFauxqsFixes(): Promise<void> {
  applied ??= (async () => {
    const { PersistenceManager } = await fauxqsModule<{ PersistenceManager: { prototype: PersistenceManagerLike } }>('./persistence.js');
    const statements = new WeakMap<object, { run(...args: unknown[]): unknown }>();
    // Every send, receive and delete is its own SQLite transaction, and with the default
    // synchronous=FULL each commit waits for an fsync: about 4 ms, so SQS's stand-in spent more
    // than half the pipeline's CPU and capped the publish route near 300 events a second. In WAL
    // mode NORMAL syncs at checkpoints only; a commit is in the WAL file before the call
    // returns, so a killed process (local-crash.test.ts) loses nothing, only a power cut could.
    const prepareStatements = PersistenceManager.prototype.prepareStatements;
    PersistenceManager.prototype.prepareStatements = function (this: PersistenceManagerLike) {
      this.db.exec('PRAGMA synchronous = NORMAL');
      return prepareStatements.call(this);
    };
    PersistenceManager.prototype.updateMessageReady = function (this: PersistenceManagerLike, messageId: string) {
      let statement = statements.get(this);
      if (!statement) {
        statement = this.db.prepare('UPDATE sqs_messages SET receipt_handle = NULL, visibility_deadline = NULL WHERE message_id = ?');
        statements.set(this, statement);
      }
      statement.run(messageId);
    };
  })();
  return applied;
}
