// The undici floor through undici's index (see undici-floor.mjs).
import { Agent } from 'undici';
import { floor } from './undici-floor.mjs';

await floor(Agent, (agent, opts) => agent.request(opts));
