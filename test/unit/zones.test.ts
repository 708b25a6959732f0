/**
 * `availability zone list` where the real cloud cannot show it: network zones (the local Neutron
 * has no agents, so no zones), a Neutron without the availability zone extension and a catalog
 * without a volume service. Keystone (a catalog with compute and network only), Nova and Neutron
 * on one MockAgent; the compute and volume rows for real are in test/cloud/words.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { runNcli } from '../support/io.js';
import { mockCloud } from '../support/mock-nova.js';

const NEUTRON = 'http://neutron.test:9696';
const NOVA_ZONES = {
  availabilityZoneInfo: [
    {
      zoneName: 'nova',
      zoneState: { available: true },
      hosts: { c1: { 'nova-compute': { available: true, active: true, updated_at: '2026-12-06T10:00:00.000000' } } },
    },
  ],
};

/** Keystone with compute and network in the catalog (no volume service), Nova's zones, Neutron's `extensions`. */
function cloud(extensions: unknown[], zones?: unknown[]) {
  const c = mockCloud({ services: [{ type: 'network', name: 'neutron', url: NEUTRON }] });
  c.pool.intercept({ path: '/v2.1/os-availability-zone/detail', method: 'GET' }).reply(200, NOVA_ZONES).persist();
  const neutron = c.agent.get(NEUTRON);
  neutron.intercept({ path: '/v2.0/extensions', method: 'GET' }).reply(200, { extensions }).persist();
  if (zones) {
    neutron
      .intercept({ path: '/v2.0/availability_zones', method: 'GET' })
      .reply(200, { availability_zones: zones })
      .persist();
  }
  return (argv: string[]) => runNcli(argv, c.env, { dispatcher: c.agent, tokenStore: null });
}

const AZ_EXTENSION = { alias: 'availability_zone', name: 'Availability Zone' };

describe('availability zone list', () => {
  it('lists network zones after compute ones, unavailable as not available, with their resource in --long', async () => {
    const run = cloud(
      [AZ_EXTENSION],
      [
        { name: 'az-net', resource: 'network', state: 'available' },
        { name: 'az-r', resource: 'router', state: 'unavailable' },
      ],
    );
    const plain = await run(['availability', 'zone', 'list', '-f', 'json']);
    expect(plain.stderr).toBe('');
    expect(JSON.parse(plain.stdout)).toEqual([
      { 'Zone Name': 'nova', 'Zone Status': 'available' },
      { 'Zone Name': 'az-net', 'Zone Status': 'available' },
      { 'Zone Name': 'az-r', 'Zone Status': 'not available' },
    ]);
    const long = await run(['availability', 'zone', 'list', '--network', '--long', '-f', 'json']);
    expect(long.stderr).toBe('');
    const blank = { 'Host Name': '', 'Service Name': '', 'Service Status': '' };
    expect(JSON.parse(long.stdout)).toEqual([
      { 'Zone Name': 'az-net', 'Zone Status': 'available', 'Zone Resource': 'network', ...blank },
      { 'Zone Name': 'az-r', 'Zone Status': 'not available', 'Zone Resource': 'router', ...blank },
    ]);
  });

  it('a service or extension the cloud lacks gives no rows: silently by default, a warning when asked for, exit 0', async () => {
    const run = cloud([{ alias: 'router', name: 'Neutron L3 Router' }]);
    const all = await run(['availability', 'zone', 'list', '-f', 'value']);
    expect(all).toEqual({ code: 0, stdout: 'nova available\n', stderr: '' });
    const asked = await run(['availability', 'zone', 'list', '--volume', '--network', '-f', 'value']);
    expect(asked.code).toBe(0);
    expect(asked.stdout).toBe('');
    const lines = asked.stderr.split('\n').filter(Boolean);
    expect(lines).toHaveLength(2);
    expect(lines[0]).toBe(
      "ncli: no volume availability zones: The service catalog has no 'block-storage' service (it has: compute, image, network).",
    );
    expect(lines[1]).toBe('ncli: no network availability zones: Neutron has no availability zone extension.');
  });
});
