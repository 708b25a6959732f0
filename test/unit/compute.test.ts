import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { formatNetworks, powerStateName } from '../../src/compute/resources/server.js';
import { nextMarker } from '../../src/compute/client.js';
import { findFlavor, findServer } from '../../src/compute/find.js';
import { escapeRegex } from '../../src/compute/by-name.js';
import { getFlavor } from '../../src/compute/flavors.js';
import { compareVersions, microversionHeaders, negotiate } from '../../src/compute/microversion.js';
import { listServers } from '../../src/compute/servers.js';
import { versionCache } from '../../src/config/cache-files.js';
import { NotFoundError } from '../../src/errors.js';
import { mockNova, NOVA } from '../support/mock-nova.js';

const setup = (max = '2.93', dir?: string) => mockNova({ max, versions: dir ? versionCache(dir) : undefined });

const srv = (id: string, name: string) => ({ id, name, status: 'ACTIVE' });

describe('microversions', () => {
  it('compares numerically, not as strings', () => {
    expect(compareVersions('2.10', '2.9')).toBeGreaterThan(0);
    expect(compareVersions('2.6', '2.6')).toBe(0);
  });
  it('negotiates the newest both sides know, or checks what was asked', () => {
    expect(negotiate(undefined, { min: '2.1', max: '2.93' })).toBe('2.93');
    expect(negotiate('latest', { min: '2.1', max: '2.104' })).toBe('2.96');
    expect(negotiate('2.60', { min: '2.1', max: '2.93' })).toBe('2.60');
    expect(() => negotiate('2.100', { min: '2.1', max: '2.93' })).toThrow(
      'Compute API version 2.100 is not supported by this cloud: it supports 2.1 to 2.93.',
    );
    expect(negotiate(undefined, { min: '', max: '' })).toBeUndefined();
  });
  it('sends OpenStack-API-Version only from 2.27', () => {
    expect(microversionHeaders('2.26')).toEqual({ 'X-OpenStack-Nova-API-Version': '2.26' });
    expect(microversionHeaders('2.27')).toEqual({
      'X-OpenStack-Nova-API-Version': '2.27',
      'OpenStack-API-Version': 'compute 2.27',
    });
  });
});

describe('server listing', () => {
  it('follows servers_links by marker to the end, with the microversion header', async () => {
    const { pool, client } = setup();
    pool
      .intercept({ path: '/v2.1/servers/detail', method: 'GET', headers: { 'openstack-api-version': 'compute 2.93' } })
      .reply(200, {
        servers: [srv('a', 'one'), srv('b', 'two')],
        servers_links: [{ rel: 'next', href: 'http://elsewhere/v2.1/servers/detail?marker=b' }],
      });
    pool
      .intercept({ path: '/v2.1/servers/detail?marker=b', method: 'GET' })
      .reply(200, { servers: [srv('c', 'three')] });
    const all = await listServers(client);
    expect(all.map((s) => s.id)).toEqual(['a', 'b', 'c']);
  });
  it('stops at --limit, asking only for what is still missing', async () => {
    const { pool, client } = setup();
    pool.intercept({ path: '/v2.1/servers/detail?limit=3', method: 'GET' }).reply(200, {
      servers: [srv('a', '1'), srv('b', '2')],
      servers_links: [{ rel: 'next', href: `${NOVA}/v2.1/servers/detail?limit=3&marker=b` }],
    });
    pool.intercept({ path: '/v2.1/servers/detail?limit=1&marker=b', method: 'GET' }).reply(200, {
      servers: [srv('c', '3')],
      servers_links: [{ rel: 'next', href: `${NOVA}/v2.1/servers/detail?marker=c` }],
    });
    expect((await listServers(client, { limit: 3 })).map((s) => s.id)).toEqual(['a', 'b', 'c']);
  });
  it('caches the version document', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ncli-disc-'));
    const first = setup('2.90', dir);
    first.pool
      .intercept({ path: '/v2.1/flavors/1', method: 'GET' })
      .reply(200, { flavor: { id: '1', name: 'm1', ram: 1, disk: 1, vcpus: 1 } });
    await getFlavor(first.client, '1');
    expect(readdirSync(dir)).toHaveLength(1);
    // no version document this time: the request would fail if the range were not cached
    const second = mockNova({ versionDoc: false, versions: versionCache(dir) });
    second.pool
      .intercept({ path: '/v2.1/flavors/1', method: 'GET', headers: { 'x-openstack-nova-api-version': '2.90' } })
      .reply(200, { flavor: { id: '1', name: 'm1', ram: 1, disk: 1, vcpus: 1 } });
    await getFlavor(second.client, '1');
  });
  it('formats networks and power states like openstackclient', () => {
    expect(formatNetworks({ priv: [{ addr: '10.0.0.5' }, { addr: 'fd00::5' }], pub: [{ addr: '203.0.113.9' }] })).toBe(
      'priv=10.0.0.5, fd00::5; pub=203.0.113.9',
    );
    expect(powerStateName(1)).toBe('Running');
    expect(powerStateName(4)).toBe('Shutdown');
    expect(nextMarker([{ rel: 'self', href: 'x' }])).toBeUndefined();
  });
});

