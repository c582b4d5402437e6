// `netplumb cni install`'s library part: the shim copied with the trailer
// that tells it where Node and the in-process entry are, and a conflist the
// plugin accepts, written whole; bad network values refused before anything
// is written. No privileges: it writes into a temp dir.
import { readdirSync, readFileSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CniError } from '../../../src/core/errors.js';
import { conflist, installCni } from '../../../src/cni/install.js';
import { networkSpec } from '../../../src/cni/config.js';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'np-install-'));
  writeFileSync(join(dir, 'shim'), 'ELF-ish bytes');
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('installCni', () => {
  it('installs BIN_DIR/netplumb, executable, with the trailer the shim reads, and nothing else without a conflist', async () => {
    const done = await installCni({ shim: join(dir, 'shim'), node: '/usr/bin/node', entry: '/pkg/dist/cli/cni-plugin.cjs', binDir: join(dir, 'bin') });
    expect(done).toEqual({ binary: join(dir, 'bin', 'netplumb') });
    const bytes = readFileSync(done.binary);
    const text = 'ELF-ish bytes/usr/bin/node\0/pkg/dist/cli/cni-plugin.cjs\0';
    expect(bytes.subarray(0, text.length).toString('latin1')).toBe(text);
    // length (LE) then the magic, as native/cni-shim/fallback.h describes it
    expect(bytes.readUInt32LE(text.length)).toBe(text.length - 'ELF-ish bytes'.length);
    expect(bytes.subarray(text.length + 4).toString('latin1')).toBe('NPCNI1\n\0');
    expect(statSync(done.binary).mode & 0o777).toBe(0o755);
    expect(readdirSync(join(dir, 'bin'))).toEqual(['netplumb']);
  });

  it('writes CONF_DIR/10-NAME.conflist in 1.0.0 with 1.1.0 offered, which the plugin reads as the network asked for', async () => {
    const done = await installCni({
      shim: join(dir, 'shim'), node: '/usr/bin/node', entry: '/e.js', binDir: join(dir, 'bin2'), confDir: join(dir, 'net.d'),
      conflist: { name: 'pods', subnets: ['10.88.0.0/16', 'fd00:88::/64'], bridge: 'cni0', mtu: 1450, ipMasq: false },
    });
    expect(done.conflist).toBe(join(dir, 'net.d', '10-pods.conflist'));
    const list = JSON.parse(readFileSync(done.conflist as string, 'utf8'));
    expect(list).toMatchObject({ cniVersion: '1.0.0', cniVersions: ['1.0.0', '1.1.0'], name: 'pods' });
    expect(list.plugins[0].capabilities).toEqual({ portMappings: true, ips: true, mac: true });
    expect(networkSpec({ ...list.plugins[0], name: list.name, cniVersion: list.cniVersion })).toEqual({
      name: 'pods', bridge: 'cni0', mtu: 1450, masquerade: false, ipv4: { subnet: '10.88.0.0/16' }, ipv6: { subnet: 'fd00:88::/64' }, defaultRoute: true, routes: [],
    });
  });

  it('refuses a bad network before writing anything', async () => {
    expect(() => conflist({ name: 'x', subnets: ['10.0.0.0/33'] })).toThrow(CniError);
    await expect(installCni({ shim: join(dir, 'shim'), node: 'n', entry: 'e', binDir: join(dir, 'bin3'), confDir: join(dir, 'c3'), conflist: { name: 'bad name', subnets: ['10.0.0.0/8'] } }))
      .rejects.toBeInstanceOf(CniError);
    expect(() => statSync(join(dir, 'bin3'))).toThrow();
  });
});
