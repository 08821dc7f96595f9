// Work that must happen when a benchmark exits, however it exits: at the end, after an uncaught
// error, or on Ctrl-C or `kill`.

const tasks = [];

/**
 * Runs `task` (synchronous) when this process exits, the last registered first (servers started in
 * a folder are killed before it is removed). The first call also makes SIGINT, SIGTERM and SIGHUP
 * exit the process (with 128 + the signal's number), so that the tasks run then too.
 */
export function atExit(task) {
  if (tasks.length === 0) arm();
  tasks.push(task);
}

function arm() {
  process.once('exit', () => {
    for (const task of tasks.splice(0).reverse()) {
      try {
        task();
      } catch (error) {
        console.error(error);
      }
    }
  });
  for (const [signal, number] of [
    ['SIGINT', 2],
    ['SIGTERM', 15],
    ['SIGHUP', 1],
  ]) {
    process.once(signal, () => process.exit(128 + number));
  }
}
