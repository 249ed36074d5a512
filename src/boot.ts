/** Options of `boot()`. */
export interface BootOptions {
  /** Command-line arguments, as `shoal` takes them (default: this process's). */
  argv?: readonly string[];
}

/**
 * Runs Shoal as the `shoal` command does: parses the arguments (`--config`, `--workers`,
 * `--check`, `db migrate`...), loads and validates the config, starts the tracker and stops
 * it on SIGINT/SIGTERM, then exits the process with the command's exit code.
 *
 * For custom binaries: register your own drivers and hook types first, then call `boot()`.
 * With `--workers`, each worker process runs your script again, so it registers them too.
 */
export async function boot(options: BootOptions = {}): Promise<void> {
  const { exitWith, main } = await import('./cli/shoal.js');
  exitWith(main(options.argv ?? process.argv.slice(2)));
}
