/**
 * Watching the config file: calls back after a burst of changes to it has ended. It watches the
 * file's directory (editors often replace the file, which ends a watch on the file itself) and, when
 * the path is a symlink, the directory of the file it points to as well, so editing the target counts.
 * The watcher owns its fs watchers and its debounce timer and releases them all on `close()`.
 */
import { realpathSync, watch, type FSWatcher } from 'node:fs';
import { basename, dirname } from 'node:path';

/** How long the watcher waits for a burst of file events to end before calling back. */
const WATCH_DEBOUNCE_MS = 100;

/** Watches one config file. */
export class ConfigWatcher {
  readonly #watchers: FSWatcher[] = [];
  #timer: NodeJS.Timeout | undefined;
  #closed = false;

  /** Starts watching `file` (an absolute path); `onChange` runs after each quiet period. */
  constructor(file: string, onChange: () => void) {
    const fire = () => {
      clearTimeout(this.#timer);
      this.#timer = setTimeout(() => {
        if (!this.#closed) onChange();
      }, WATCH_DEBOUNCE_MS);
    };
    const targets = new Set([file]);
    try {
      targets.add(realpathSync(file));
    } catch {
      // a missing file: watch its directory for it to appear
    }
    for (const target of targets) {
      const name = basename(target);
      const watcher = watch(dirname(target), (_event, changed) => {
        if (changed === null || changed === name) fire();
      });
      watcher.on('error', () => this.close());
      this.#watchers.push(watcher);
    }
  }

  /** Stops watching; releases the watchers and the pending timer. Idempotent. */
  close(): void {
    this.#closed = true;
    clearTimeout(this.#timer);
    for (const watcher of this.#watchers.splice(0)) watcher.close();
  }
}
