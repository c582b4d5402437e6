// A real runtime: Debian's containerd 1.6 (CRI built in, spec 1.0.0) runs
// netplumb as its CNI plugin inside the sandbox. Through CRI, as the kubelet
// does (RunPodSandbox with a port mapping, StopPodSandbox,
// RemovePodSandbox), the pod gets its address, bytes cross to it through the
// host port with the client's address kept and from it to the outside; and
// through `ctr run --cni`, a busybox container reaches the outside. Once the
// runtime removed the pod, the host and netplumb's state are as before.
// containerd and its CNI plugins use the shim's daemon path (CRI, with
// netplumbd running) and its in-process path (ctr run, with netplumbd stopped).
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Netns } from '../../../src/index.js';
import { exchange, serve } from '../model/support/traffic.js';
import { Containerd } from './support/containerd.js';
import { CriClient, pick, podSandboxConfig, str } from './support/cri.js';
import { CniLab, HOST_WAN, WAN_ADDR } from './support/lab.js';

let lab: CniLab;
let ctrd: Containerd;
let cri: CriClient;
const SUBNET = '10.97.0.0/24';

beforeAll(async () => {
  lab = await CniLab.open('cctr');
  const list = lab.conflist('cctr', { subnet: SUBNET });
  await lab.warmUp(list);
  const confDir = join(lab.dir, 'net.d');
  await fs.mkdir(confDir);
  // containerd 1.6's libcni knows versions up to 1.0.0.
  await fs.writeFile(join(confDir, '10-cctr.conflist'), JSON.stringify({ ...list, cniVersion: '1.0.0' }));
  ctrd = await Containerd.start(join(lab.dir, 'containerd'), lab.daemon.path[0]!, confDir, lab.daemon.env);
  await ctrd.importImages();
  cri = new CriClient(ctrd.socket);
}, 300_000);

afterAll(async () => {
  cri?.close();
  await ctrd?.stop();
  await lab?.close();
}, 60_000);

describe('containerd through CRI, as the kubelet drives it', () => {
  it('runs a pod with a host port: bytes reach it with the client address kept and leave it masqueraded; removal leaves nothing', async () => {
    const before = await lab.snapshot();
    const sent = lab.cniRequests().length;
    const run = await cri.runtime('RunPodSandbox', podSandboxConfig('web', 'uid-web-1', [{ containerPort: 80, hostPort: 8300 }]));
    const podId = pick(run, 1)!;
    const status = await cri.runtime('PodSandboxStatus', str(1, podId));
    const podIp = pick(status, 1, 5, 1)!;
    expect(podIp).toMatch(/^10\.97\.0\.\d+$/);
    const attachment = (await lab.engine.sandboxes.list()).find((s) => s.networks[0]?.ipv4 === podIp);
    expect(attachment?.networks[0]?.ifname).toBe('eth0');
    expect(attachment?.netnsPath).toMatch(/^\/var\/run\/netns\/cni-/);

    const pod = await Netns.open({ path: attachment!.netnsPath });
    try {
      const server = await serve(pod, 80, 'pod');
      try {
        expect(await exchange(lab.wan, HOST_WAN, 8300, 'to the pod')).toBe(`pod saw ${WAN_ADDR}: to the pod`);
        expect(await exchange(Netns.host(), podIp, 80, 'from the host')).toBe('pod saw 10.97.0.1: from the host');
      } finally {
        server.close();
      }
      const outside = await serve(lab.wan, 9300, 'wan');
      try {
        expect(await exchange(pod, WAN_ADDR, 9300, 'from the pod')).toBe(`wan saw ${HOST_WAN}: from the pod`);
      } finally {
        outside.close();
      }
    } finally {
      pod.close();
    }

    await cri.runtime('StopPodSandbox', str(1, podId));
    await cri.runtime('RemovePodSandbox', str(1, podId));
    const asked = lab.cniRequests().slice(sent);
    expect(asked[0]).toMatchObject({ command: 'ADD', containerId: podId, exitCode: 0, route: 'cni-socket' });
    // containerd 1.6 sends DEL on stop with the namespace, and again on removal with CNI_NETNS empty.
    const dels = asked.filter((r) => r.command === 'DEL');
    expect(dels.every((r) => r.exitCode === 0 && r.containerId === podId)).toBe(true);
    expect(dels.map((r) => r.netns)).toEqual([attachment!.netnsPath, '']);
    expect(await lab.snapshot()).toBe(before);
  });
});

describe('ctr run --cni', () => {
  it('gives a busybox container an address and a way out (the plugin running in-process, no daemon in its environment)', async () => {
    const before = await lab.snapshot();
    const outside = await serve(lab.wan, 9301, 'wan');
    // A node without netplumbd: the plugin finds no daemon and runs in-process on the same state root.
    await lab.withoutDaemon(async () => {
      try {
        const out = await ctrd.ctr(
          ['run', '--rm', '--cni', '--cgroup', '', '--cpu-shares', '0', '--runc-binary', ctrd.runc, '--snapshotter', 'overlayfs',
            'localhost/netplumb-busybox:1', 'c1', '/bin/sh', '-c', `ip -4 addr show eth0; ip route; echo from-busybox | nc ${WAN_ADDR} 9301`],
          { NETPLUMB_HOST: lab.inProcess.env.NETPLUMB_HOST! },
        );
        expect(out).toMatch(/inet 10\.97\.0\.\d+\/24/);
        expect(out).toContain('default via 10.97.0.1 dev eth0');
        expect(out).toContain(`wan saw ${HOST_WAN}: from-busybox`);
      } finally {
        outside.close();
      }
    });
    expect(await lab.snapshot()).toBe(before);
  });
});
