/**
 * Runs the system `ssh` for `server ssh`: found on PATH, with this terminal (stdio inherited),
 * its exit status returned. While it runs, Ctrl-C goes to ssh (the terminal's process group), not
 * to ncli: ncli ignores SIGINT until ssh ends.
 */
import { spawn } from 'node:child_process';
import { NcliError } from '../errors.js';

/**
 * `ssh ARGS…`; resolves with its exit status (128 + signal number when a signal ended it, as a shell reports it).
 * @throws NcliError `FAILED` when ssh cannot be started (not installed)
 */
export function runSsh(args: readonly string[], env: NodeJS.ProcessEnv): Promise<number> {
  return new Promise((resolve, reject) => {
    const ignore = () => undefined;
    process.on('SIGINT', ignore);
    const child = spawn('ssh', [...args], { stdio: 'inherit', env });
    child.on('error', (e: NodeJS.ErrnoException) => {
      process.off('SIGINT', ignore);
      const why = e.code === 'ENOENT' ? 'no ssh on PATH: install openssh-client' : e.message;
      reject(new NcliError('FAILED', `Cannot run ssh: ${why}.`, { cause: e }));
    });
    child.on('exit', (code, signal) => {
      process.off('SIGINT', ignore);
      const signals: Record<string, number> = { SIGHUP: 1, SIGINT: 2, SIGQUIT: 3, SIGKILL: 9, SIGTERM: 15 };
      resolve(code ?? 128 + (signal ? (signals[signal] ?? 0) : 0));
    });
  });
}
