import http from 'node:http';
import { expect, test } from 'vitest';
import { Lab } from 'netplumb/testing';

test('answers by name and behind its published port, and asks the internet as the host', async () => {
  const lab = await Lab.open({ networks: { app: { subnet: '10.123.0.0/24' } }, outside: { names: ['weather.example.test'] } });
  try {
    await lab.outside.serve(http.createServer((req, res) => res.end(`sunny, asked by ${req.socket.remoteAddress}`)), 80);
    const api = await lab.sandbox('api', { publish: ['18080:8080'], aliases: ['api.internal'] });
    api.spawn([process.execPath, 'src/server.js'], { env: { ...process.env, PORT: '8080' }, stdio: 'inherit' });
    await api.waitForPort(8080);
    const client = await lab.sandbox('client');

    const res = await client.fetch('http://api:8080/forecast');
    expect(await res.text()).toBe(`forecast: sunny, asked by ${lab.host.address}`); // masqueraded as the host
    expect((await client.exec(['getent', 'hosts', 'api.internal'])).stdout).toContain(api.address);
    expect(await (await lab.host.fetch('http://127.0.0.1:18080/health')).text()).toBe('ok');
  } finally {
    await lab.close();
  }
});