describe('name resolution', () => {
  it('escapes regex metacharacters for Nova', () => {
    expect(escapeRegex('web.1')).toBe('web\\.1');
    expect(escapeRegex('a+b(c)[d]^$|?*{}\\')).toBe('a\\+b\\(c\\)\\[d\\]\\^\\$\\|\\?\\*\\{\\}\\\\');
  });
  it('keeps exact matches only from the regex search', async () => {
    const { pool, client } = setup();
    pool
      .intercept({ path: `/v2.1/servers/detail?name=${encodeURIComponent('^web\\.1$')}`, method: 'GET' })
      .reply(200, { servers: [srv('x', 'web.1'), srv('y', 'WEB.1')] });
    expect((await findServer(client, 'web.1')).id).toBe('x');
  });
  it('refuses ambiguity with the IDs, and says when nothing matches', async () => {
    const { pool, client } = setup();
    pool
      .intercept({ path: /\/v2.1\/servers\/detail\?name=/, method: 'GET' })
      .reply(200, { servers: [srv('1', 'dup'), srv('2', 'dup')] });
    const err = await findServer(client, 'dup').catch((e) => e);
    expect(err).toBeInstanceOf(NotFoundError);
    expect(err.code).toBe('AMBIGUOUS');
    expect(err.ids).toEqual(['1', '2']);
    expect(err.message).toBe("More than one server is named 'dup' (1, 2); use an ID to be more specific.");
    pool.intercept({ path: /\/v2.1\/servers\/detail\?name=/, method: 'GET' }).reply(200, { servers: [] });
    await expect(findServer(client, 'ghost')).rejects.toThrow(
      new NotFoundError("No server with a name or ID of 'ghost' exists."),
    );
  });
  it('tries a UUID as an ID first, then as a name', async () => {
    const { pool, client } = setup();
    const id = '11111111-2222-3333-4444-555555555555';
    pool
      .intercept({ path: `/v2.1/servers/${id}`, method: 'GET' })
      .reply(404, { itemNotFound: { code: 404, message: 'gone' } });
    pool.intercept({ path: /\/v2.1\/servers\/detail\?name=/, method: 'GET' }).reply(200, { servers: [srv('z', id)] });
    expect((await findServer(client, id)).id).toBe('z');
  });
  it('tries a flavor ID first (flavor IDs need not be UUIDs), then names', async () => {
    const { pool, client } = setup();
    pool
      .intercept({ path: '/v2.1/flavors/m1.small', method: 'GET' })
      .reply(404, { itemNotFound: { code: 404, message: 'Flavor m1.small could not be found.' } });
    pool.intercept({ path: '/v2.1/flavors/detail?is_public=None', method: 'GET' }).reply(200, {
      flavors: [
        { id: '2', name: 'm1.small', ram: 2048, disk: 20, vcpus: 1 },
        { id: '3', name: 'm1.smaller', ram: 1024, disk: 10, vcpus: 1 },
      ],
    });
    expect((await findFlavor(client, 'm1.small')).id).toBe('2');
  });
});
