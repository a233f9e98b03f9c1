import { describe, expect, it } from 'vitest';
import { createUpstreamPolicy, embeddedIpv4, invalidPolicyEntry } from './upstream-policy.js';

const hostOf = (url: string) => new URL(url).hostname;
const open = createUpstreamPolicy({ allowLinkLocal: false, allow: [], deny: [] });

describe('upstream policy', () => {
  it.each([
    'http://169.254.169.254/',
    'http://2852039166/',
    'http://0xa9fea9fe/',
    'http://0251.0376.0251.0376/',
    'http://[::ffff:169.254.169.254]/',
    'http://[::169.254.169.254]/',
    'http://[64:ff9b::a9fe:a9fe]/',
    'http://[fe80::1%25eth0]/',
    'http://metadata.google.internal/',
  ])('refuses %s when saved', (url) => {
    let host: string;
    try {
      host = hostOf(url);
    } catch {
      return; // the URL parser already refuses it
    }
    expect(open.refuseHost(host)).toMatch(/link-local|metadata/);
  });

  it('refuses a name that resolves to a metadata address at connect time', () => {
    expect(open.refuseHost('evil.example.com')).toBeUndefined();
    expect(open.refuseAddress('169.254.169.254', 'evil.example.com')).toMatch(/link-local/);
    expect(open.refuseAddress('::ffff:169.254.169.254', 'evil.example.com')).toMatch(/link-local/);
    expect(open.refuseAddress('10.0.0.5', 'vllm.internal')).toBeUndefined();
    expect(open.refuseAddress('127.0.0.1', 'localhost')).toBeUndefined();
  });

  it('lets the operator allow metadata addresses explicitly', () => {
    const allowed = createUpstreamPolicy({
      allowLinkLocal: false,
      allow: ['169.254.0.0/16', 'api.openai.com'],
      deny: [],
    });
    expect(allowed.refuseHost('169.254.10.10')).toBeUndefined();
    expect(allowed.refuseAddress('169.254.10.10', 'x')).toBeUndefined();
    expect(
      createUpstreamPolicy({ allowLinkLocal: true, allow: [], deny: [] }).refuseHost('169.254.1.1'),
    ).toBeUndefined();
  });

  it('applies an allow list of hosts and CIDRs, at save and at connect', () => {
    const policy = createUpstreamPolicy({
      allowLinkLocal: false,
      allow: ['*.openai.com', '10.0.0.0/8'],
      deny: [],
    });
    expect(policy.refuseHost('api.openai.com')).toBeUndefined();
    expect(policy.refuseHost('10.1.2.3')).toBeUndefined();
    expect(policy.refuseHost('192.168.1.1')).toMatch(/allow list/);
    expect(policy.refuseAddress('192.168.1.1', 'local.lan')).toMatch(/allow list/);
    expect(policy.refuseAddress('10.9.9.9', 'local.lan')).toBeUndefined();
    const hostsOnly = createUpstreamPolicy({ allowLinkLocal: false, allow: ['api.anthropic.com'], deny: [] });
    expect(hostsOnly.refuseHost('api.openai.com')).toMatch(/allow list/);
  });

  it('applies a deny list that wins over the allow list', () => {
    const policy = createUpstreamPolicy({
      allowLinkLocal: false,
      allow: ['10.0.0.0/8'],
      deny: ['10.0.0.0/24', 'blocked.example.com', '*.bad.example'],
    });
    expect(policy.refuseHost('10.0.0.7')).toMatch(/deny list/);
    expect(policy.refuseHost('[::ffff:10.0.0.7]')).toMatch(/deny list/);
    expect(policy.refuseHost('blocked.example.com')).toMatch(/deny list/);
    expect(policy.refuseHost('x.bad.example')).toMatch(/deny list/);
    expect(policy.refuseAddress('10.0.0.9', 'ok.example')).toMatch(/deny list/);
  });

  it('reads the IPv4 inside IPv6 spellings', () => {
    expect(embeddedIpv4('::ffff:a9fe:a9fe')).toBe('169.254.169.254');
    expect(embeddedIpv4('::ffff:169.254.169.254')).toBe('169.254.169.254');
    expect(embeddedIpv4('64:ff9b::a9fe:a9fe')).toBe('169.254.169.254');
    expect(embeddedIpv4('2001:db8::1')).toBeUndefined();
  });

  it('validates list entries', () => {
    expect(invalidPolicyEntry(['api.openai.com', '*.groq.com', '10.0.0.0/8', '::1'])).toBeUndefined();
    expect(invalidPolicyEntry(['http://x'])).toBe('http://x');
  });
});
