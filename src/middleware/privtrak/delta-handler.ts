import type { AnnounceDelta } from '../../backend/backend.js';

/**
 * Where privtrak sends batches: normally the BackendConnection. A batch is applied atomically
 * (all or nothing). `batchId` is unique per batch and reused when a batch is retried (also
 * after a restart that replays the spool): a handler that records applied ids in the same
 * transaction and skips an id it has already applied makes every batch count exactly once,
 * even when a commit succeeded but its acknowledgement was lost. A handler that ignores the id
 * still works, with "at least once" for a batch whose outcome was lost (see docs/accounting.md).
 */
export interface DeltaHandler {
  recordAnnounce(batch: readonly AnnounceDelta[], batchId: string): Promise<void>;
}
