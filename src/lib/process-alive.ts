/**
 * Whether a process with this PID exists on this machine: signal 0 checks without signalling,
 * and EPERM means it exists under another user. A zombie counts as alive (see
 * sandbox/processes.ts `isRunning` for the stricter test).
 */
export function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM'
  }
}
