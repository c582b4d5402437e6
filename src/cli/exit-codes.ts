// The CLI's exit codes: one per kind of failure, so that scripts can tell a
// typo from a missing object from a kernel refusal without parsing stderr.
// `run` and `exec` follow `docker run`/`docker exec`: 125 when netplumb itself
// failed, 126/127 when the command could not be started, else the command's own status.
export const EXIT = {
  ok: 0,
  /** Anything not classified below. */
  failure: 1,
  /** Bad command line or invalid value (ValidationError). */
  usage: 2,
  /** No such network, sandbox or endpoint. */
  notFound: 3,
  /** A name, address or port is taken, a network is still in use, or another process holds the state lock. */
  conflict: 4,
  /** The kernel refused the request (including missing CAP_NET_ADMIN). */
  kernel: 5,
  /** A state file is damaged (StateError): `netplumb reconcile` repairs or quarantines it. */
  state: 6,
  /** `run`: netplumb failed before the command started. */
  runSetup: 125,
  /** `run`: the command was found but could not be executed. */
  cannotExecute: 126,
  /** `run`: the command was not found. */
  commandNotFound: 127,
} as const;

/** The table printed by `netplumb --help` and copied into the README. */
export const EXIT_CODES_HELP = `Exit codes:
  0    success
  1    unexpected failure
  2    usage error or invalid value (bad flag, CIDR, port spec, name)
  3    not found (network, sandbox, endpoint)
  4    conflict (name, address or port taken; network in use; state locked)
  5    the kernel refused the request, or privileges are missing (no CAP_NET_ADMIN, state not writable: use \`netplumb sandbox --\`)
  6    a state file is damaged (run \`netplumb reconcile\`)
  125  run, exec: netplumb failed before CMD started (the message says why)
  126  run, exec: CMD could not be executed
  127  run, exec: CMD was not found
  else run, exec: CMD's own exit status, 128+N when it was killed by signal N`;
