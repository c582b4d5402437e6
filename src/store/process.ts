// Whether the process that wrote a lock or a claim still runs.

/** Whether a process with this PID exists (EPERM means it exists but is not ours). */
export function processAlive(pid: number | undefined): boolean {
  if (pid === undefined) return false;
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}
