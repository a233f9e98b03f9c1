/**
 * The proxy integration suites, run from one test file: each suite starts its own gateway and fake
 * upstreams, but they share one worker, which keeps the whole run to a few seconds instead of paying
 * the start-up of a worker (and of the gateway's imports) per suite. Run one with `-t '<describe name>'`.
 */
import './openai-sdk.suite.js';
import './anthropic-sdk.suite.js';
import './access-control.suite.js';
import './headers.suite.js';
import './metering.suite.js';
import './persistence.suite.js';
