/**
 * Event source mapping batch sizes, shared by the stack and local mode's pollers. Fan-out
 * takes large batches (fewer subscription queries and table writes per event); the sender
 * takes ten, delivered at once within its timeout.
 */
export const FANOUT_BATCH_SIZE = 100;
export const FANOUT_BATCH_WINDOW_SECONDS = 1;
export const SENDER_BATCH_SIZE = 10;
