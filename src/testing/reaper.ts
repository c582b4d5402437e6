// Taking a lab down, kernel side: every process inside one of the lab's
// namespaces is killed, the namespace files under <root>/netns are unmounted
// (the directory's own mount with them), and <root> is removed; the
// namespaces, and the bridges, veths and firewall inside them, then die with
// their last reference. One shell script does it in three situations: at
// lab.close() (told by a line on its stdin), when the lab's process dies in
// any way, SIGKILL included (its stdin reaches end of file: the only writer
// was that process), and for a lab whose process and reaper both died (run
// by the next Lab.open's sweep). It runs detached, in its own session, so a
// Ctrl-C or a runner stopping the test process does not stop it too.
import { spawn, type ChildProcess } from 'node:child_process';
import { requireTool } from '../kernel/launch.js';

// One `stat` lists the namespace of every process (a zombie has none and is
// skipped); processes are matched by the inode of their network namespace.
const TEARDOWN = `
root=$1; keep=$2
trap '' HUP INT
read -r _ || true
nsdev=$(stat -L -c %d /proc/self/ns/net)
inodes=" $(stat -L -c '%d %i' "$root"/netns/* 2>/dev/null | while read -r d i; do [ "$d" = "$nsdev" ] && printf '%s ' "$i"; done)"
if [ "$inodes" != " " ]; then
  for round in 1 2 3 4 5 6 7 8 9 10; do
    hit=
    for entry in $(stat -L -c '%i:%n' /proc/[0-9]*/ns/net 2>/dev/null); do
      pid=\${entry#*:/proc/}; pid=\${pid%%/*}
      case "$inodes" in
        *" \${entry%%:*} "*) [ "$pid" = "$$" ] || [ "$pid" = "$keep" ] || { kill -9 "$pid" 2>/dev/null; hit=1; } ;;
      esac
    done
    [ -z "$hit" ] && break
    sleep 0.02
  done
fi
[ -d "$root/netns" ] && umount -l "$root/netns" 2>/dev/null
rm -rf "$root"
[ ! -e "$root" ]
`;

function teardownArgv(root: string, keepPid: number): string[] {
  requireTool('umount', 'util-linux', 'to take a lab down');
  return ['-c', TEARDOWN, 'netplumb-lab-reaper', root, String(keepPid)];
}

/**
 * The reaper of a lab: waits for a line (close) or for end of file (the
 * lab's process is gone), then takes the lab down. Its stdin is the only
 * tie: unref'd, so it never keeps this process alive.
 */
export function startReaper(root: string): ChildProcess {
  const child = spawn('sh', teardownArgv(root, process.pid), { detached: true, stdio: ['pipe', 'ignore', 'ignore'] });
  child.unref();
  (child.stdin as unknown as { unref?: () => void }).unref?.();
  child.stdin?.on('error', () => undefined);
  return child;
}

/** Tells a reaper to take its lab down now; resolves true when the lab's root is gone. */
export function reapNow(reaper: ChildProcess): Promise<boolean> {
  return new Promise((resolve) => {
    if (reaper.exitCode !== null || reaper.signalCode !== null) return resolve(reaper.exitCode === 0);
    reaper.once('exit', (code) => resolve(code === 0));
    // Held again while we wait: an unref'd child would let a script's last `await lab.close()` end the process first.
    reaper.ref();
    reaper.stdin?.end('close\n');
  });
}

/** Takes down a lab that nothing watches any more (its process and its reaper died). */
export function reapOrphan(root: string): Promise<boolean> {
  return new Promise((resolve) => {
    const child = spawn('sh', teardownArgv(root, process.pid), { stdio: ['ignore', 'ignore', 'ignore'] });
    child.once('error', () => resolve(false));
    child.once('exit', (code) => resolve(code === 0));
  });
}
