import { describeCountersContract } from '../counters-contract.js';
import { createMemoryCounters } from './memory-counters.js';

describeCountersContract('in-memory', async () => createMemoryCounters());
