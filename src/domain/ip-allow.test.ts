import { describe, expect, it } from 'vitest';
import { compileIpAllow, invalidCidr } from './ip-allow.js';

describe('ip_allow', () => {
  it('allows every address when the list is absent', () => {
    expect(compileIpAllow(undefined)('203.0.113.9')).toBe(true);
    expect(compileIpAllow(null)('2001:db8::1')).toBe(true);
  });

  it('allows no address when the list is empty', () => {
    expect(compileIpAllow([])('127.0.0.1')).toBe(false);
  });

  it('matches IPv4 CIDRs and single addresses', () => {
    const allowed = compileIpAllow(['10.0.0.0/8', '192.168.1.0/24', '203.0.113.7']);
    expect(allowed('10.1.2.3')).toBe(true);
    expect(allowed('10.255.255.255')).toBe(true);
    expect(allowed('11.0.0.1')).toBe(false);
    expect(allowed('192.168.1.200')).toBe(true);
    expect(allowed('192.168.2.1')).toBe(false);
    expect(allowed('203.0.113.7')).toBe(true);
    expect(allowed('203.0.113.8')).toBe(false);
  });

  it('matches IPv6 CIDRs and single addresses', () => {
    const allowed = compileIpAllow(['2001:db8::/32', '::1']);
    expect(allowed('2001:db8:1234::5')).toBe(true);
    expect(allowed('2001:db9::1')).toBe(false);
    expect(allowed('::1')).toBe(true);
    expect(allowed('::2')).toBe(false);
  });

  it('matches an IPv4-mapped IPv6 client address against IPv4 entries', () => {
    const allowed = compileIpAllow(['10.0.0.0/8', '127.0.0.1']);
    expect(allowed('::ffff:10.9.8.7')).toBe(true);
    expect(allowed('::ffff:127.0.0.1')).toBe(true);
    expect(allowed('::ffff:11.0.0.1')).toBe(false);
  });

  it('refuses a client address that is not an IP', () => {
    const allowed = compileIpAllow(['0.0.0.0/0', '::/0']);
    expect(allowed('1.2.3.4')).toBe(true);
    expect(allowed('')).toBe(false);
    expect(allowed('localhost')).toBe(false);
    expect(allowed('10.0.0.1/8')).toBe(false);
  });

  it('reports the first invalid entry', () => {
    expect(invalidCidr(['10.0.0.0/8', '::1', '2001:db8::/48', '1.2.3.4/0'])).toBeUndefined();
    for (const bad of [
      'not-an-ip',
      '10.0.0.0/33',
      '::/129',
      '10.0.0.0/',
      '10.0.0.0/x',
      '10.0.0.0/-1',
      '10.0.0.0/8/8',
      '10.0.0/8',
      '256.0.0.1',
      '',
    ]) {
      expect(invalidCidr(['10.0.0.0/8', bad, 'also-bad']), bad).toBe(bad);
    }
  });
});
