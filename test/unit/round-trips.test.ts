/**
 * Round trips on a far-away cloud (issue 18 §2): `server show NAME` sends `GET /servers/{id}` for
 * the ID the names cache holds together with the name search, and uses its answer only when the
 * search finds that very server (src/compute/find.ts `findServer` `guessId`).
 */
import { describe, expect, it } from 'vitest';
import { findServer } from '../../src/compute/find.js';
import { mockNova } from '../support/mock-nova.js';

const A = '11111111-2222-4333-8444-555555555555';
const B = '66666666-7777-4888-8999-000000000000';
const full = (id: string) => ({ id, name: 'vm1', status: 'ACTIVE', server_groups: [] });

describe('server show NAME with the ID the names cache holds', () => {
  it('sends the GET by ID before the search has answered, and uses it: two requests, one round trip', async () => {
    const { pool, client } = mockNova();
    const order: string[] = [];
    pool
      .intercept({ path: /\/v2.1\/servers\/detail\?name=%5Evm1%24/, method: 'GET' })
      .reply(() => {
        order.push('search answered');
        return { statusCode: 200, data: JSON.stringify({ servers: [{ id: A, name: 'vm1', status: 'ACTIVE' }] }) };
      })
      .delay(100);
    pool.intercept({ path: `/v2.1/servers/${A}`, method: 'GET' }).reply(() => {
      order.push('get');
      return { statusCode: 200, data: JSON.stringify({ server: full(A) }) };
    });
    const s = await findServer(client, 'vm1', { refetch: true, guessId: A });
    expect(s).toMatchObject({ id: A, server_groups: [] });
    expect(order).toEqual(['get', 'search answered']);
  });

  it('a stale guess (the name now belongs to another server) is fetched again by the ID the search found', async () => {
    const { pool, client } = mockNova();
    pool
      .intercept({ path: /\/v2.1\/servers\/detail\?name=/, method: 'GET' })
      .reply(200, { servers: [{ id: B, name: 'vm1', status: 'ACTIVE' }] });
    pool
      .intercept({ path: `/v2.1/servers/${A}`, method: 'GET' })
      .reply(404, { itemNotFound: { code: 404, message: 'gone' } });
    pool.intercept({ path: `/v2.1/servers/${B}`, method: 'GET' }).reply(200, { server: full(B) });
    expect((await findServer(client, 'vm1', { refetch: true, guessId: A })).id).toBe(B);
  });

  it('an ambiguous name is still refused, whatever the guess', async () => {
    const { pool, client } = mockNova();
    pool.intercept({ path: /\/v2.1\/servers\/detail\?name=/, method: 'GET' }).reply(200, {
      servers: [
        { id: A, name: 'vm1', status: 'ACTIVE' },
        { id: B, name: 'vm1', status: 'ACTIVE' },
      ],
    });
    pool.intercept({ path: `/v2.1/servers/${A}`, method: 'GET' }).reply(200, { server: full(A) });
    await expect(findServer(client, 'vm1', { refetch: true, guessId: A })).rejects.toMatchObject({ code: 'AMBIGUOUS' });
  });
});
