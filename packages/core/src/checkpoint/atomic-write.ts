/**
 * Atomic file replacement: a reader (or a crash) sees either the old file or the complete new
 * one, never a partial write.
 */
import { randomBytes } from 'node:crypto';
import { type FileHandle, open, rename, rm } from 'node:fs/promises';
import { dirname } from 'node:path';

/**
 * Writes `data` to `path` atomically: into `path.tmp-<pid>-<random>` in the same directory,
 * fsync, rename over `path`, then fsync the directory so the rename itself is durable. On
 * failure the temp file is removed and `path` is untouched.
 */
export async function writeFileAtomic(path: string, data: Uint8Array | string): Promise<void> {
  // Same directory, so rename stays on one filesystem (rename across devices is not atomic).
  const temp = `${path}.tmp-${process.pid}-${randomBytes(6).toString('hex')}`;
  let handle: FileHandle | undefined;
  try {
    // 'wx' fails rather than sharing a temp name with another writer.
    handle = await open(temp, 'wx');
    await handle.writeFile(data);
    // Flush the bytes before the rename publishes them; otherwise a power loss after the
    // rename can leave the new name pointing at an empty or partial file.
    await handle.sync();
    await handle.close();
    handle = undefined;
    await rename(temp, path);
  } catch (error) {
    await handle?.close().catch(() => undefined);
    await rm(temp, { force: true });
    throw error;
  }
  await syncDirectory(dirname(path));
}

/** Makes a rename in `dir` durable before anything written later (the JSON after the tensors). */
async function syncDirectory(dir: string): Promise<void> {
  // Windows cannot open a directory for fsync; there the rename is as durable as NTFS makes it.
  if (process.platform === 'win32') return;
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
