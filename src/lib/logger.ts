import pino, { type Logger } from 'pino';

export type { Logger };

/**
 * Structured logs. Secrets must never be logged in the first place; redaction is the second line
 * of defence for anything that carries credentials by name.
 */
export const REDACT_PATHS = [
  'req.headers.authorization',
  'req.headers["x-api-key"]',
  'req.headers["proxy-authorization"]',
  'req.headers.cookie',
  'headers.authorization',
  'headers["x-api-key"]',
  'headers["proxy-authorization"]',
  'headers.cookie',
  '*.headers.authorization',
  '*.headers["x-api-key"]',
  '*.headers["proxy-authorization"]',
  '*.headers.cookie',
  'res.headers["set-cookie"]',
  '*.password',
  '*.sealedSecret',
  '*.sealed_secret',
  '*.bearer',
  'bearer',
  '*.api_key',
  '*.apiKey',
  '*.secret',
  '*.token',
  '*.key',
  'api_key',
  'secret',
  'token',
];

export function createLogger(level: string, destination?: pino.DestinationStream): Logger {
  return pino(
    {
      level,
      base: { service: 'keywarden' },
      redact: { paths: REDACT_PATHS, censor: '[redacted]' },
      timestamp: pino.stdTimeFunctions.isoTime,
    },
    destination,
  );
}
