/**
 * The microversion checks of src/compute/versions.ts: a feature the run is too old for, and an API
 * Nova serves only up to a version (capped), with the cloud's range and the run's request.
 */
import { describe, expect, it } from 'vitest';
import type { ComputeClient } from '../../src/compute/client.js';
import { cappedVersion, requireAtMost, requireMicroversion } from '../../src/compute/versions.js';

function client(range: { min: string; max: string }, run?: string): ComputeClient {
  return { versionRange: async () => range, microversion: async () => run } as unknown as ComputeClient;
}

describe('microversion checks', () => {
  it('requireMicroversion names the feature, the version and the cloud or run limit', async () => {
    await expect(requireMicroversion(client({ min: '2.1', max: '2.60' }), '2.73', '--reason')).rejects.toThrow(
      '--reason needs compute API version 2.73; this cloud supports at most 2.60.',
    );
    await expect(requireMicroversion(client({ min: '2.1', max: '2.93' }, '2.50'), '2.73', '--reason')).rejects.toThrow(
      '--reason needs compute API version 2.73; this run uses 2.50.',
    );
    await expect(requireMicroversion(client({ min: '2.1', max: '2.93' }, '2.93'), '2.73', '--reason')).resolves.toBe(
      undefined,
    );
  });

  it('a capped API is used at the cap unless the cloud or the run is past it', async () => {
    const nova26 = client({ min: '2.1', max: '2.93' }, '2.93');
    await expect(requireAtMost(nova26, '2.87', 'Hypervisor statistics', undefined)).resolves.toBe(undefined);
    expect(await cappedVersion(nova26, '2.87')).toBe('2.87');
    expect(await cappedVersion(client({ min: '2.1', max: '2.60' }, '2.60'), '2.87')).toBe('2.60');
    await expect(requireAtMost(nova26, '2.87', 'Hypervisor statistics', '2.90', 'use hypervisor show')).rejects.toThrow(
      'Hypervisor statistics was removed in compute API 2.88; this run asked for 2.90; use hypervisor show.',
    );
    await expect(
      requireAtMost(client({ min: '2.90', max: '2.99' }, '2.99'), '2.87', 'Hypervisor statistics', undefined),
    ).rejects.toThrow('Hypervisor statistics was removed in compute API 2.88, and this cloud serves 2.90 and newer.');
  });
});
