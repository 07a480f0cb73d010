/**
 * A failure to bring up the local control plane, with a message that names the
 * cause and what to do; callers print it as one line and exit non-zero.
 */
export class LaunchError extends Error {
  override readonly name = 'LaunchError';
}
