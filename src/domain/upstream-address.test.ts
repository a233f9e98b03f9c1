import { describe, expect, it } from 'vitest';
import { isLinkLocalOrMetadata } from './upstream-address.js';

/** What the provider code passes in: the WHATWG parser's hostname. */
const hostOf = (url: string) => new URL(url).hostname;

describe('upstream addresses', () => {
  it.each([
    'http://169.254.169.254/latest/meta-data/',
    'http://169.254.0.1/',
    'http://2852039166/',
    'http://0xa9fea9fe/',
    'http://0251.0376.0251.0376/',
    'http://169.254.169.254./',
    'http://[::ffff:169.254.169.254]/',
    'http://[::ffff:a9fe:a9fe]/',
    'http://[fe80::1]/',
    'http://[FE80::abcd:1]:8080/',
    'http://[fd00:ec2::254]/',
    'http://metadata.google.internal/computeMetadata/v1/',
    'http://METADATA.GOOGLE.INTERNAL./',
    'http://metadata/',
  ])('refuses %s', (url) => {
    expect(isLinkLocalOrMetadata(hostOf(url))).toBe(true);
  });

  it.each([
    'http://127.0.0.1:11434/',
    'http://10.0.0.5:8000/',
    'http://192.168.1.20/',
    'http://172.16.0.1/',
    'http://localhost:8000/',
    'http://[::1]:8000/',
    'http://[::ffff:10.0.0.5]/',
    'https://api.openai.com',
    'https://api.groq.com/openai',
    'http://169.255.0.1/',
  ])('allows %s', (url) => {
    expect(isLinkLocalOrMetadata(hostOf(url))).toBe(false);
  });
});
