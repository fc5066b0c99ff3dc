import fs from "node:fs";
import path from "node:path";
import type Sqlite from "better-sqlite3";

/**
 * Tells, within a millisecond or so, that another connection committed to a SQLite file: a host
 * app's process inserting email jobs, a `steward` command, another Steward. SQLite has no
 * NOTIFY, and polling faster costs CPU all day; instead the folder is watched (inotify on
 * Linux), and a write to the database file or its -wal makes this connection read
 * `PRAGMA data_version`, which changes only when some *other* connection committed. So this
 * process's own commits, the checkpoint thread copying the WAL back, or a reader, wake nobody,
 * and an idle database costs nothing at all. (A checkpoint that truncates the WAL, the thread's
 * last before it ends, does count as a change: one needless look, once in a while.)
 *
 * A file event may come a moment before the commit is visible (the writer appends its frames,
 * then publishes them in the shared-memory index, which raises no event), so a look that finds
 * nothing new looks once more a little later. Where the file system raises no events (some
 * network or virtual mounts) nothing is told and the caller's poll finds the work.
 */
export interface CommitWatch {
  close(): void;
}

/**
 * The looks after an event that showed no new commit, each this much after the one before: the
 * writer publishes its commit microseconds after its last write, so the first (1 ms) nearly
 * always finds it; the second covers a writer the scheduler paused in between.
 */
const RECHECK_MS = [1, 4];

export function watchOtherCommits(options: {
  db: Sqlite.Database;
  /** The database file (the -wal beside it is watched too). */
  file: string;
  onCommit: () => void;
}): CommitWatch {
  const { db, file, onCommit } = options;
  const names = new Set([path.basename(file), `${path.basename(file)}-wal`]);
  const dataVersion = db.prepare("pragma data_version").pluck();
  let last = dataVersion.get();
  let queued = false;
  let recheck: NodeJS.Timeout | undefined;
  let recheckDue = 0;
  let closed = false;

  const look = (attempt: number) => {
    if (closed || !db.open) return;
    let now: unknown;
    try {
      now = dataVersion.get();
    } catch {
      return; // busy with a schema change or closing; the next event or the poll follows
    }
    if (now !== last) {
      last = now;
      onCommit();
      return;
    }
    const delay = RECHECK_MS[attempt];
    if (delay === undefined) return;
    // A fresh event's first recheck must not wait behind an older event's later one.
    const due = performance.now() + delay;
    if (recheck) {
      if (recheckDue <= due) return;
      clearTimeout(recheck);
    }
    recheckDue = due;
    recheck = setTimeout(() => {
      recheck = undefined;
      look(attempt + 1);
    }, delay);
  };

  // Not persistent: watching must never keep the process alive. Throws when the folder is gone
  // or the system's inotify watches are used up; the caller decides what that means.
  const watcher = fs.watch(path.dirname(file), { persistent: false }, (_event, name) => {
    if (name !== null && !names.has(String(name))) return;
    // Many writes in one turn of the event loop (a batch of frames) make one look.
    if (queued) return;
    queued = true;
    setImmediate(() => {
      queued = false;
      look(0);
    });
  });
  watcher.on("error", () => watcher.close());
  return {
    close() {
      closed = true;
      if (recheck) clearTimeout(recheck);
      watcher.close();
    },
  };
}
