import { expect, test } from 'vitest';
import { Lab } from 'netplumb/testing';

// The same subnet and the same published port as service.test.js, in parallel: labs never meet.
test('answers 502 when the internet is down, and recovers from a partition', async () => {
  const lab = await Lab.open({ networks: { app: { subnet: '10.123.0.0/24' } }, outside: { names: ['weather.example.test'] } });
  try {
    const api = await lab.sandbox('api', { publish: ['18080:8080'] });
    api.spawn([process.execPath, 'src/server.js'], { env: { ...process.env, PORT: '8080' }, stdio: 'inherit' });
    await api.waitForPort(8080);
    const client = await lab.sandbox('client');

    // Nothing serves the weather on the outside: the service says so instead of hanging.
    const res = await client.fetch('http://api:8080/forecast');
    expect(res.status).toBe(502);
    expect(await res.text()).toMatch(/ECONNREFUSED/);

    await client.disconnect('app');
    await expect(client.fetch('http://api:8080/health')).rejects.toThrow();
    await client.connect('app');
    expect(await (await client.fetch('http://api:8080/health')).text()).toBe('ok');
  } finally {
    await lab.close();
  }
});
