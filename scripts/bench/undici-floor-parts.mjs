// The undici floor through the deep paths ncli imports (see undici-floor.mjs).
import Agent from 'undici/lib/dispatcher/agent.js';
import request from 'undici/lib/api/api-request.js';
import { floor } from './undici-floor.mjs';

await floor(Agent, (agent, opts) => request.call(agent, opts));
