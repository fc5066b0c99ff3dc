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
 * and an idle database costs nothing at all.
 *
 * A file event may come a moment before the commit is visible (the writer appends its frames,
 * then publishes them in the shared-memory index, which raises no event), so a look that finds
 * nothing new looks once more a little later. Where the file system raises no events (some
 * network or virtual mounts) nothing is told and the caller's poll finds the work.
 */
export interface CommitWatch {
  close(): void;
}

/** The second look after an event that showed no new commit: the writer's index update is microseconds behind its write. */
const RECHECK_MS = 3;

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
  let closed = false;

  const look = (again: boolean) => {
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
    } else if (again) {
      recheck ??= setTimeout(() => {
        recheck = undefined;
        look(false);
      }, RECHECK_MS);
    }
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
      look(true);
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
