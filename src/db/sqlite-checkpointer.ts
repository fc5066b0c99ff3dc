import fs from "node:fs";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { Worker } from "node:worker_threads";
import { projectRoot } from "../core/project.js";

export interface Checkpointer {
  stop(): Promise<void>;
}

/** The worker's compiled file: beside this one at run time; under vitest, in dist/. */
function workerUrl(): URL {
  const here = new URL("./sqlite-checkpoint-worker.js", import.meta.url);
  if (fs.existsSync(fileURLToPath(here))) return here;
  return pathToFileURL(path.join(projectRoot(), "dist", "src", "db", "sqlite-checkpoint-worker.js"));
}

/**
 * SQLite's automatic checkpoint runs on the connection that commits, which for Steward is the
 * event loop: every thousand pages a commit also copies the WAL back and fsyncs twice. This
 * moves that work to a worker thread for the long-running process; the connection keeps a
 * larger automatic checkpoint only as a fallback should the worker fall behind. The worker
 * checkpoints `intervalMs` after the WAL was written and sleeps while nothing is.
 */
export function startCheckpointer(file: string, intervalMs = 200): Checkpointer {
  const worker = new Worker(workerUrl(), { workerData: { file, intervalMs } });
  worker.unref();
  worker.on("error", () => {}); // the connection's own automatic checkpoint still runs
  let stopping: Promise<void> | undefined;
  return {
    stop() {
      stopping ??= new Promise<void>((resolve) => {
        // Unref'd so it never holds the process open, but the wait for its exit must.
        worker.ref();
        worker.once("exit", () => resolve());
        worker.postMessage("stop");
      });
      return stopping;
    },
  };
}
