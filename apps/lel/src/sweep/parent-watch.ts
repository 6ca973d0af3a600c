/** Environment variable that makes a `lel` process die with the process that started it (see {@link exitWithParent}). */
export const EXIT_WITH_PARENT_ENV = 'LEL_EXIT_WITH_PARENT';

/**
 * Die at once when the parent process dies. A sweep's training process is started with its stdin a pipe from the
 * `lel sweep` / `lel worker` process that owns the run and never written to: when that owner dies (even by
 * `kill -9`), the kernel closes the pipe and this process sees end-of-file. It then kills itself with SIGKILL —
 * no checkpoint write in flight — because the queue is about to hand the run to another worker, which continues it
 * from its last checkpoint; two processes training into one run folder would corrupt it.
 */
export function exitWithParent(): void {
  const stdin = process.stdin;
  const die = () => process.kill(process.pid, 'SIGKILL');
  stdin.on('end', die);
  stdin.on('close', die);
  stdin.on('error', die);
  stdin.on('data', () => {}); // nothing is sent; reading is what notices the end
  stdin.resume();
  // Watching must not keep a finished process alive.
  (stdin as unknown as { unref?: () => void }).unref?.();
}
